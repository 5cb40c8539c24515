// Management API tokens (lkm_…): create, list, revoke, and authenticate one, with its role capped by its creator's membership.
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { recordAudit, type AuditActor, type AuditContext } from '~/audit/audit.server';
import { onInvalidation } from '~/cluster/invalidation.server';
import { registerStatefulModule } from '~/cluster/stateful-modules.server';
import { fieldErrorsFromZod } from '~/credentials/schemas';
import { prisma } from '~/db.server';
import { hashToken, newBearerToken } from './bearer-token.server';
import { allows, deniedMessage } from '~/orgs/permissions';
import { ROLES, ROLE_LABELS, type Role } from '~/orgs/roles';
import { MAX_TOKEN_DAYS } from './limits';

export { MAX_TOKEN_DAYS };

export const MANAGEMENT_TOKEN_PREFIX = 'lkm_';
/** How long an authenticated token is trusted from memory; revocation and membership changes clear it at once in every process (ADR 007). */
const AUTH_CACHE_TTL_MS = 2_000;

/** How much a role may do: a token's role is at most its creator's. */
const ROLE_RANK: Record<Role, number> = { owner: 3, admin: 2, member: 1, viewer: 0 };

export function lowerRole(a: Role, b: Role): Role {
  return ROLE_RANK[a] <= ROLE_RANK[b] ? a : b;
}

export function roleAtMost(role: Role, ceiling: Role): boolean {
  return ROLE_RANK[role] <= ROLE_RANK[ceiling];
}

export class ManagementTokenError extends Error {
  constructor(
    readonly code: 'not_found' | 'forbidden' | 'validation',
    message: string,
    readonly fieldErrors: Record<string, string[]> = {},
  ) {
    super(message);
    this.name = 'ManagementTokenError';
  }
}

/** What a person (or the admin script) asks for; the same schema serves the settings form and the API. */
export const managementTokenInputSchema = z.object({
  name: z
    .string({ error: 'Name is required' })
    .trim()
    .min(1, 'Name is required')
    .max(80, 'Keep the name under 80 characters')
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'The name cannot contain control characters'),
  role: z.enum(ROLES, { error: 'Choose a role: owner, admin, member or viewer' }).default('viewer'),
  reveal: z.boolean().default(false),
  /** Days until it stops working; absent or null: no expiry. */
  expiresInDays: z
    .number({ error: 'Enter a number of days' })
    .int('Enter a whole number of days')
    .min(1, 'At least 1 day')
    .max(MAX_TOKEN_DAYS, `At most ${MAX_TOKEN_DAYS} days`)
    .nullable()
    .default(null),
});
export type ManagementTokenInput = z.input<typeof managementTokenInputSchema>;

export const hashManagementToken = hashToken;

function generateManagementToken() {
  return newBearerToken(MANAGEMENT_TOKEN_PREFIX, 8);
}

/** Who creates or revokes a token: a member of the organization with their role. */
export interface TokenManager {
  organizationId: string;
  userId: string;
  role: Role;
  context: AuditContext;
}


function requireManager(actor: Pick<TokenManager, 'role'>): void {
  if (!allows(actor.role, 'api_token.manage')) throw new ManagementTokenError('forbidden', deniedMessage(actor.role, 'api_token.manage'));
}

export interface ManagementTokenView {
  id: string;
  name: string;
  role: Role;
  canReveal: boolean;
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  user: { id: string; name: string; email: string };
}

const viewSelect = {
  id: true,
  name: true,
  role: true,
  canReveal: true,
  prefix: true,
  createdAt: true,
  expiresAt: true,
  lastUsedAt: true,
  revokedAt: true,
  user: { select: { id: true, name: true, email: true } },
} as const;

/**
 * Creates a token acting for `actor.userId` in the organization. Its role is at most the creator's, and
 * `reveal` needs a role that may reveal. The token value is in the result only; the database keeps its SHA-256.
 */
export async function createManagementToken(
  actor: TokenManager,
  input: ManagementTokenInput,
  now = new Date(),
): Promise<{ token: string; view: ManagementTokenView }> {
  requireManager(actor);
  const parsed = managementTokenInputSchema.safeParse(input);
  if (!parsed.success) throw new ManagementTokenError('validation', 'Check the highlighted fields', fieldErrorsFromZod(parsed.error));
  const { name, role, reveal, expiresInDays } = parsed.data;
  if (!roleAtMost(role, actor.role)) {
    throw new ManagementTokenError('validation', 'Check the highlighted fields', {
      role: [`A token’s role can be at most your own (${ROLE_LABELS[actor.role]})`],
    });
  }
  if (reveal && !allows(role, 'credential.reveal')) {
    throw new ManagementTokenError('validation', 'Check the highlighted fields', {
      reveal: [`Only an owner or admin token can reveal values; this one is ${ROLE_LABELS[role]}`],
    });
  }
  const { token, tokenHash, prefix } = generateManagementToken();
  const expiresAt = expiresInDays === null ? null : new Date(now.getTime() + expiresInDays * 86_400_000);
  const view = await prisma.$transaction(async (tx) => {
    const created = await tx.managementToken.create({
      data: { organizationId: actor.organizationId, userId: actor.userId, name, role, canReveal: reveal, tokenHash, prefix, expiresAt },
      select: viewSelect,
    });
    await recordAudit(tx, {
      organizationId: actor.organizationId,
      context: actor.context,
      action: 'api_token.create',
      targetType: 'api_token',
      targetId: created.id,
      details: { name, role, reveal, prefix, expiresAt: expiresAt?.toISOString() ?? null },
    });
    return created;
  });
  return { token, view };
}

export async function listManagementTokens(organizationId: string): Promise<ManagementTokenView[]> {
  return prisma.managementToken.findMany({
    where: { organizationId },
    select: viewSelect,
    orderBy: [{ revokedAt: { sort: 'desc', nulls: 'first' } }, { createdAt: 'desc' }],
  });
}

/** Revokes one token of the organization (by id); refused in every process at once. Revoking twice is a no-op. */
export async function revokeManagementToken(actor: TokenManager, tokenId: string): Promise<void> {
  requireManager(actor);
  if (!z.guid().safeParse(tokenId).success) throw new ManagementTokenError('not_found', 'Token not found');
  await prisma.$transaction(async (tx) => {
    const row = await tx.managementToken.findFirst({ where: { id: tokenId, organizationId: actor.organizationId } });
    if (!row) throw new ManagementTokenError('not_found', 'Token not found');
    if (row.revokedAt) return;
    await tx.managementToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() } });
    await recordAudit(tx, {
      organizationId: actor.organizationId,
      context: actor.context,
      action: 'api_token.revoke',
      targetType: 'api_token',
      targetId: tokenId,
      details: { name: row.name, prefix: row.prefix },
    });
  });
  clearManagementAuthCache();
}

/** A management token that authenticated: who it acts for and with what. */
export interface ManagementPrincipal {
  tokenId: string;
  tokenName: string;
  prefix: string;
  organizationId: string;
  organizationSlug: string;
  userId: string;
  userName: string;
  userEmail: string;
  /** The lower of the token's role and its creator's current role. */
  role: Role;
  /** Reveal needs the token's permission and a role that may reveal. */
  canReveal: boolean;
  expiresAt: Date | null;
}

/** The audit actor of an action taken with this token: the token itself, labelled with its name, prefix and person. */
export function managementAuditActor(principal: ManagementPrincipal): AuditActor {
  return { type: 'api_token', id: principal.tokenId, label: `API token “${principal.tokenName}” (${principal.prefix}…) of ${principal.userEmail}` };
}

const authCache = new LRUCache<string, ManagementPrincipal | false>({ max: 10_000, ttl: AUTH_CACHE_TTL_MS });
let authGeneration = 0;

registerStatefulModule('tokens/management-auth-cache', import.meta.url);
onInvalidation('api-tokens', () => clearManagementAuthCache());

export function clearManagementAuthCache(): void {
  authGeneration += 1;
  authCache.clear();
}

/** The `lkm_…` token of an `Authorization: Bearer` header, or null. */
export function managementBearer(header: string | undefined | null): string | null {
  const match = header ? /^Bearer\s+(lkm_\S+)\s*$/i.exec(header) : null;
  return match ? match[1]! : null;
}

/**
 * The principal behind a management token, or null when it is unknown, revoked, expired, or its creator is no
 * longer a member of the organization. Only the SHA-256 is looked up; results are cached briefly.
 */
export async function authenticateManagementToken(token: string, now = new Date()): Promise<ManagementPrincipal | null> {
  const tokenHash = hashManagementToken(token);
  let cached = authCache.get(tokenHash);
  if (cached === undefined) {
    const generation = authGeneration;
    cached = await lookupManagementToken(tokenHash);
    if (generation === authGeneration) authCache.set(tokenHash, cached);
  }
  if (!cached) return null;
  if (cached.expiresAt && cached.expiresAt.getTime() <= now.getTime()) return null;
  return cached;
}

async function lookupManagementToken(tokenHash: string): Promise<ManagementPrincipal | false> {
  const row = await prisma.managementToken.findUnique({
    where: { tokenHash },
    select: {
      id: true,
      name: true,
      prefix: true,
      role: true,
      canReveal: true,
      expiresAt: true,
      revokedAt: true,
      organizationId: true,
      organization: { select: { slug: true } },
      user: { select: { id: true, name: true, email: true, memberships: { select: { organizationId: true, role: true } } } },
    },
  });
  if (!row || row.revokedAt) return false;
  const membership = row.user.memberships.find((m) => m.organizationId === row.organizationId);
  if (!membership) return false;
  const role = lowerRole(row.role, membership.role);
  // "last used" at minute granularity, off the request path.
  void prisma.managementToken
    .updateMany({ where: { id: row.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(Date.now() - 60_000) } }] }, data: { lastUsedAt: new Date() } })
    .catch(() => undefined);
  return {
    tokenId: row.id,
    tokenName: row.name,
    prefix: row.prefix,
    organizationId: row.organizationId,
    organizationSlug: row.organization.slug,
    userId: row.user.id,
    userName: row.user.name,
    userEmail: row.user.email,
    role,
    canReveal: row.canReveal && allows(role, 'credential.reveal'),
    expiresAt: row.expiresAt,
  };
}
