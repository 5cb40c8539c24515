// Refresh jobs against a real local OAuth server, on Redis and on BullMQ's PostgreSQL backend.
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { startTestOAuthProvider, type TestOAuthProvider } from '../../test/oauth-provider';

const savedRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function load(backend: 'redis' | 'postgres') {
  vi.resetModules();
  if (backend === 'redis') process.env.REDIS_URL = savedRedisUrl;
  else delete process.env.REDIS_URL;
  return {
    workers: await import('../../workers/index'),
    refreshWorker: await import('../../workers/refresh'),
    schedule: await import('./refresh-schedule.server'),
    job: await import('./refresh.job.server'),
    support: await import('./test-support'),
    queue: await import('~/queue/queue.server'),
    db: await import('~/db.server'),
  };
}

type Loaded = Awaited<ReturnType<typeof load>>;
let provider: TestOAuthProvider;
let m: Loaded | undefined;
let running: { close(): Promise<void> } | undefined;

beforeAll(async () => {
  provider = await startTestOAuthProvider({ accessTokenTtl: 10 });
});
afterAll(async () => {
  await provider.close();
  process.env.REDIS_URL = savedRedisUrl;
});
afterEach(async () => {
  await running?.close();
  running = undefined;
  await m?.queue.closeQueues();
  provider.options.accessTokenTtl = 10;
  provider.options.tokenDelayMs = 0;
});

function refreshOnlyWorker(l: Loaded) {
  return l.workers.startWorkers({
    healthPort: 0,
    registry: [{ queue: l.refreshWorker.REFRESH_QUEUE, processor: l.refreshWorker.refreshJobProcessor as never, opts: { concurrency: 5 } }],
  });
}

describe.each(['redis', 'postgres'] as const)('refresh jobs on the %s backend', (backend) => {
  it('10-second tokens are refreshed before they expire, again and again', { timeout: 60_000 }, async () => {
    m = await load(backend);
    const { prisma } = m.db;
    const org = await m.support.createOrg();
    const appId = await m.support.createProviderApp(org, provider);
    const cred = await m.support.createOAuthCredential(org, provider, appId, { expiresInMs: 10_000 });
    const before = provider.tokenRequests.length;
    running = await refreshOnlyWorker(m);
    await m.schedule.scheduleCredentialRefresh(cred.id, cred.expiresAt);

    // Each refresh must land before the token it replaces expires.
    let expiresAt = cred.expiresAt;
    for (let cycle = 0; cycle < 3; cycle++) {
      await vi.waitFor(
        async () => {
          const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
          expect(row.expiresAt!.getTime()).toBeGreaterThan(expiresAt.getTime());
        },
        { timeout: 12_000, interval: 100 },
      );
      const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
      expect(row.lastRefreshedAt!.getTime()).toBeLessThan(expiresAt.getTime());
      expect(row.status).toBe('active');
      expect(row.nextRefreshAt!.getTime()).toBeLessThan(row.expiresAt!.getTime());
      expiresAt = row.expiresAt!;
    }
    const refreshes = provider.tokenRequests.slice(before).filter((r) => r.grantType === 'refresh_token');
    expect(refreshes).toHaveLength(3);
    expect(await m.support.storedRefreshToken(org.organizationId, cred.id)).toBe(provider.issuedRefreshTokens.at(-1));
  });
});

describe('refresh job outcomes', () => {
  it('a transient failure retries with backoff while the token is valid, and the next attempt succeeds', async () => {
    m = await load('redis');
    const { prisma } = m.db;
    const org = await m.support.createOrg();
    const appId = await m.support.createProviderApp(org, provider);
    const cred = await m.support.createOAuthCredential(org, provider, appId, { expiresInMs: 60_000 });
    const runAt = await m.schedule.scheduleCredentialRefreshAt(cred.id, cred.expiresAt, { runAt: new Date() });
    provider.failNextTokenRequests({ status: 503, body: { error: 'temporarily_unavailable' } });
    const now = new Date();
    expect(await m.job.processRefreshJob({ data: { credentialId: cred.id, runAt: runAt!.getTime(), attempt: 0, forExpiry: cred.expiresAt.getTime() } }, now)).toBe('retry_scheduled');
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(row.status).toBe('active');
    expect(row.refreshFailingSince).not.toBeNull();
    const delay = row.nextRefreshAt!.getTime() - now.getTime();
    expect(delay).toBeGreaterThanOrEqual(500);
    expect(delay).toBeLessThanOrEqual(1_000);
    // The retry is a queued job keyed by the credential and its new time.
    const job = await m.schedule.refreshQueue().getJob(m.schedule.refreshJobId(cred.id, row.nextRefreshAt!, row.expiresAt));
    expect(job?.data).toMatchObject({ credentialId: cred.id, attempt: 1 });
    expect(await m.job.processRefreshJob({ data: { credentialId: cred.id, runAt: row.nextRefreshAt!.getTime(), attempt: 1, forExpiry: cred.expiresAt.getTime() } })).toBe('refreshed');
    const after = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(after).toMatchObject({ status: 'active', refreshFailingSince: null });
  });

  it('a late loser of the race cannot put back a schedule for older tokens (compare-and-set on the schedule)', async () => {
    m = await load('redis');
    const { prisma } = m.db;
    const org = await m.support.createOrg();
    const appId = await m.support.createProviderApp(org, provider);
    const cred = await m.support.createOAuthCredential(org, provider, appId, { expiresInMs: 60 * 60_000 });
    const oldRunAt = await m.schedule.scheduleCredentialRefresh(cred.id, cred.expiresAt).then(() =>
      prisma.credential.findUniqueOrThrow({ where: { id: cred.id } }),
    );
    // A refresh lands: new expiry, new schedule.
    const newer = new Date(cred.expiresAt.getTime() + 90_000);
    await prisma.credential.update({ where: { id: cred.id }, data: { expiresAt: newer } });
    const newRunAt = await m.schedule.scheduleCredentialRefresh(cred.id, newer).then(() =>
      prisma.credential.findUniqueOrThrow({ where: { id: cred.id } }),
    );
    // The loser read (schedule, expiry) before that refresh and now tries to reschedule from what it read.
    const stale = await m.schedule.scheduleCredentialRefreshAt(cred.id, cred.expiresAt, {
      onlyIf: { nextRefreshAt: oldRunAt.nextRefreshAt, expiresAt: cred.expiresAt },
    });
    expect(stale).toBeNull();
    const after = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(after.nextRefreshAt!.getTime()).toBe(newRunAt.nextRefreshAt!.getTime());
    // With what is stored now, the same call goes through.
    const current = await m.schedule.scheduleCredentialRefreshAt(cred.id, newer, { onlyIf: { nextRefreshAt: after.nextRefreshAt, expiresAt: newer } });
    expect(current!.getTime()).toBe(newRunAt.nextRefreshAt!.getTime());
  });

  it('Retry-After is honoured', async () => {
    m = await load('redis');
    const org = await m.support.createOrg();
    const appId = await m.support.createProviderApp(org, provider);
    const cred = await m.support.createOAuthCredential(org, provider, appId, { expiresInMs: 5 * 60_000 });
    const runAt = await m.schedule.scheduleCredentialRefreshAt(cred.id, cred.expiresAt, { runAt: new Date() });
    provider.failNextTokenRequests({ status: 429, body: { error: 'slow_down' }, headers: { 'Retry-After': '120' } });
    const now = new Date();
    expect(await m.job.processRefreshJob({ data: { credentialId: cred.id, runAt: runAt!.getTime(), attempt: 0, forExpiry: cred.expiresAt.getTime() } }, now)).toBe('retry_scheduled');
    const row = await m.db.prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(row.nextRefreshAt!.getTime() - now.getTime()).toBeGreaterThanOrEqual(119_000);
  });

  it('still failing once the token has expired → needs attention with the provider’s error and the time it started', async () => {
    m = await load('redis');
    const org = await m.support.createOrg();
    const appId = await m.support.createProviderApp(org, provider);
    const cred = await m.support.createOAuthCredential(org, provider, appId, { expiresInMs: 2_000 });
    const runAt = await m.schedule.scheduleCredentialRefreshAt(cred.id, cred.expiresAt, { runAt: new Date() });
    provider.failNextTokenRequests({ status: 503, body: { error: 'temporarily_unavailable', error_description: 'maintenance' } });
    const later = new Date(cred.expiresAt.getTime() + 1_000);
    expect(await m.job.processRefreshJob({ data: { credentialId: cred.id, runAt: runAt!.getTime(), attempt: 3, forExpiry: cred.expiresAt.getTime() } }, later)).toBe('needs_attention');
    const row = await m.db.prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(row.status).toBe('needs_attention');
    expect(row.statusReason).toMatch(/^Refresh failing since \d{4}-\d\d-\d\d \d\d:\d\d UTC: /);
    expect(row.statusReason).toContain(row.refreshFailingSince!.toISOString().slice(0, 16).replace('T', ' '));
    const audit = await m.db.prisma.auditEvent.findFirst({ where: { credentialId: cred.id, action: 'credential.status_changed' } });
    expect(audit?.details).toMatchObject({ from: 'active', to: 'needs_attention' });
    // It keeps trying slowly, so it heals when the provider does.
    expect(row.nextRefreshAt!.getTime()).toBeGreaterThanOrEqual(later.getTime() + m.job.FAILING_RETRY_MS);
  });

  it('a permanent failure stops at once: needs attention, no schedule, one token request', { timeout: 30_000 }, async () => {
    m = await load('redis');
    // A provider of its own, so jobs left by earlier tests cannot add token requests.
    const own = await startTestOAuthProvider({ accessTokenTtl: 10 });
    onTestFinished(() => own.close());
    const org = await m.support.createOrg();
    const appId = await m.support.createProviderApp(org, own);
    const cred = await m.support.createOAuthCredential(org, own, appId, { expiresInMs: 4_000 });
    own.failNextTokenRequests({ status: 400, body: { error: 'invalid_grant', error_description: 'Token has been revoked' } });
    const before = own.tokenRequests.length;
    running = await refreshOnlyWorker(m);
    await m.schedule.scheduleCredentialRefresh(cred.id, cred.expiresAt);
    await vi.waitFor(
      async () => expect((await m!.db.prisma.credential.findUniqueOrThrow({ where: { id: cred.id } })).status).toBe('needs_attention'),
      { timeout: 10_000, interval: 100 },
    );
    await new Promise((r) => setTimeout(r, 3_000));
    const row = await m.db.prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(row.statusReason).toMatch(/^Reconnect required: /);
    expect(row.nextRefreshAt).toBeNull();
    expect(own.tokenRequests.length - before).toBe(1);
  });

  it('a credential without a refresh token becomes expired at its expiry', { timeout: 20_000 }, async () => {
    m = await load('redis');
    const org = await m.support.createOrg();
    const appId = await m.support.createProviderApp(org, provider);
    const cred = await m.support.createOAuthCredential(org, provider, appId, { expiresInMs: 1_500, withRefreshToken: false });
    running = await refreshOnlyWorker(m);
    await m.schedule.scheduleCredentialRefresh(cred.id, cred.expiresAt);
    const scheduled = await m.db.prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(scheduled.nextRefreshAt?.getTime()).toBe(cred.expiresAt.getTime());
    await vi.waitFor(
      async () => expect((await m!.db.prisma.credential.findUniqueOrThrow({ where: { id: cred.id } })).status).toBe('expired'),
      { timeout: 10_000, interval: 100 },
    );
    const row = await m.db.prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    expect(row.statusChangedAt.getTime()).toBeGreaterThanOrEqual(cred.expiresAt.getTime());
    expect(row.statusReason).toMatch(/no refresh token/);
  });

  it('rescheduling replaces the waiting job instead of adding a second one', async () => {
    m = await load('redis');
    const org = await m.support.createOrg();
    const appId = await m.support.createProviderApp(org, provider);
    const cred = await m.support.createOAuthCredential(org, provider, appId, { expiresInMs: 3_600_000 });
    await m.schedule.scheduleCredentialRefresh(cred.id, cred.expiresAt);
    await m.schedule.scheduleCredentialRefresh(cred.id, cred.expiresAt);
    await m.schedule.scheduleCredentialRefresh(cred.id, new Date(cred.expiresAt.getTime() + 3_600_000));
    const delayed = await m.schedule.refreshQueue().getDelayed();
    expect(delayed.filter((j) => j.data.credentialId === cred.id)).toHaveLength(1);
    const row = await m.db.prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
    const lead = cred.expiresAt.getTime() + 3_600_000 - row.nextRefreshAt!.getTime();
    expect(lead).toBeGreaterThanOrEqual(5 * 60_000);
    expect(lead).toBeLessThanOrEqual(5 * 60_000 + 31_000);
  });
});
