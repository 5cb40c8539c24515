// Every endpoint of /api/v1 except the proxy: one list, served by the router and described by the OpenAPI document.
import { z } from 'zod';
import {
  agentByName,
  createAgent,
  deleteAgent,
  matchesAllowlist,
  revokeAgentTokenByPrefix,
  rotateAgentToken,
  updateAgent,
} from '~/agents/agents.server';
import { fromAllowlistEntries, mayDeliver } from '~/agents/allowlist';
import { runDoctor } from '~/agents/doctor.server';
import { setAgentRequirements } from '~/agents/requirements.server';
import { recordAudit } from '~/audit/audit.server';
import { auditFilterFromUrl } from '~/audit/page-filters.server';
import { listAuditEvents } from '~/audit/audit.server';
import { createCredential, deleteCredential, replaceCredentialSecret, revealCredentialSecret, updateCredentialMetadata } from '~/credentials/credentials.server';
import { CREDENTIAL_TYPES, CREDENTIAL_STATUSES, SORTS, type TableState } from '~/credentials/table-state';
import { buildRowsQuery } from '~/credentials/query.server';
import { prisma } from '~/db.server';
import { startConnectTicket } from '~/oauth/terminal-connect.server';
import { createPastedOAuthCredential } from '~/oauth/pasted.server';
import { revokeBeforeDelete } from '~/oauth/disconnect.server';
import { recordCredentialUse } from '~/usage/usage.server';
import { readCredentialSecret } from '~/vault/vault.server';
import { decodeCursor, encodeCursor, limitSchema } from './pagination';
import { defineEndpoint, type Endpoint, type EndpointContext } from './endpoint.server';
import { ApiError } from './errors.server';
import { parseQuery, validationError } from './query.server';
import { proposalEndpoints } from './proposal-endpoints.server';

export { parseQuery, validationError } from './query.server';
import { agentActorOf, credentialActorOf, organizationOf, requireAgent, requireManagement } from './principal.server';
import { apiCredentialSelect, apiService, apiServices, findApiCredential, toApiAgent, toApiCredential } from './resources.server';
import {
  agentBodySchema,
  agentCreatedSchema,
  agentListSchema,
  agentPatchBodySchema,
  agentSchema,
  agentTokenSchema,
  auditListSchema,
  connectStartedSchema,
  credentialCreateBodySchema,
  credentialListSchema,
  credentialPatchBodySchema,
  credentialSchema,
  credentialValueBodySchema,
  deletedSchema,
  meSchema,
  doctorSchema,
  requirementsBodySchema,
  pastedTokensBodySchema,
  revokedSchema,
  serviceListSchema,
  serviceSchema,
  valueSchema,
  type ApiValue,
} from './schemas';
import { streamAuditExport } from './audit-export.server';
import { FILE_FIELD } from '~/credentials/files.server';

const nameParam = (ctx: EndpointContext, key = 'name') => ctx.params[key] ?? '';

function record(body: unknown): Record<string, unknown> {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** Repeated (?type=a&type=b) or comma-listed values, each checked against the allowed ones (a field error names the bad one). */
function listParam<T extends string>(name: string, values: readonly T[]) {
  return z
    .array(z.string())
    .transform((raw) => raw.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values as unknown as [T, ...T[]], { error: `Use ${values.join(', ')} for ${name}` })));
}

const credentialQuerySchema = z.object({
  q: z.string().max(100, 'Search with at most 100 characters').regex(/^[^\u0000-\u001f\u007f]*$/, 'The search cannot contain control characters').default(''),
  type: listParam('type', CREDENTIAL_TYPES).default([]),
  status: listParam('status', CREDENTIAL_STATUSES).default([]),
  sort: z.enum(SORTS, { error: `Sort by one of ${SORTS.join(', ')}` }).default('name'),
  limit: limitSchema,
  cursor: z.string().optional(),
});

const auditQuerySchema = z.object({
  actor: z.string().optional().meta({ description: 'system, agent, api_token or user:<id>' }),
  action: z.string().optional(),
  credential: z.string().optional().meta({ description: 'A credential’s name (also a deleted one’s) or id' }),
  from: z.string().optional().meta({ description: 'YYYY-MM-DD' }),
  to: z.string().optional().meta({ description: 'YYYY-MM-DD' }),
  limit: limitSchema,
  cursor: z.string().optional(),
});

const exportQuerySchema = auditQuerySchema.omit({ limit: true, cursor: true }).extend({ format: z.enum(['ndjson', 'csv']).default('ndjson') });

async function credentialAnswer(organizationId: string, name: string, status = 200) {
  const row = await prisma.credential.findUniqueOrThrow({ where: { organizationId_name: { organizationId, name } }, select: apiCredentialSelect });
  return { status, body: credentialSchema.parse(toApiCredential(row, null)) };
}

/** The credential's value, for reveal and delivery: every stored field opened, or the file as base64. */
async function valueOf(organizationId: string, row: { id: string; name: string; type: ApiValue['type']; service: string; username: string | null; fileName: string | null }, fields: Record<string, string> | null, file: { name: string; bytes: Buffer; contentType: string } | null): Promise<ApiValue> {
  return {
    name: row.name,
    type: row.type,
    service: row.service,
    fields: { ...(row.username ? { username: row.username } : {}), ...(fields ?? {}) },
    file: file ? { name: file.name, contentType: file.contentType, base64: file.bytes.toString('base64') } : null,
  };
}

const ACCESS_TOKEN_FIELD = 'access_token';
/** One credential.delivered audit row per agent and credential per window, like agent use. */
const DELIVERY_AUDIT_WINDOW_MS = 5 * 60_000;

const credentialErrors = { 403: 'The token’s role may not do this', 404: 'No such credential in the token’s organization' } as const;

const coreEndpoints: Endpoint[] = [
  defineEndpoint({
    method: 'get',
    path: '/me',
    operationId: 'whoAmI',
    summary: 'The token’s kind, organization and permissions',
    auth: 'any',
    responses: { 200: { description: 'Who the token is', schema: meSchema } },
    errors: {},
    handler: async ({ principal }) => {
      if (principal.kind === 'agent') {
        const org = await prisma.organization.findUniqueOrThrow({ where: { id: principal.agent.organizationId }, select: { slug: true } });
        const token = await prisma.agentToken.findUniqueOrThrow({ where: { id: principal.agent.tokenId }, select: { prefix: true } });
        return {
          status: 200,
          body: { kind: 'agent', organization: { slug: org.slug }, agent: { name: principal.agent.name }, token: { name: principal.agent.name, prefix: token.prefix, role: null, reveal: false, expiresAt: null } },
        };
      }
      const t = principal.token;
      return {
        status: 200,
        body: {
          kind: 'management',
          organization: { slug: t.organizationSlug },
          agent: null,
          token: { name: t.tokenName, prefix: t.prefix, role: t.role, reveal: t.canReveal, expiresAt: t.expiresAt?.toISOString() ?? null },
        },
      };
    },
  }),
  defineEndpoint({
    method: 'get',
    path: '/services',
    operationId: 'listServices',
    summary: 'The service catalog: types, fields with format checks, injection, base URL and environment variables',
    auth: 'any',
    responses: { 200: { description: 'Every service', schema: serviceListSchema } },
    errors: {},
    handler: async () => ({ status: 200, body: { services: apiServices() } }),
  }),
  defineEndpoint({
    method: 'get',
    path: '/services/:id',
    operationId: 'getService',
    summary: 'One catalog service',
    auth: 'any',
    responses: { 200: { description: 'The service', schema: serviceSchema } },
    errors: { 404: 'No such service' },
    handler: async (ctx) => ({ status: 200, body: apiService(nameParam(ctx, 'id')) }),
  }),
  defineEndpoint({
    method: 'get',
    path: '/credentials',
    operationId: 'listCredentials',
    summary: 'Credentials (never values), filtered and sorted as the portal’s table; an agent token sees only its allowlist',
    auth: 'any',
    query: credentialQuerySchema,
    responses: { 200: { description: 'A page of credentials', schema: credentialListSchema } },
    errors: {},
    handler: async ({ principal, query }) => {
      const q = parseQuery(credentialQuerySchema, query);
      const organizationId = organizationOf(principal);
      const fingerprint = JSON.stringify([q.q, q.type, q.status, q.sort]);
      const offset = q.cursor ? decodeCursor(q.cursor, fingerprint) : 0;
      const state: TableState = { q: q.q, type: q.type, status: q.status, sort: q.sort, page: 1, size: 50 };
      const agent = principal.kind === 'agent' ? principal.agent : null;
      const now = new Date();
      let ids: string[];
      let more: boolean;
      if (agent) {
        // An agent's allowlist is short: its matching names are picked in memory, then paged in the table's order.
        const all = await prisma.$queryRaw<{ id: string; name: string }[]>(buildRowsQuery(organizationId, state, { offset: 0, limit: 100_000 }, now));
        const allowed = all.filter((r) => matchesAllowlist(agent.allowedCredentials, r.name));
        ids = allowed.slice(offset, offset + q.limit).map((r) => r.id);
        more = allowed.length > offset + q.limit;
      } else {
        const page = await prisma.$queryRaw<{ id: string }[]>(buildRowsQuery(organizationId, state, { offset, limit: q.limit + 1 }, now));
        more = page.length > q.limit;
        ids = page.slice(0, q.limit).map((r) => r.id);
      }
      const rows = await prisma.credential.findMany({ where: { id: { in: ids }, organizationId }, select: apiCredentialSelect });
      const byId = new Map(rows.map((r) => [r.id, r]));
      const credentials = ids.flatMap((id) => (byId.has(id) ? [toApiCredential(byId.get(id)!, agent, now)] : []));
      return { status: 200, body: { credentials, nextCursor: more ? encodeCursor(offset + q.limit, fingerprint) : null } };
    },
  }),
  defineEndpoint({
    method: 'get',
    path: '/credentials/:name',
    operationId: 'getCredential',
    summary: 'One credential (never its value)',
    auth: 'any',
    responses: { 200: { description: 'The credential', schema: credentialSchema } },
    errors: { 403: 'Not in the agent’s allowlist', 404: 'No such credential in the token’s organization' },
    handler: async (ctx) => {
      const agent = ctx.principal.kind === 'agent' ? ctx.principal.agent : null;
      const row = await findApiCredential(organizationOf(ctx.principal), nameParam(ctx), agent);
      return { status: 200, body: toApiCredential(row, agent) };
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/credentials',
    operationId: 'createCredential',
    summary: 'Add an API key, username/password or file credential',
    description: 'JSON, or multipart/form-data with the same text fields (fields.<name> for catalog fields) and the file in `file`, under the portal’s upload limit and checks.',
    auth: 'management',
    body: credentialCreateBodySchema,
    multipart: true,
    responses: { 201: { description: 'Created', schema: credentialSchema } },
    errors: { 403: 'The token’s role may not add credentials', 409: 'The name is taken', 413: 'The file is over the upload limit', 415: 'Not JSON or multipart' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'credential.create');
      const body = record(ctx.body);
      const created = await createCredential(credentialActorOf(token, ctx.origin), {
        name: body.name,
        service: body.service,
        type: body.type,
        description: body.description,
        expiresAt: body.expiresAt,
        baseUrl: body.baseUrl ?? undefined,
        fields: record(body.fields),
        file: ctx.upload,
      });
      return credentialAnswer(token.organizationId, created.name, 201);
    },
  }),
  defineEndpoint({
    method: 'patch',
    path: '/credentials/:name',
    operationId: 'updateCredential',
    summary: 'Rename, describe, set or clear the expiry or base URL',
    auth: 'management',
    body: credentialPatchBodySchema,
    responses: { 200: { description: 'Updated', schema: credentialSchema } },
    errors: { ...credentialErrors, 409: 'The new name is taken' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'credential.edit');
      const row = await findApiCredential(token.organizationId, nameParam(ctx), null);
      const body = record(ctx.body);
      const input: Record<string, unknown> = {};
      for (const key of ['name', 'description', 'expiresAt', 'baseUrl'] as const) if (key in body) input[key] = body[key] ?? '';
      const updated = await updateCredentialMetadata(credentialActorOf(token, ctx.origin), row.id, input);
      return credentialAnswer(token.organizationId, updated.name);
    },
  }),
  defineEndpoint({
    method: 'put',
    path: '/credentials/:name/value',
    operationId: 'replaceCredentialValue',
    summary: 'Replace the value (or file), naming the version it replaces',
    auth: 'management',
    body: credentialValueBodySchema,
    multipart: true,
    responses: { 200: { description: 'Replaced', schema: credentialSchema } },
    errors: { ...credentialErrors, 409: 'The value changed since that version (version_conflict)', 413: 'The file is over the upload limit' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'credential.replace');
      const row = await findApiCredential(token.organizationId, nameParam(ctx), null);
      const body = record(ctx.body);
      const version = typeof body.version === 'string' && /^\d{1,9}$/.test(body.version) ? Number(body.version) : body.version;
      try {
        await replaceCredentialSecret(credentialActorOf(token, ctx.origin), row.id, { fields: record(body.fields), file: ctx.upload, expectedVersion: version });
      } catch (error) {
        if ((error as { code?: string }).code === 'conflict') throw new ApiError(409, 'version_conflict', (error as Error).message);
        throw error;
      }
      return credentialAnswer(token.organizationId, row.name);
    },
  }),
  defineEndpoint({
    method: 'delete',
    path: '/credentials/:name',
    operationId: 'deleteCredential',
    summary: 'Delete a credential (an OAuth grant is revoked at the provider first, as in the portal)',
    auth: 'management',
    responses: { 200: { description: 'Deleted', schema: deletedSchema } },
    errors: credentialErrors,
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'credential.delete');
      const row = await findApiCredential(token.organizationId, nameParam(ctx), null);
      const actor = credentialActorOf(token, ctx.origin);
      const outcome = row.type === 'oauth' ? await revokeBeforeDelete(actor, row.id) : null;
      await deleteCredential(actor, row.id, { confirmName: row.name });
      return { status: 200, body: { deleted: true, revocation: outcome ? (outcome.revoked ? 'Revoked at the provider first' : outcome.problem) : null } };
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/credentials/:name/oauth/tokens',
    operationId: 'pasteOAuthTokens',
    summary: 'Store pasted OAuth tokens as a new credential (checked by a refresh when a refresh token is given)',
    auth: 'management',
    body: pastedTokensBodySchema,
    responses: { 201: { description: 'Created', schema: credentialSchema } },
    errors: { 403: 'The token’s role may not add credentials', 409: 'The name is taken' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'credential.create');
      const created = await createPastedOAuthCredential(credentialActorOf(token, ctx.origin), { ...record(ctx.body), name: nameParam(ctx) });
      const row = await prisma.credential.findUniqueOrThrow({ where: { id: created.id }, select: { name: true } });
      return credentialAnswer(token.organizationId, row.name, 201);
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/credentials/oauth/connect',
    operationId: 'startOAuthConnect',
    summary: 'Connect from a terminal: a Latchkey URL a signed-in member opens to confirm and continue to the provider',
    auth: 'management',
    body: z.object({ service: z.string(), name: z.string(), description: z.string().optional(), scopes: z.union([z.string(), z.array(z.string())]).optional(), appId: z.string().optional() }),
    responses: { 201: { description: 'Open authorizationUrl in a browser', schema: connectStartedSchema } },
    errors: { 403: 'The token’s role may not add credentials', 409: 'The name is taken' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'credential.create');
      const ticket = await startConnectTicket(credentialActorOf(token, ctx.origin), token.organizationSlug, record(ctx.body));
      return { status: 201, body: { authorizationUrl: `${ctx.publicUrl}${ticket.path}`, expiresAt: ticket.expiresAt.toISOString() } };
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/credentials/:name/reveal',
    operationId: 'revealCredential',
    summary: 'The value, for a management token with reveal and an owner or admin role (audited)',
    auth: 'management',
    secret: true,
    responses: { 200: { description: 'The value', schema: valueSchema } },
    errors: { 403: 'The token may not reveal (reveal_not_allowed)', 404: 'No such credential' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal);
      if (!token.canReveal) {
        throw new ApiError(403, 'reveal_not_allowed', 'This token cannot reveal values: create one with “Can reveal values” and an owner or admin role');
      }
      const row = await findApiCredential(token.organizationId, nameParam(ctx), null);
      // The token's reveal permission stands in for the portal's password step-up.
      const revealed = await revealCredentialSecret(credentialActorOf(token, ctx.origin), row.id, { reauthenticatedAt: new Date() });
      return { status: 200, body: await valueOf(token.organizationId, row, 'fields' in revealed ? revealed.fields : null, 'file' in revealed ? revealed.file : null) };
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/credentials/:name/deliver',
    operationId: 'deliverCredential',
    summary: 'The value, for an agent whose allowlist grants this credential in deliver mode (audited as credential.delivered)',
    auth: 'agent',
    secret: true,
    responses: { 200: { description: 'The value', schema: valueSchema } },
    errors: { 403: 'Not allowed, or granted for the proxy only (delivery_not_allowed)', 404: 'No such credential', 409: 'The credential cannot work (expired, disconnected, needs attention)' },
    handler: async (ctx) => {
      const agent = requireAgent(ctx.principal);
      const row = await findApiCredential(agent.organizationId, nameParam(ctx), agent);
      if (!mayDeliver(agent.deliverCredentials, row.name)) {
        throw new ApiError(403, 'delivery_not_allowed', `This agent may use "${row.name}" through the proxy only; an admin can switch its grant to Deliver`);
      }
      const read = toApiCredential(row, agent);
      if (read.status === 'expired' || read.status === 'disconnected') throw new ApiError(409, read.status === 'expired' ? 'credential_expired' : 'credential_disconnected', `"${row.name}" is ${read.status}`);
      let fields: Record<string, string> | null = null;
      let file: { name: string; bytes: Buffer; contentType: string } | null = null;
      if (row.type === 'file') {
        const bytes = await readCredentialSecret(row.organizationId, row.id, FILE_FIELD);
        file = { name: row.fileName ?? 'credential', bytes, contentType: 'application/octet-stream' };
      } else {
        const stored = await prisma.credentialSecret.findMany({ where: { credentialId: row.id }, select: { field: true } });
        fields = {};
        for (const { field } of stored) {
          // An OAuth credential delivers its access token only: the refresh token stays in the vault.
          if (row.type === 'oauth' && field !== ACCESS_TOKEN_FIELD) continue;
          fields[field] = (await readCredentialSecret(row.organizationId, row.id, field)).toString('utf8');
        }
      }
      await recordDelivery(agent, row, ctx);
      return { status: 200, body: await valueOf(agent.organizationId, row, fields, file) };
    },
  }),
  defineEndpoint({
    method: 'get',
    path: '/doctor',
    operationId: 'doctor',
    summary: 'Each of the agent’s requirements: whether it exists, is granted and works now, and where a person fixes it',
    auth: 'agent',
    responses: { 200: { description: 'The report', schema: doctorSchema } },
    errors: {},
    handler: async (ctx) => {
      const agent = requireAgent(ctx.principal);
      const row = await prisma.agent.findUniqueOrThrow({ where: { id: agent.id }, select: { id: true, organizationId: true, allowedCredentials: true, requirements: true } });
      return { status: 200, body: await runDoctor(row, ctx.publicUrl) };
    },
  }),
  defineEndpoint({
    method: 'put',
    path: '/agent/requirements',
    operationId: 'setOwnRequirements',
    summary: 'The agent declares what it needs (replaces its list; audited), e.g. synced from its framework’s config at start-up',
    auth: 'agent',
    body: requirementsBodySchema,
    responses: { 200: { description: 'The stored requirements', schema: requirementsBodySchema } },
    errors: {},
    handler: async (ctx) => {
      const agent = requireAgent(ctx.principal);
      const context = { actor: { type: 'agent' as const, id: agent.id, label: agent.name }, ...ctx.origin };
      try {
        const requirements = await setAgentRequirements({ organizationId: agent.organizationId, self: agent.id, context }, agent.id, record(ctx.body).requirements);
        return { status: 200, body: { requirements } };
      } catch (error) {
        // Field paths as the body names them: requirements.0.name.
        const e = error as { code?: string; fieldErrors?: Record<string, string[]>; message?: string };
        if (e.code === 'validation') {
          throw new ApiError(400, 'validation_failed', e.message ?? 'Check the requirements', Object.fromEntries(Object.entries(e.fieldErrors ?? {}).map(([k, v]) => [`requirements.${k}`, v])));
        }
        throw error;
      }
    },
  }),
  defineEndpoint({
    method: 'get',
    path: '/agents',
    operationId: 'listAgents',
    summary: 'The organization’s agents with their allowlists',
    auth: 'management',
    query: z.object({ limit: limitSchema, cursor: z.string().optional() }),
    responses: { 200: { description: 'A page of agents', schema: agentListSchema } },
    errors: {},
    handler: async ({ principal, query }) => {
      const token = requireManagement(principal, 'organization.view');
      const q = parseQuery(z.object({ limit: limitSchema, cursor: z.string().optional() }), query);
      const offset = q.cursor ? decodeCursor(q.cursor, 'agents') : 0;
      const rows = await prisma.agent.findMany({
        where: { organizationId: token.organizationId },
        orderBy: [{ name: 'asc' }, { id: 'asc' }],
        skip: offset,
        take: q.limit + 1,
        include: { tokens: { where: { revokedAt: null }, select: { prefix: true, createdAt: true, lastUsedAt: true } } },
      });
      return { status: 200, body: { agents: rows.slice(0, q.limit).map(toApiAgent), nextCursor: rows.length > q.limit ? encodeCursor(offset + q.limit, 'agents') : null } };
    },
  }),
  defineEndpoint({
    method: 'get',
    path: '/agents/:name',
    operationId: 'getAgent',
    summary: 'One agent',
    auth: 'management',
    responses: { 200: { description: 'The agent', schema: agentSchema } },
    errors: { 404: 'No such agent' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'organization.view');
      return { status: 200, body: toApiAgent(await findAgent(token.organizationId, nameParam(ctx))) };
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/agents',
    operationId: 'createAgent',
    summary: 'Create an agent; its first token is in this answer only',
    auth: 'management',
    body: agentBodySchema,
    responses: { 201: { description: 'Created', schema: agentCreatedSchema } },
    errors: { 403: 'The token’s role may not manage agents', 409: 'The name is taken' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'agent.manage');
      const body = record(ctx.body);
      const { agent, token: value } = await createAgent(agentActorOf(token, ctx.origin), { name: body.name as string, description: body.description as string, ...allowlistInput(body.allowlist) });
      return { status: 201, body: { agent: toApiAgent(await findAgent(token.organizationId, agent.name)), token: value } };
    },
  }),
  defineEndpoint({
    method: 'patch',
    path: '/agents/:name',
    operationId: 'updateAgent',
    summary: 'Rename, describe or change the allowlist and its modes (audited)',
    auth: 'management',
    body: agentPatchBodySchema,
    responses: { 200: { description: 'Updated', schema: agentSchema } },
    errors: { 403: 'The token’s role may not manage agents', 404: 'No such agent', 409: 'The name is taken' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'agent.manage');
      const current = await findAgent(token.organizationId, nameParam(ctx));
      const body = record(ctx.body);
      const updated = await updateAgent(agentActorOf(token, ctx.origin), current.id, {
        name: 'name' in body ? (body.name as string) : current.name,
        description: 'description' in body ? (body.description as string) : current.description,
        ...('allowlist' in body ? allowlistInput(body.allowlist) : { allowedCredentials: current.allowedCredentials, deliverCredentials: current.deliverCredentials }),
      });
      if ('requirements' in body) await setAgentRequirements(agentActorOf(token, ctx.origin), current.id, body.requirements);
      return { status: 200, body: toApiAgent(await findAgent(token.organizationId, updated.name)) };
    },
  }),
  defineEndpoint({
    method: 'delete',
    path: '/agents/:name',
    operationId: 'deleteAgent',
    summary: 'Delete an agent and its tokens',
    auth: 'management',
    responses: { 200: { description: 'Deleted', schema: deletedSchema } },
    errors: { 403: 'The token’s role may not manage agents', 404: 'No such agent' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'agent.manage');
      const current = await findAgent(token.organizationId, nameParam(ctx));
      await deleteAgent(agentActorOf(token, ctx.origin), current.id);
      return { status: 200, body: { deleted: true } };
    },
  }),
  defineEndpoint({
    method: 'post',
    path: '/agents/:name/tokens',
    operationId: 'rotateAgentToken',
    summary: 'Issue a new token (every earlier one is revoked); the value is in this answer only',
    auth: 'management',
    responses: { 201: { description: 'The new token', schema: agentTokenSchema } },
    errors: { 403: 'The token’s role may not manage agents', 404: 'No such agent' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'agent.manage');
      const current = await findAgent(token.organizationId, nameParam(ctx));
      return { status: 201, body: await rotateAgentToken(agentActorOf(token, ctx.origin), current.id) };
    },
  }),
  defineEndpoint({
    method: 'delete',
    path: '/agents/:name/tokens/:prefix',
    operationId: 'revokeAgentToken',
    summary: 'Revoke one of the agent’s tokens by its prefix (refused by every replica at once)',
    auth: 'management',
    responses: { 200: { description: 'Revoked', schema: revokedSchema } },
    errors: { 403: 'The token’s role may not manage agents', 404: 'No such agent or token' },
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'agent.manage');
      const current = await findAgent(token.organizationId, nameParam(ctx));
      await revokeAgentTokenByPrefix(agentActorOf(token, ctx.origin), current.id, nameParam(ctx, 'prefix'));
      return { status: 200, body: { revoked: true } };
    },
  }),
  defineEndpoint({
    method: 'get',
    path: '/audit',
    operationId: 'listAuditEvents',
    summary: 'The audit log, newest first, with the portal’s filters',
    auth: 'management',
    query: auditQuerySchema,
    responses: { 200: { description: 'A page of events', schema: auditListSchema } },
    errors: {},
    handler: async ({ principal, query }) => {
      const token = requireManagement(principal, 'audit.view');
      const q = parseQuery(auditQuerySchema, query);
      const filter = await auditFilter(token.organizationId, query);
      if (filter === null) return { status: 200, body: { events: [], nextCursor: null } };
      if (q.cursor) filter.cursor = decodeCursor(q.cursor, 'audit');
      const page = await listAuditEvents(token.organizationId, { ...filter, limit: q.limit });
      const names = await credentialNames(page.events.map((e) => e.credentialId));
      return {
        status: 200,
        body: {
          events: page.events.map((e) => ({
            seq: e.seq,
            createdAt: e.createdAt.toISOString(),
            actorType: e.actorType,
            actorLabel: e.actorLabel,
            action: e.action,
            targetType: e.targetType,
            credentialName: (e.credentialId && names.get(e.credentialId)) ?? recordedName(e.details),
            ip: e.ip,
            details: (e.details ?? {}) as Record<string, unknown>,
          })),
          nextCursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor, 'audit'),
        },
      };
    },
  }),
  defineEndpoint({
    method: 'get',
    path: '/audit/export',
    operationId: 'exportAuditEvents',
    summary: 'The filtered audit log, streamed as NDJSON (one event per line) or CSV',
    auth: 'management',
    query: exportQuerySchema,
    responses: { 200: { description: 'The events, oldest last', content: { 'application/x-ndjson': 'One JSON event per line', 'text/csv': 'The portal’s CSV' } } },
    errors: {},
    handler: async (ctx) => {
      const token = requireManagement(ctx.principal, 'audit.view');
      const q = parseQuery(exportQuerySchema, ctx.query);
      const filter = await auditFilter(token.organizationId, ctx.query);
      await streamAuditExport(ctx.res, token.organizationId, filter, q.format);
      return { streamed: true };
    },
  }),
];

async function findAgent(organizationId: string, name: string) {
  try {
    return await agentByName(organizationId, name);
  } catch (error) {
    if ((error as { code?: string }).code === 'not_found') throw new ApiError(404, 'agent_not_found', `No agent named "${name}" in this organization`);
    throw error;
  }
}

/** The API's allowlist entries as the agent service stores them (entries are checked by its schema). */
function allowlistInput(value: unknown): { allowedCredentials: string[]; deliverCredentials: string[] } {
  const parsed = z.array(z.object({ credential: z.string(), mode: z.enum(['proxy', 'deliver']).default('proxy') })).max(100).safeParse(value ?? []);
  if (!parsed.success) throw validationError(parsed.error, 'The allowlist is a list of { credential, mode } entries');
  return fromAllowlistEntries(parsed.data);
}

/** The audit filter of the query (the portal's rules), or null when the named credential matches nothing. */
async function auditFilter(organizationId: string, query: URLSearchParams) {
  const url = new URL(`http://api.invalid/?${query.toString()}`);
  const { filter, errors, noMatch } = await auditFilterFromUrl(organizationId, url, { paginate: false });
  if (Object.keys(errors).length > 0) throw new ApiError(400, 'validation_failed', 'Check the highlighted fields', errors);
  return noMatch ? null : filter;
}

async function credentialNames(ids: (string | null)[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids.filter((id): id is string => Boolean(id)))];
  if (unique.length === 0) return new Map();
  const rows = await prisma.credential.findMany({ where: { id: { in: unique } }, select: { id: true, name: true } });
  return new Map(rows.map((r) => [r.id, r.name]));
}

function recordedName(details: unknown): string | null {
  const name = (details as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : null;
}

/** Audits a delivery once per agent and credential per window (later ones in the window add to the use count only). */
async function recordDelivery(agent: { id: string; name: string; organizationId: string; tokenId: string }, row: { id: string; name: string; organizationId: string }, ctx: EndpointContext) {
  await recordCredentialUse(row, agent, { ip: ctx.origin.ip });
  const since = new Date(Date.now() - DELIVERY_AUDIT_WINDOW_MS);
  const recent = await prisma.auditEvent.findFirst({
    where: { organizationId: row.organizationId, credentialId: row.id, action: 'credential.delivered', actorId: agent.id, createdAt: { gte: since } },
    select: { id: true },
  });
  if (recent) return;
  await prisma.$transaction((tx) =>
    recordAudit(tx, {
      organizationId: row.organizationId,
      context: { actor: { type: 'agent', id: agent.id, label: agent.name }, ip: ctx.origin.ip, userAgent: ctx.origin.userAgent },
      action: 'credential.delivered',
      targetType: 'credential',
      targetId: row.id,
      credentialId: row.id,
      details: { name: row.name, windowMinutes: DELIVERY_AUDIT_WINDOW_MS / 60_000 },
    }),
  );
}

/** Every endpoint of /api/v1 but the proxy, as the router serves them and the OpenAPI document lists them. */
export const endpoints: Endpoint[] = [...coreEndpoints, ...proposalEndpoints];
