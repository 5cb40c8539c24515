// Management API tokens against the real database: role ceilings, reveal, the value shown once, last use, revocation, expiry and membership changes.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemAuditContext } from '~/audit/audit.server';
import { createMember } from '~/auth/test-helpers';
import { startInvalidationListener, type InvalidationListener } from '~/cluster/invalidation.server';
import { prisma } from '~/db.server';
import type { Role } from '~/orgs/roles';
import { createTestOrg } from '~/api/test-support';
import { query, testDatabaseUrl } from '../../test/db';
import {
  authenticateManagementToken,
  createManagementToken,
  hashManagementToken,
  listManagementTokens,
  ManagementTokenError,
  revokeManagementToken,
  type TokenManager,
} from './management-tokens.server';

let listener: InvalidationListener;
let organizationId: string;
let slug: string;
let owner: TokenManager;

beforeAll(async () => {
  // Membership changes reach the token cache the way they do in production: a NOTIFY from the database trigger.
  listener = startInvalidationListener({ databaseUrl: testDatabaseUrl(), logger: pino({ level: 'silent' }), minRetryMs: 20, maxRetryMs: 100 });
  await listener.ready;
  const org = await createTestOrg();
  organizationId = org.id;
  slug = (await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).slug;
  owner = { organizationId, userId: org.actor.userId, role: 'owner', context: systemAuditContext('test') };
});

afterAll(async () => {
  await listener?.close();
});

/** A new member of the organization with `role`, as a token manager. */
async function manager(role: Role): Promise<TokenManager & { membershipId: string }> {
  const person = await createMember(slug, role);
  return { organizationId, userId: person.userId, role, context: systemAuditContext('test'), membershipId: person.membershipId };
}

async function refusal(run: () => Promise<unknown>): Promise<ManagementTokenError> {
  const error = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ManagementTokenError);
  return error as ManagementTokenError;
}

/** Waits until `check` holds (the last-used write and cache invalidations happen off the request path). */
async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('creating a token', () => {
  it('an admin asking for an owner token gets a field error on role, and no token is made', async () => {
    const admin = await manager('admin');
    const error = await refusal(() => createManagementToken(admin, { name: 'too much', role: 'owner' }));
    expect(error.code).toBe('validation');
    expect(error.fieldErrors.role?.[0]).toMatch(/at most your own \(Admin\)/);
    expect(await prisma.managementToken.count({ where: { organizationId, name: 'too much' } })).toBe(0);
    const { view } = await createManagementToken(admin, { name: 'admin level', role: 'admin', reveal: true });
    expect(view).toMatchObject({ role: 'admin', canReveal: true });
  });

  it('reveal is refused for member and viewer tokens with a field error on reveal', async () => {
    for (const role of ['member', 'viewer'] as const) {
      const error = await refusal(() => createManagementToken(owner, { name: `reveal ${role}`, role, reveal: true }));
      expect(error.fieldErrors.reveal?.[0]).toMatch(/Only an owner or admin token can reveal values/);
    }
  });

  it('members and viewers cannot create tokens at all', async () => {
    for (const role of ['member', 'viewer'] as const) {
      const error = await refusal(async () => createManagementToken(await manager(role), { name: 'nope' }));
      expect(error.code).toBe('forbidden');
    }
  });

  it('the value is returned once and never stored: only its SHA-256 is in the table, and the audit rows do not hold it', async () => {
    const { token, view } = await createManagementToken(owner, { name: 'shown once', role: 'viewer', expiresInDays: 30 });
    expect(token).toMatch(/^lkm_[A-Za-z0-9_-]{43}$/);
    expect(view.prefix).toBe(token.slice(0, 12));
    const [row] = await query(testDatabaseUrl(), `SELECT row_to_json(t)::text AS row FROM "ManagementToken" t WHERE id = $1`, [view.id]);
    expect(row!.row).not.toContain(token);
    expect(row!.row).not.toContain(token.slice(12));
    expect(row!.row).toContain(hashManagementToken(token));
    const audit = await query(testDatabaseUrl(), `SELECT row_to_json(a)::text AS row FROM "AuditEvent" a WHERE "organizationId" = $1`, [organizationId]);
    expect(audit.length).toBeGreaterThan(0);
    for (const { row: text } of audit) expect(text).not.toContain(token.slice(12));
    // Nothing in the listing can give it back either.
    expect(JSON.stringify(await listManagementTokens(organizationId))).not.toContain(token.slice(12));
  });

  it('every create and revoke writes an audit row', async () => {
    const { view } = await createManagementToken(owner, { name: 'audited', role: 'member', expiresInDays: 7 });
    await revokeManagementToken(owner, view.id);
    const rows = await prisma.auditEvent.findMany({ where: { organizationId, targetId: view.id }, orderBy: { seq: 'asc' } });
    expect(rows.map((r) => r.action)).toEqual(['api_token.create', 'api_token.revoke']);
    expect(rows[0]!.details).toMatchObject({ name: 'audited', role: 'member', reveal: false, prefix: view.prefix });
    // Revoking again changes nothing and writes nothing.
    await revokeManagementToken(owner, view.id);
    expect(await prisma.auditEvent.count({ where: { organizationId, targetId: view.id } })).toBe(2);
  });
});

describe('using a token', () => {
  it('is listed with its last use after an authenticated use', async () => {
    const { token, view } = await createManagementToken(owner, { name: 'used', role: 'admin' });
    expect((await listManagementTokens(organizationId)).find((t) => t.id === view.id)!.lastUsedAt).toBeNull();
    const principal = await authenticateManagementToken(token);
    expect(principal).toMatchObject({ tokenId: view.id, organizationId, organizationSlug: slug, userId: owner.userId, role: 'admin', canReveal: false });
    await eventually(async () => (await listManagementTokens(organizationId)).find((t) => t.id === view.id)!.lastUsedAt !== null, 3_000);
  });

  it('a revoked token is refused right after the revoke, even though it was just used', async () => {
    const { token, view } = await createManagementToken(owner, { name: 'revoked', role: 'viewer' });
    expect(await authenticateManagementToken(token)).not.toBeNull();
    await revokeManagementToken(owner, view.id);
    expect(await authenticateManagementToken(token)).toBeNull();
    const listed = (await listManagementTokens(organizationId)).find((t) => t.id === view.id)!;
    expect(listed.revokedAt).not.toBeNull();
  });

  it('an expired token is refused', async () => {
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    const { token, view } = await createManagementToken(owner, { name: 'expired', role: 'viewer', expiresInDays: 1 }, twoDaysAgo);
    expect(view.expiresAt!.getTime()).toBeLessThan(Date.now());
    expect(await authenticateManagementToken(token)).toBeNull();
    const live = await createManagementToken(owner, { name: 'expires later', role: 'viewer', expiresInDays: 1 });
    expect(await authenticateManagementToken(live.token)).not.toBeNull();
    expect(await authenticateManagementToken(live.token, new Date(Date.now() + 2 * 86_400_000))).toBeNull();
  });

  it('a token whose creator was demoted acts with the lower role (and loses reveal)', async () => {
    const admin = await manager('admin');
    const { token } = await createManagementToken(admin, { name: 'demoted', role: 'admin', reveal: true });
    expect(await authenticateManagementToken(token)).toMatchObject({ role: 'admin', canReveal: true });
    await prisma.membership.update({ where: { id: admin.membershipId }, data: { role: 'viewer' } });
    // Within the cache's lifetime: the membership trigger's notification clears it.
    await eventually(async () => (await authenticateManagementToken(token))?.role === 'viewer', 1_500);
    expect(await authenticateManagementToken(token)).toMatchObject({ role: 'viewer', canReveal: false });
  });

  it('a token whose creator left the organization is refused', async () => {
    const admin = await manager('admin');
    const { token } = await createManagementToken(admin, { name: 'left', role: 'member' });
    expect(await authenticateManagementToken(token)).not.toBeNull();
    await prisma.membership.delete({ where: { id: admin.membershipId } });
    await eventually(async () => (await authenticateManagementToken(token)) === null, 1_500);
  });

  it('an unknown token and another organization’s token id are refused', async () => {
    expect(await authenticateManagementToken('lkm_not-a-real-token')).toBeNull();
    const other = await createTestOrg();
    const { view } = await createManagementToken(owner, { name: 'ours', role: 'viewer' });
    const stranger: TokenManager = { organizationId: other.id, userId: other.actor.userId, role: 'owner', context: systemAuditContext('test') };
    expect((await refusal(() => revokeManagementToken(stranger, view.id))).code).toBe('not_found');
    expect((await refusal(() => revokeManagementToken(owner, 'not-an-id'))).code).toBe('not_found');
  });
});
