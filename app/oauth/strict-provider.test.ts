// OAuth refresh against a strict, independent provider (oidc-provider with rotation and reuse detection): the in-flight
// marker, agent requests beside a dead worker's lease, and the on-use lead of short-lived tokens.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { prisma } from '~/db.server';
import { createOrg, createStrictOAuthCredential, createStrictProviderApp, type OrgFixture } from '~/jobs/test-support';
import { closeQueues } from '~/queue/queue.server';
import { readCredentialSecret } from '~/vault/vault.server';
import { startStrictOidcProvider, type StrictOidcProvider } from '../../test/strict-oidc-provider';
import { refreshScheduled } from './refresh-batch.server';
import { accessTokenForUse, refreshCredential } from './refresh.server';

/** What the proxy asks for (app/api/proxy.server.ts: oauthLeadMs). */
const PROXY_LEAD_MS = 60_000;

let op: StrictOidcProvider;
let org: OrgFixture;
let appId: string;

beforeAll(async () => {
  op = await startStrictOidcProvider({ accessTokenTtl: 20 });
  org = await createOrg();
  appId = await createStrictProviderApp(org, op);
});

afterEach(() => {
  vi.useRealTimers();
  op.options.tokenDelayMs = 0;
  op.options.reuseGraceSeconds = 0;
});

afterAll(async () => {
  await closeQueues();
  await op.close();
});

const refreshRequests = (since: number) => op.tokenRequests.slice(since).filter((r) => r.grantType === 'refresh_token');

async function storedAccessToken(credentialId: string) {
  return (await readCredentialSecret(org.organizationId, credentialId, 'access_token')).toString('utf8');
}

async function storedRefreshToken(credentialId: string) {
  return (await readCredentialSecret(org.organizationId, credentialId, 'refresh_token')).toString('utf8');
}

/** Resolves with the outcome, or with 'still waiting' after `ms`: a bound that does not hang the test on the old code. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  return Promise.race([promise, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms))]);
}

/** Runs a refresh and reads the row while its token request is in flight and after: the marker is set, then cleared. */
async function markerAround(credentialId: string, run: () => Promise<unknown>) {
  const before = op.tokenRequests.length;
  const refresh = run();
  await vi.waitFor(() => expect(op.tokenRequests.length).toBeGreaterThan(before), { timeout: 5_000, interval: 5 });
  const during = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
  expect(during.refreshRequestStartedAt).toBeInstanceOf(Date);
  await expect(refresh).resolves.toMatchObject({ outcome: 'refreshed' });
  const after = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
  expect(after.refreshRequestStartedAt).toBeNull();
  return { during, after };
}

describe('the in-flight marker of a refresh-token request', () => {
  it('is committed before the token request is sent and cleared when the answer is stored (one at a time)', async () => {
    const cred = await createStrictOAuthCredential(org, op, appId, { expiresInMs: 3_000 });
    op.options.tokenDelayMs = 400;
    const { during, after } = await markerAround(cred.id, () => refreshCredential(cred.id));
    expect(after.version).toBe(during.version + 1);
  });

  it('is committed before the token request is sent and cleared when the answer is stored (shared batches)', async () => {
    const cred = await createStrictOAuthCredential(org, op, appId, { expiresInMs: 3_000 });
    const runAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    await prisma.credential.update({ where: { id: cred.id }, data: { nextRefreshAt: runAt } });
    op.options.tokenDelayMs = 400;
    await markerAround(cred.id, () =>
      refreshScheduled({
        credentialId: cred.id,
        runAt: runAt.getTime(),
        forExpiry: cred.expiresAt.getTime(),
        dueBefore: cred.expiresAt.getTime(),
        context: { actor: { type: 'system', id: null, label: 'test' }, ip: null, userAgent: null },
      }),
    );
  });

  it('a refresh whose answer was lost is retried within the reuse grace and access survives', async () => {
    op.options.reuseGraceSeconds = 30;
    const cred = await createStrictOAuthCredential(org, op, appId, { expiresInMs: 3_000 });
    // The provider rotates; the answer is lost on the way (a reset): transient, and the marker stays.
    op.loseNextTokenAnswers();
    await expect(refreshCredential(cred.id)).rejects.toMatchObject({ kind: 'transient' });
    const lost = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(lost.refreshRequestStartedAt).toBeInstanceOf(Date);
    expect(await op.refreshTokenState(cred.refreshToken)).toBe('active'); // rotated, but still inside the grace
    await expect(refreshCredential(cred.id)).resolves.toMatchObject({ outcome: 'refreshed' });
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(row).toMatchObject({ status: 'active', refreshRequestStartedAt: null, version: lost.version + 1 });
    op.options.reuseGraceSeconds = 0;
    expect(await op.refreshTokenState(await storedRefreshToken(cred.id))).toBe('active');
    expect(op.revokedGrants).toHaveLength(0);
  });

  it('a refresh whose answer was lost, replayed past the reuse grace: needs attention, saying the refresh was interrupted, audited', async () => {
    const cred = await createStrictOAuthCredential(org, op, appId, { expiresInMs: 3_000 });
    op.loseNextTokenAnswers();
    await expect(refreshCredential(cred.id)).rejects.toMatchObject({ kind: 'transient' });
    const lost = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(await op.refreshTokenState(cred.refreshToken)).toBe('consumed');
    // No grace at this provider: the retry replays the rotated token, and the provider revokes the grant.
    const revoked = op.revokedGrants.length;
    await expect(refreshCredential(cred.id)).rejects.toMatchObject({ kind: 'permanent' });
    expect(op.revokedGrants.length).toBe(revoked + 1);
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    const at = lost.refreshRequestStartedAt!.toISOString().slice(0, 19).replace('T', ' ');
    expect(row).toMatchObject({
      status: 'needs_attention',
      statusCause: 'refresh_reuse_revoked',
      statusReason: `A refresh was interrupted at ${at} UTC and the provider then revoked the grant as token reuse. Reconnect to restore access.`,
      refreshRequestStartedAt: null,
      nextRefreshAt: null,
    });
    const audit = await prisma.auditEvent.findMany({ where: { credentialId: cred.id }, select: { action: true, details: true } });
    expect(audit).toContainEqual({ action: 'credential.status_changed', details: expect.objectContaining({ to: 'needs_attention', reason: row.statusReason }) });
    expect(audit).toContainEqual({
      action: 'credential.refresh_failed',
      details: expect.objectContaining({ kind: 'permanent', cause: 'refresh_reuse_revoked', interruptedAt: lost.refreshRequestStartedAt!.toISOString() }),
    });
  });

  it('a refused refresh without an interrupted one before it reads as a revoked grant, not as token reuse', async () => {
    const cred = await createStrictOAuthCredential(org, op, appId, { expiresInMs: 3_000 });
    // The person revoked the app at the provider.
    const revoke = await fetch(op.revocationUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${op.clientId}:${op.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: cred.refreshToken, token_type_hint: 'refresh_token' }),
    });
    expect(revoke.status).toBe(200);
    await expect(refreshCredential(cred.id)).rejects.toMatchObject({ kind: 'permanent' });
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(row).toMatchObject({ status: 'needs_attention', statusCause: 'refresh_revoked' });
    expect(row.statusReason).toMatch(/^Reconnect required: .*invalid_grant/);
  });
});

describe("an agent request beside a dead worker's lease", () => {
  /** A lease left by a worker that died mid-refresh, held for `untilMs` from now. */
  async function deadWorkerLease(credentialId: string, untilMs: number) {
    await prisma.credential.update({
      where: { id: credentialId },
      data: { refreshLeaseOwner: 'worker-killed-mid-refresh', refreshLeaseUntil: new Date(Date.now() + untilMs), refreshRequestStartedAt: new Date() },
    });
  }

  it('is served at once with the stored token while it is valid for 18 s more', async () => {
    const cred = await createStrictOAuthCredential(org, op, appId, { expiresInMs: 18_000, issuedAgoMs: 2_000 });
    await deadWorkerLease(cred.id, 30_000);
    const before = op.tokenRequests.length;
    const started = performance.now();
    const token = await within(accessTokenForUse(cred.id, { leadMs: PROXY_LEAD_MS }), 3_000);
    const waited = performance.now() - started;
    expect(token).toBe(cred.accessToken);
    expect(waited).toBeLessThan(1_000);
    expect(op.tokenRequests.length).toBe(before);
  });

  it('waits for the lease only when the stored token is unusable, then refreshes', async () => {
    const cred = await createStrictOAuthCredential(org, op, appId, { expiresInMs: 500, issuedAgoMs: 19_500 });
    await deadWorkerLease(cred.id, 1_500);
    const before = op.tokenRequests.length;
    const started = performance.now();
    const token = await accessTokenForUse(cred.id, { leadMs: PROXY_LEAD_MS });
    expect(performance.now() - started).toBeGreaterThan(900);
    expect(token).not.toBe(cred.accessToken);
    expect(token).toBe(await storedAccessToken(cred.id));
    expect(refreshRequests(before)).toHaveLength(1);
  });
});

describe('short-lived tokens', () => {
  it('10 agent calls over 16 s with a 20-second token make at most 2 token requests', async () => {
    const cred = await createStrictOAuthCredential(org, op, appId);
    const before = op.tokenRequests.length;
    // The clock of this process (Latchkey and the provider alike) moves; timers and the database run as usual.
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    for (let call = 0; call < 10; call++) {
      vi.setSystemTime(start + call * 1_600);
      expect(await accessTokenForUse(cred.id, { leadMs: PROXY_LEAD_MS })).toBe(await storedAccessToken(cred.id));
    }
    vi.useRealTimers();
    const requests = refreshRequests(before);
    expect(requests.length).toBeGreaterThanOrEqual(1);
    expect(requests.length).toBeLessThanOrEqual(2);
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(row).toMatchObject({ status: 'active', refreshRequestStartedAt: null });
  });

  it('a token refreshed on use is refreshed no earlier than half its lifetime', async () => {
    const cred = await createStrictOAuthCredential(org, op, appId);
    const before = op.tokenRequests.length;
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    vi.setSystemTime(start + 9_000);
    await accessTokenForUse(cred.id, { leadMs: PROXY_LEAD_MS });
    expect(refreshRequests(before)).toHaveLength(0);
    vi.setSystemTime(start + 10_500);
    await accessTokenForUse(cred.id, { leadMs: PROXY_LEAD_MS });
    expect(refreshRequests(before)).toHaveLength(1);
  });
});
