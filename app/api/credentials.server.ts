// Resolves the credential an agent names: tenant-scoped lookup, allowlist, usable status — cached briefly for the proxy's hot path.
import { LRUCache } from 'lru-cache';
import { matchesAllowlist, type AuthenticatedAgent } from '~/agents/agents.server';
import { onInvalidation } from '~/cluster/invalidation.server';
import { registerStatefulModule } from '~/cluster/stateful-modules.server';
import { statusNow } from '~/credentials/status';
import { prisma } from '~/db.server';
import { REFRESH_TOKEN_FIELD } from '~/jobs/refresh-schedule.server';
import type { CredentialStatus, CredentialType } from '~/generated/prisma/client';
import { ApiError } from './errors.server';

/**
 * The longest a cached row is trusted. Changes the proxy must see (status, settings, name, a new value,
 * deletion) clear the cache at once in every process (the Credential triggers of ADR 007); only a token
 * refresh, whose previous access token stays valid, waits for this.
 */
const CREDENTIAL_CACHE_TTL_MS = 1_000;

export interface AgentCredential {
  id: string;
  organizationId: string;
  name: string;
  service: string;
  type: CredentialType;
  status: CredentialStatus;
  statusCause: string | null;
  statusReason: string | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  username: string | null;
  settings: unknown;
  version: number;
  /** What the status is read with at request time (statusNow): the warning window, and a stored refresh token. */
  organization: { warningWindowDays: number };
  secrets: { field: string }[];
}

const select = {
  id: true,
  organizationId: true,
  name: true,
  service: true,
  type: true,
  status: true,
  statusCause: true,
  statusReason: true,
  expiresAt: true,
  lastUsedAt: true,
  username: true,
  settings: true,
  version: true,
  organization: { select: { warningWindowDays: true } },
  secrets: { where: { field: REFRESH_TOKEN_FIELD }, select: { field: true } },
} as const;

const cache = new LRUCache<string, AgentCredential | false>({ max: 10_000, ttl: CREDENTIAL_CACHE_TTL_MS });

export function clearCredentialCache(): void {
  cache.clear();
}

registerStatefulModule('api/credential-cache', import.meta.url);
onInvalidation('credentials', () => clearCredentialCache());

/**
 * The agent's organization's credential with this name. Another organization's credential is 404 exactly
 * like a missing one; one outside the agent's allowlist is 403.
 */
export async function credentialForAgent(agent: AuthenticatedAgent, name: string): Promise<AgentCredential> {
  const key = `${agent.organizationId}\u0000${name}`;
  let credential = cache.get(key);
  if (credential === undefined) {
    credential = (await prisma.credential.findUnique({ where: { organizationId_name: { organizationId: agent.organizationId, name } }, select })) ?? false;
    cache.set(key, credential);
  }
  if (!credential) throw new ApiError(404, 'credential_not_found', `No credential named "${name}" in this organization`);
  if (!matchesAllowlist(agent.allowedCredentials, credential.name)) {
    throw new ApiError(403, 'credential_not_allowed', `This agent is not allowed to use "${name}"`);
  }
  return credential;
}

/**
 * Throws 409 unless the credential can work right now: expired, disconnected, and needs-attention causes that
 * cannot work (revoked, rejected) are refused; an expiring key and an OAuth token whose refresh is overdue or
 * retrying are not (the proxy refreshes on use). Read at request time, so a lagging sweep changes nothing.
 */
export function assertUsable(credential: AgentCredential, now = new Date()): void {
  // The warning window only separates expiring from active, which are both usable.
  const read = statusNow(credential, { now, warningWindowDays: 0 });
  if (read.usable) return;
  const reason = read.reason ? `: ${read.reason}` : '';
  if (read.status === 'disconnected') throw new ApiError(409, 'credential_disconnected', `"${credential.name}" is disconnected${reason}`);
  if (read.status === 'expired') {
    throw new ApiError(409, 'credential_expired', `"${credential.name}" expired${reason || (credential.expiresAt ? ` on ${credential.expiresAt.toISOString()}` : '')}`);
  }
  throw new ApiError(409, 'credential_needs_attention', `"${credential.name}" needs attention${reason}`);
}
