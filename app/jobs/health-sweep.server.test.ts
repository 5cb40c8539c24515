// The health sweep with a controllable clock: expiring, expired, rows from before the split, idempotence, and schedules rebuilt after a Redis flush.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestOAuthProvider, type TestOAuthProvider } from '../../test/oauth-provider';

const DAY = 24 * 60 * 60_000;
// A prefix of this file's own, so flushing it cannot disturb other test files running at the same time.
const ownPrefix = `${process.env.REDIS_PREFIX ?? 'lk-test'}-sweep`;

async function load() {
  vi.resetModules();
  process.env.REDIS_PREFIX = ownPrefix;
  return {
    sweep: await import('./health-sweep.server'),
    schedule: await import('./refresh-schedule.server'),
    support: await import('./test-support'),
    queue: await import('~/queue/queue.server'),
    db: await import('~/db.server'),
  };
}

let m: Awaited<ReturnType<typeof load>>;
let provider: TestOAuthProvider;

beforeAll(async () => {
  provider = await startTestOAuthProvider({ accessTokenTtl: 3600 });
  m = await load();
});
afterAll(async () => {
  await m.queue.closeQueues();
  await provider.close();
});

describe('health sweep', () => {
  it('an API key turns expiring inside the warning window, never needs attention, then expired, each change audited once', async () => {
    const { prisma } = m.db;
    const org = await m.support.createOrg();
    const t0 = new Date();
    const expiresAt = new Date(t0.getTime() + 10 * DAY);
    const id = await m.support.createKeyCredential(org, expiresAt);
    const read = () => prisma.credential.findUniqueOrThrow({ where: { id } });
    const audits = () => prisma.auditEvent.findMany({ where: { credentialId: id, action: 'credential.status_changed' }, orderBy: { seq: 'asc' } });

    await m.sweep.runHealthSweep({ now: t0 });
    expect((await read()).status).toBe('active');

    await m.sweep.runHealthSweep({ now: new Date(expiresAt.getTime() - 4 * DAY) });
    expect(await read()).toMatchObject({ status: 'expiring', statusCause: 'expiring_soon', statusReason: expect.stringMatching(/^Expires on /) });
    // Idempotent: the same clock again, and the clock moving on inside the window, change nothing.
    await m.sweep.runHealthSweep({ now: new Date(expiresAt.getTime() - 4 * DAY) });
    await m.sweep.runHealthSweep({ now: new Date(expiresAt.getTime() - 5 * 60 * 60_000) });
    expect((await read()).status).toBe('expiring');
    expect(await audits()).toHaveLength(1);
    expect((await audits())[0]!.details).toMatchObject({ from: 'active', to: 'expiring', cause: 'expiring_soon' });

    await m.sweep.runHealthSweep({ now: new Date(expiresAt.getTime() + 1_000) });
    expect(await read()).toMatchObject({ status: 'expired', statusCause: 'expired', statusReason: expect.stringMatching(/^Expired on /) });
    await m.sweep.runHealthSweep({ now: new Date(expiresAt.getTime() + 2_000) });
    expect((await audits()).map((a) => (a.details as { to: string }).to)).toEqual(['expiring', 'expired']);
    expect(await prisma.auditEvent.count({ where: { credentialId: id, details: { path: ['to'], equals: 'needs_attention' } } })).toBe(0);
  });

  it('a row written before the split (needs attention "Expires in 4 days", no cause) becomes expiring', async () => {
    const { prisma } = m.db;
    const org = await m.support.createOrg();
    const now = new Date();
    const id = await m.support.createKeyCredential(org, new Date(now.getTime() + 4 * DAY));
    const renewed = await m.support.createKeyCredential(org, new Date(now.getTime() + 60 * DAY));
    const rejected = await m.support.createKeyCredential(org, new Date(now.getTime() + 4 * DAY));
    await prisma.credential.updateMany({ where: { id: { in: [id, renewed] } }, data: { status: 'needs_attention', statusReason: 'Expires in 4 days' } });
    await prisma.credential.update({ where: { id: rejected }, data: { status: 'needs_attention', statusReason: 'OpenAI answered 401', statusCause: 'rejected' } });
    await m.sweep.runHealthSweep({ now });
    expect(await prisma.credential.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'expiring', statusCause: 'expiring_soon' });
    expect(await prisma.credential.findUniqueOrThrow({ where: { id: renewed } })).toMatchObject({ status: 'active', statusCause: null, statusReason: null });
    // What a person must act on is not the sweep's to rewrite.
    expect(await prisma.credential.findUniqueOrThrow({ where: { id: rejected } })).toMatchObject({ status: 'needs_attention', statusCause: 'rejected' });
  });

  it("respects the organization's warning window and restores a renewed key", async () => {
    const { prisma } = m.db;
    const org = await m.support.createOrg();
    await prisma.organization.update({ where: { id: org.organizationId }, data: { warningWindowDays: 2 } });
    const now = new Date();
    const id = await m.support.createKeyCredential(org, new Date(now.getTime() + 3 * DAY));
    await m.sweep.runHealthSweep({ now });
    expect((await prisma.credential.findUniqueOrThrow({ where: { id } })).status).toBe('active');
    await m.sweep.runHealthSweep({ now: new Date(now.getTime() + 1.5 * DAY) });
    expect((await prisma.credential.findUniqueOrThrow({ where: { id } })).status).toBe('expiring');
    // Someone enters a new expiry far away: the next sweep says active again.
    await prisma.credential.update({ where: { id }, data: { expiresAt: new Date(now.getTime() + 90 * DAY) } });
    await m.sweep.runHealthSweep({ now: new Date(now.getTime() + 1.5 * DAY) });
    expect(await prisma.credential.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'active', statusReason: null, statusCause: null });
  });

  it('an OAuth credential never says active past its stored expiry', async () => {
    const { prisma } = m.db;
    const org = await m.support.createOrg();
    const appId = await m.support.createProviderApp(org, provider);
    const noRefresh = await m.support.createOAuthCredential(org, provider, appId, { expiresInMs: 60_000, withRefreshToken: false });
    const withRefresh = await m.support.createOAuthCredential(org, provider, appId, { expiresInMs: 60_000 });
    const later = new Date(Date.now() + 120_000);
    await m.sweep.runHealthSweep({ now: later });
    expect((await prisma.credential.findUniqueOrThrow({ where: { id: noRefresh.id } })).status).toBe('expired');
    const flagged = await prisma.credential.findUniqueOrThrow({ where: { id: withRefresh.id } });
    expect(flagged).toMatchObject({ status: 'needs_attention', statusCause: 'refresh_overdue' });
    expect(flagged.statusReason).toMatch(/before it was refreshed/);
    expect(await prisma.credential.findUniqueOrThrow({ where: { id: noRefresh.id } })).toMatchObject({ statusCause: 'token_expired_no_refresh' });
    // …and its refresh is queued at once.
    const job = await m.schedule.refreshQueue().getJob(m.schedule.refreshJobId(withRefresh.id, flagged.nextRefreshAt!, flagged.expiresAt));
    expect(job).toBeTruthy();
  });

  it('after Redis is flushed, one sweep brings every refresh schedule back', async () => {
    const { prisma } = m.db;
    const org = await m.support.createOrg();
    const appId = await m.support.createProviderApp(org, provider);
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const c = await m.support.createOAuthCredential(org, provider, appId, { expiresInMs: 3_600_000 + i * 60_000 });
      await m.schedule.scheduleCredentialRefresh(c.id, c.expiresAt);
      ids.push(c.id);
    }
    const redis = new Redis(process.env.REDIS_URL!);
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${ownPrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
    expect(deleted).toBeGreaterThan(0);
    const queue = m.schedule.refreshQueue();
    const first = await prisma.credential.findUniqueOrThrow({ where: { id: ids[0]! } });
    expect(await queue.getJob(m.schedule.refreshJobId(first.id, first.nextRefreshAt!, first.expiresAt))).toBeFalsy();

    await m.sweep.runHealthSweep();
    const rows = await prisma.credential.findMany({ where: { id: { in: ids } }, select: { id: true, nextRefreshAt: true, expiresAt: true } });
    for (const row of rows) {
      const job = await queue.getJob(m.schedule.refreshJobId(row.id, row.nextRefreshAt!, row.expiresAt));
      expect(job, row.id).toBeTruthy();
      expect(await job!.getState()).toBe('delayed');
    }
    // A second sweep adds nothing.
    const count = (await queue.getDelayed()).filter((j) => ids.includes(j.data.credentialId)).length;
    await m.sweep.runHealthSweep();
    expect((await queue.getDelayed()).filter((j) => ids.includes(j.data.credentialId)).length).toBe(count);
    expect(count).toBe(ids.length);
  });
});
