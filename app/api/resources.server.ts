// The API's resources as the services see them: credentials, values, agents and services turned into the API's shapes (no HTTP here).
import { matchesAllowlist, type AuthenticatedAgent } from '~/agents/agents.server';
import { mayDeliver, toAllowlistEntries } from '~/agents/allowlist';
import { readRequirements } from '~/agents/requirements';
import { credentialFieldsFor, getService, injectionFor, listServices, type ServiceDefinition } from '~/credentials/catalog';
import { parseCredentialSettings } from '~/credentials/settings';
import { statusNow } from '~/credentials/status';
import { prisma } from '~/db.server';
import { REFRESH_TOKEN_FIELD } from '~/jobs/refresh-schedule.server';
import type { Prisma } from '~/generated/prisma/client';
import { ApiError } from './errors.server';
import type { ApiAgent, ApiCredential, ApiService } from './schemas';

export const apiCredentialSelect = {
  id: true,
  organizationId: true,
  name: true,
  type: true,
  service: true,
  description: true,
  status: true,
  statusCause: true,
  statusReason: true,
  expiresAt: true,
  lastUsedAt: true,
  createdAt: true,
  updatedAt: true,
  createdById: true,
  version: true,
  settings: true,
  username: true,
  fileName: true,
  fileSize: true,
  fileKind: true,
  oauthProvider: true,
  oauthAccount: true,
  oauthScopes: true,
  organization: { select: { warningWindowDays: true } },
  secrets: { where: { field: REFRESH_TOKEN_FIELD }, select: { field: true } },
} as const satisfies Prisma.CredentialSelect;

export type ApiCredentialRow = Prisma.CredentialGetPayload<{ select: typeof apiCredentialSelect }>;

/** The credential as the API shows it: never a value; the status read now; the agent's grant mode for agent tokens. */
export function toApiCredential(row: ApiCredentialRow, agent: AuthenticatedAgent | null, now = new Date()): ApiCredential {
  const read = statusNow({ ...row, hasRefreshToken: row.secrets.length > 0 }, { now, warningWindowDays: row.organization.warningWindowDays });
  const settings = parseCredentialSettings(row.settings);
  return {
    name: row.name,
    type: row.type,
    service: row.service,
    description: row.description,
    status: read.status,
    statusCause: read.cause,
    statusReason: read.reason,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
    baseUrl: settings.baseUrl ?? getService(row.service)?.apiBaseUrl ?? null,
    proxyPath: row.type === 'file' ? null : `/api/v1/proxy/${encodeURIComponent(row.name)}/`,
    username: row.username,
    file: row.type === 'file' ? { name: row.fileName ?? 'credential', size: row.fileSize ?? 0, kind: row.fileKind } : null,
    oauth: row.type === 'oauth' ? { provider: row.oauthProvider, account: row.oauthAccount, scopes: row.oauthScopes } : null,
    mode: agent ? (mayDeliver(agent.deliverCredentials, row.name) ? 'deliver' : 'proxy') : null,
  };
}

/**
 * The organization's credential by name, as the caller may see it: another organization's is 404 exactly like
 * a missing one; for an agent, one outside its allowlist is 403.
 */
export async function findApiCredential(organizationId: string, name: string, agent: AuthenticatedAgent | null): Promise<ApiCredentialRow> {
  const row = await prisma.credential.findUnique({ where: { organizationId_name: { organizationId, name } }, select: apiCredentialSelect });
  if (!row) throw new ApiError(404, 'credential_not_found', `No credential named "${name}" in this organization`);
  if (agent && !matchesAllowlist(agent.allowedCredentials, row.name)) {
    throw new ApiError(403, 'credential_not_allowed', `This agent is not allowed to use "${name}"`);
  }
  return row;
}

function fieldsOf(service: ServiceDefinition, type: ServiceDefinition['credentialTypes'][number]) {
  return credentialFieldsFor(service.id, type).map((f) => ({
    name: f.name,
    label: f.label,
    help: f.help,
    secret: f.secret,
    optional: f.optional ?? false,
    input: f.input ?? 'text',
    placeholder: f.placeholder ?? null,
    pattern: f.format?.pattern.source ?? null,
    patternMessage: f.format?.message ?? null,
    envVar: f.envVar ?? null,
  }));
}

export function toApiService(service: ServiceDefinition): ApiService {
  return {
    id: service.id,
    name: service.displayName,
    category: service.category,
    docsUrl: service.docsUrl ?? null,
    baseUrl: service.apiBaseUrl ?? null,
    env: {
      value: [...(service.envVar ? [service.envVar] : []), ...(service.envVarAliases ?? [])],
      baseUrl: service.baseUrlEnv ? { ...service.baseUrlEnv } : null,
    },
    types: service.credentialTypes.map((type) => ({
      type,
      injection: { ...injectionFor(service.id, type) } as ApiService['types'][number]['injection'],
      fields: fieldsOf(service, type),
    })),
  };
}

export function apiServices(): ApiService[] {
  return listServices().map(toApiService);
}

export function apiService(id: string): ApiService {
  const service = getService(id);
  if (!service) throw new ApiError(404, 'service_not_found', `No service "${id}" in the catalog; GET /api/v1/services lists them`);
  return toApiService(service);
}

export interface AgentRow {
  name: string;
  description: string;
  allowedCredentials: string[];
  deliverCredentials: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  tokens: { prefix: string; createdAt: Date; lastUsedAt: Date | null; revokedAt?: Date | null }[];
  requirements: unknown;
}

export function toApiAgent(agent: AgentRow): ApiAgent {
  return {
    name: agent.name,
    description: agent.description,
    allowlist: toAllowlistEntries(agent.allowedCredentials, agent.deliverCredentials),
    tokens: agent.tokens
      .filter((t) => !t.revokedAt)
      .map((t) => ({ prefix: t.prefix, createdAt: t.createdAt.toISOString(), lastUsedAt: t.lastUsedAt?.toISOString() ?? null })),
    requirements: readRequirements(agent.requirements),
    createdAt: agent.createdAt.toISOString(),
    lastUsedAt: agent.lastUsedAt?.toISOString() ?? null,
  };
}
