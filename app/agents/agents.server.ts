// Agents and their tokens: create, rotate, revoke, authenticate a bearer token, and who depends on a credential.
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { recordAudit, type AuditContext } from '~/audit/audit.server';
import { onInvalidation } from '~/cluster/invalidation.server';
import { registerStatefulModule } from '~/cluster/stateful-modules.server';
import { prisma } from '~/db.server';
import { hashToken, newBearerToken } from '~/tokens/bearer-token.server';
import { allows, deniedMessage } from '~/orgs/permissions';
import type { Role } from '~/orgs/roles';
import type { Prisma } from '~/generated/prisma/client';
import { matchesAllowlist } from './allowlist';

export { matchesAllowlist, parseAllowlist } from './allowlist';

export const TOKEN_PREFIX = 'lk_';
/**
 * How long an authenticated token is trusted from memory. Revocations clear it at once: in this process
 * by the calls below, in every process by the trigger-sent invalidation (app/cluster/invalidation.server.ts).
 */
const AUTH_CACHE_TTL_MS = 2_000;

const allowPattern = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_:*-]+$/, 'Use credential names with letters, digits, -, _, : and * as a wildcard');

export const agentInputSchema = z
  .object({
    name: z
      .string({ error: 'Name is required' })
      .trim()
      .min(1, 'Name is required')
      .max(80, 'Keep the name under 80 characters')
      .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'Use letters, digits, spaces, dots, - and _'),
    description: z.string().trim().max(500, 'Keep the description under 500 characters').default(''),
    allowedCredentials: z.array(allowPattern).max(100, 'At most 100 patterns').default([]),
    /** The allowlist patterns in mode "deliver" (the agent receives the value); the rest are proxy-only. */
    deliverCredentials: z.array(allowPattern).max(100, 'At most 100 patterns').default([]),
  })
  .superRefine((input, ctx) => {
    for (const pattern of new Set(input.deliverCredentials)) {
      if (!input.allowedCredentials.includes(pattern)) {
        ctx.addIssue({ code: 'custom', path: ['deliverCredentials'], message: `“${pattern}” is set to Deliver but is not in the allowlist` });
      }
    }
  })
  // Deliver patterns once each, so the stored set and its audit diff have no duplicates.
  .transform((input) => ({ ...input, deliverCredentials: [...new Set(input.deliverCredentials)] }));
export type AgentInput = z.input<typeof agentInputSchema>;

export class AgentError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'validation' | 'forbidden',
    message: string,
    readonly fieldErrors: Record<string, string[]> = {},
  ) {
    super(message);
    this.name = 'AgentError';
  }
}


export { hashToken };

/** `lk_` + 32 random bytes in base64url; the value is returned once and never stored. */
export function generateToken(): { token: string; tokenHash: string; prefix: string } {
  return newBearerToken(TOKEN_PREFIX, 6);
}

export interface AgentActor {
  organizationId: string;
  /** The acting person's role (the role matrix decides: app/orgs/permissions.ts). */
  role: Role;
  context: AuditContext;
}

function requireAgentManager(actor: AgentActor): void {
  if (!allows(actor.role, 'agent.manage')) throw new AgentError('forbidden', deniedMessage(actor.role, 'agent.manage'));
}

function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? 'form');
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

/** Creates an agent with a first token; the token value is in the result only. */
export async function createAgent(actor: AgentActor & { userId?: string | null }, input: AgentInput) {
  requireAgentManager(actor);
  const parsed = agentInputSchema.safeParse(input);
  if (!parsed.success) throw new AgentError('validation', 'Check the highlighted fields', fieldErrorsOf(parsed.error));
  const { token, tokenHash, prefix } = generateToken();
  try {
    const agent = await prisma.$transaction(async (tx) => {
      const agent = await tx.agent.create({
        data: { organizationId: actor.organizationId, ...parsed.data, createdById: actor.userId ?? null },
      });
      await tx.agentToken.create({ data: { agentId: agent.id, tokenHash, prefix } });
      await recordAudit(tx, {
        organizationId: actor.organizationId,
        context: actor.context,
        action: 'agent.create',
        targetType: 'agent',
        targetId: agent.id,
        details: { name: agent.name, allowlist: agent.allowedCredentials, deliver: agent.deliverCredentials },
      });
      return agent;
    });
    return { agent, token };
  } catch (error) {
    if ((error as { code?: string }).code === 'P2002') {
      throw new AgentError('conflict', 'An agent with this name already exists', { name: ['An agent with this name already exists'] });
    }
    throw error;
  }
}

/** Ids come from URLs and forms: one that is not a uuid names no agent (PostgreSQL would refuse to compare it: a 500). */
function requireIds(...ids: string[]): void {
  if (!ids.every((id) => z.guid().safeParse(id).success)) throw new AgentError('not_found', 'Agent not found');
}

export async function updateAgent(actor: AgentActor, agentId: string, input: AgentInput) {
  requireAgentManager(actor);
  requireIds(agentId);
  const parsed = agentInputSchema.safeParse(input);
  if (!parsed.success) throw new AgentError('validation', 'Check the highlighted fields', fieldErrorsOf(parsed.error));
  const agent = await prisma.$transaction(async (tx) => {
    const found = await tx.agent.findFirst({ where: { id: agentId, organizationId: actor.organizationId } });
    if (!found) throw new AgentError('not_found', 'Agent not found');
    const agent = await tx.agent.update({ where: { id: agentId }, data: parsed.data });
    await recordAudit(tx, {
      organizationId: actor.organizationId,
      context: actor.context,
      action: 'agent.update',
      targetType: 'agent',
      targetId: agent.id,
      details: { name: agent.name, allowlist: agent.allowedCredentials, deliver: agent.deliverCredentials },
    });
    // Who may receive values is the change a reviewer looks for: it gets a row of its own.
    const added = agent.deliverCredentials.filter((p) => !found.deliverCredentials.includes(p));
    const removed = found.deliverCredentials.filter((p) => !agent.deliverCredentials.includes(p));
    if (added.length > 0 || removed.length > 0) {
      await recordAudit(tx, {
        organizationId: actor.organizationId,
        context: actor.context,
        action: 'agent.delivery_change',
        targetType: 'agent',
        targetId: agent.id,
        details: { name: agent.name, added, removed },
      });
    }
    return agent;
  });
  clearAgentAuthCache();
  return agent;
}

/** Issues a new token and revokes every earlier one of the agent. */
export async function rotateAgentToken(actor: AgentActor, agentId: string): Promise<{ token: string; prefix: string }> {
  requireAgentManager(actor);
  requireIds(agentId);
  const { token, tokenHash, prefix } = generateToken();
  await prisma.$transaction(async (tx) => {
    const agent = await tx.agent.findFirst({ where: { id: agentId, organizationId: actor.organizationId } });
    if (!agent) throw new AgentError('not_found', 'Agent not found');
    await tx.agentToken.updateMany({ where: { agentId, revokedAt: null }, data: { revokedAt: new Date() } });
    await tx.agentToken.create({ data: { agentId, tokenHash, prefix } });
    await recordAudit(tx, {
      organizationId: actor.organizationId,
      context: actor.context,
      action: 'agent.token_rotate',
      targetType: 'agent',
      targetId: agentId,
      details: { name: agent.name, prefix },
    });
  });
  clearAgentAuthCache();
  return { token, prefix };
}

export async function revokeAgentToken(actor: AgentActor, agentId: string, tokenId: string): Promise<void> {
  requireAgentManager(actor);
  requireIds(agentId, tokenId);
  await revokeToken(actor, agentId, { id: tokenId });
}

/** Revokes the agent's token with this prefix (how the API names a token: its value is never stored). */
export async function revokeAgentTokenByPrefix(actor: AgentActor, agentId: string, prefix: string): Promise<void> {
  requireAgentManager(actor);
  requireIds(agentId);
  await revokeToken(actor, agentId, { prefix });
}

async function revokeToken(actor: AgentActor, agentId: string, token: { id: string } | { prefix: string }): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const row = await tx.agentToken.findFirst({
      where: { ...token, agentId, agent: { organizationId: actor.organizationId } },
      include: { agent: { select: { name: true } } },
      // Two tokens of one agent sharing a prefix is a 1 in 64^6 chance; the live, newest one is meant.
      orderBy: [{ revokedAt: { sort: 'asc', nulls: 'first' } }, { createdAt: 'desc' }],
    });
    if (!row) throw new AgentError('not_found', 'Token not found');
    if (!row.revokedAt) await tx.agentToken.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
    await recordAudit(tx, {
      organizationId: actor.organizationId,
      context: actor.context,
      action: 'agent.token_revoke',
      targetType: 'agent',
      targetId: agentId,
      details: { name: row.agent.name, prefix: row.prefix },
    });
  });
  clearAgentAuthCache();
}

export async function deleteAgent(actor: AgentActor, agentId: string): Promise<void> {
  requireAgentManager(actor);
  requireIds(agentId);
  await prisma.$transaction(async (tx) => {
    const agent = await tx.agent.findFirst({ where: { id: agentId, organizationId: actor.organizationId } });
    if (!agent) throw new AgentError('not_found', 'Agent not found');
    await tx.agent.delete({ where: { id: agentId } });
    await recordAudit(tx, {
      organizationId: actor.organizationId,
      context: actor.context,
      action: 'agent.delete',
      targetType: 'agent',
      targetId: agentId,
      details: { name: agent.name },
    });
  });
  clearAgentAuthCache();
}

export interface AuthenticatedAgent {
  id: string;
  name: string;
  organizationId: string;
  allowPrivateHosts: boolean;
  allowedCredentials: string[];
  /** The allowlist patterns whose credentials the agent may receive as values (see mayDeliver). */
  deliverCredentials: string[];
  tokenId: string;
}

const authCache = new LRUCache<string, AuthenticatedAgent>({ max: 10_000, ttl: AUTH_CACHE_TTL_MS });
const authInFlight = new Map<string, Promise<AuthenticatedAgent | null>>();
/** Bumped by every clear, so a lookup that started before a revocation neither caches nor is shared after it. */
let authGeneration = 0;

registerStatefulModule('agents/auth-cache', import.meta.url);
// Tokens, allowlists, agents and the private-hosts setting changed anywhere (any process, any writer).
onInvalidation('agents', () => clearAgentAuthCache());

/** Forgets every cached authentication (after a revocation, or in tests). */
export function clearAgentAuthCache(): void {
  authGeneration += 1;
  authInFlight.clear();
  authCache.clear();
}

/** The token in `Bearer <token>` (any case), or null. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  // "token" is how GitHub clients (Octokit) send a token; it is accepted as a synonym of Bearer.
  const match = /^(?:Bearer|token)\s+(\S+)\s*$/i.exec(header);
  return match && match[1]!.startsWith(TOKEN_PREFIX) ? match[1]! : null;
}

/**
 * The agent behind an `Authorization: Bearer lk_…` header, or null for a missing, unknown or revoked token.
 * Only the token's SHA-256 is looked up; results are cached for AUTH_CACHE_TTL_MS.
 */
export async function authenticateAgent(authorizationHeader: string | undefined | null): Promise<AuthenticatedAgent | null> {
  const token = bearerToken(authorizationHeader);
  if (!token) return null;
  const tokenHash = hashToken(token);
  const cached = authCache.get(tokenHash);
  if (cached) return cached;
  // Concurrent requests with the same token share one lookup (no burst of identical queries when the entry expires).
  let pending = authInFlight.get(tokenHash);
  if (!pending) {
    const lookup: Promise<AuthenticatedAgent | null> = lookupAgent(tokenHash, authGeneration).finally(() => {
      if (authInFlight.get(tokenHash) === lookup) authInFlight.delete(tokenHash);
    });
    authInFlight.set(tokenHash, lookup);
    pending = lookup;
  }
  return pending;
}

async function lookupAgent(tokenHash: string, generation: number): Promise<AuthenticatedAgent | null> {
  const row = await prisma.agentToken.findUnique({
    where: { tokenHash },
    select: {
      id: true,
      revokedAt: true,
      agent: {
        select: {
          id: true,
          name: true,
          organizationId: true,
          allowedCredentials: true,
          deliverCredentials: true,
          organization: { select: { allowPrivateHosts: true } },
        },
      },
    },
  });
  if (!row || row.revokedAt) return null;
  const agent: AuthenticatedAgent = {
    id: row.agent.id,
    name: row.agent.name,
    organizationId: row.agent.organizationId,
    allowedCredentials: row.agent.allowedCredentials,
    deliverCredentials: row.agent.deliverCredentials,
    allowPrivateHosts: row.agent.organization.allowPrivateHosts,
    tokenId: row.id,
  };
  // A revocation that cleared the cache while this lookup ran may have come after the row was read: do not cache it.
  if (generation === authGeneration) authCache.set(tokenHash, agent);
  // Token "last used" at minute granularity: one cheap write per minute per token, off the request path.
  void prisma.agentToken
    .updateMany({ where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(Date.now() - 60_000) } }] }, data: { lastUsedAt: new Date() } })
    .catch(() => undefined);
  return agent;
}

/** The organization's agents whose allowlist matches this credential's name ("N agents will lose access"). */
export async function agentsDependingOn(credential: { organizationId: string; name: string }) {
  const agents = await prisma.agent.findMany({
    where: { organizationId: credential.organizationId },
    select: { id: true, name: true, allowedCredentials: true, lastUsedAt: true },
    orderBy: { name: 'asc' },
  });
  return agents.filter((a) => matchesAllowlist(a.allowedCredentials, credential.name)).map(({ id, name, lastUsedAt }) => ({ id, name, lastUsedAt }));
}

export async function listAgents(organizationId: string) {
  return prisma.agent.findMany({
    where: { organizationId },
    orderBy: { name: 'asc' },
    include: {
      tokens: { where: { revokedAt: null }, select: { id: true, prefix: true, createdAt: true, lastUsedAt: true } },
      _count: { select: { usages: true } },
    },
  });
}

/** What the agent page and the API show of one agent: every token (newest first) and its use of each credential. */
const agentDetailInclude = {
  tokens: { orderBy: { createdAt: 'desc' }, select: { id: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true } },
  usages: {
    orderBy: { lastUsedAt: 'desc' },
    select: { lastUsedAt: true, useCount: true, credential: { select: { id: true, name: true, service: true, status: true } } },
  },
} satisfies Prisma.AgentInclude;

export async function getAgent(organizationId: string, agentId: string) {
  requireIds(agentId);
  const agent = await prisma.agent.findFirst({ where: { id: agentId, organizationId }, include: agentDetailInclude });
  if (!agent) throw new AgentError('not_found', 'Agent not found');
  return agent;
}

/** The same as getAgent, by the agent's name (unique in its organization): the API addresses agents by name. */
export async function agentByName(organizationId: string, name: string) {
  const agent = await prisma.agent.findFirst({ where: { organizationId, name }, include: agentDetailInclude });
  if (!agent) throw new AgentError('not_found', 'Agent not found');
  return agent;
}

/**
 * The allowlist entries that match no credential of the organization yet (a typo such as `opnai`,
 * or a credential still to be added): a warning, never an error. One query, however many entries;
 * `*` becomes LIKE's `%`; LIKE's own `_`, `%` and `\` are escaped so they match only themselves.
 */
export async function unmatchedAllowlistEntries(organizationId: string, patterns: readonly string[]): Promise<string[]> {
  if (patterns.length === 0) return [];
  // Backslashes are doubled for the template literal: SQL receives '\', '\\', '\%' and '\_'.
  const rows = await prisma.$queryRaw<{ pattern: string }[]>`
    SELECT p AS pattern FROM unnest(${[...patterns]}::text[]) WITH ORDINALITY AS t(p, n)
    WHERE NOT EXISTS (
      SELECT 1 FROM "Credential" c
      WHERE c."organizationId" = ${organizationId}::uuid
        AND c.name LIKE replace(replace(replace(replace(t.p, '\\', '\\\\'), '%', '\\%'), '_', '\\_'), '*', '%') ESCAPE '\\'
    )
    ORDER BY n`;
  return rows.map((r) => r.pattern);
}

/** How many credential names the allowlist input offers as you type. */
export const NAME_SUGGESTIONS_LIMIT = 500;

/** The organization's credential names for the allowlist input; `complete` is false when there are more than the limit. */
export async function credentialNameSuggestions(organizationId: string): Promise<{ names: string[]; complete: boolean }> {
  const rows = await prisma.credential.findMany({
    where: { organizationId },
    select: { name: true },
    orderBy: { name: 'asc' },
    take: NAME_SUGGESTIONS_LIMIT + 1,
  });
  return { names: rows.slice(0, NAME_SUGGESTIONS_LIMIT).map((r) => r.name), complete: rows.length <= NAME_SUGGESTIONS_LIMIT };
}
