// Refresh across real worker processes: a rotation race between three of them, and kill -9 in the middle of a refresh.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { startTestOAuthProvider, type TestOAuthProvider } from '../../test/oauth-provider';
import { startStrictOidcProvider } from '../../test/strict-oidc-provider';

// Processes of this file use a Redis prefix of their own: they see only the jobs this file schedules.
const prefix = `${process.env.REDIS_PREFIX ?? 'lk-test'}-procs`;
process.env.REDIS_PREFIX = prefix;

const { prisma } = await import('~/db.server');
const { closeQueues } = await import('~/queue/queue.server');
const schedule = await import('./refresh-schedule.server');
const support = await import('./test-support');
const { processRefreshJob } = await import('./refresh.job.server');
const { REFRESH_LEASE_MS } = await import('~/oauth/refresh.server');

const children = new Set<ChildProcess>();

function startWorkerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/index.ts'], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, REDIS_PREFIX: prefix, WORKER_QUEUES: 'credential-refresh', LOG_LEVEL: process.env.DEBUG_WORKERS ? 'debug' : 'info', WORKER_HEALTH_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('worker running')) resolve(child);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    if (process.env.DEBUG_WORKERS) child.stdout!.on('data', (d: Buffer) => process.stderr.write(d));
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${out.slice(-2000)}`)));
  });
}

function killAll(signal: NodeJS.Signals) {
  for (const c of children) c.kill(signal);
}

afterEach(() => killAll('SIGKILL'));
afterAll(async () => {
  killAll('SIGKILL');
  await closeQueues();
});

/** A token endpoint in front of the provider that forwards requests and can hold the provider's answer. */
async function holdingProxy(target: TestOAuthProvider) {
  let hold = false;
  const answered: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const upstream = await fetch(`${target.url}${req.url}`, {
        method: req.method,
        headers: { 'content-type': req.headers['content-type'] ?? '', authorization: req.headers.authorization ?? '' },
        body: Buffer.concat(chunks),
      });
      const body = await upstream.text();
      answered.push(body);
      if (hold) return; // the provider has answered (and rotated); the worker never hears it
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    provider: { ...target, url, tokenUrl: `${url}/token` } as TestOAuthProvider,
    answered,
    setHold: (v: boolean) => (hold = v),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/**
 * Rotation cycles: each cycle adds one job per process for the same due refresh at the same moment and waits
 * until one of them stored new tokens and scheduled the next refresh. Stops after `cycles`, or once `budgetMs`
 * passed with at least `minCycles` done (a loaded machine). Answers how many ran and every status seen.
 */
async function rotationCycles(credentialId: string, opts: { processes: number; cycles: number; budgetMs: number; minCycles: number }) {
  const queue = schedule.refreshQueue();
  const statuses = new Set<string>();
  const started = Date.now();
  let cycles = 0;
  while (cycles < opts.cycles && !(Date.now() - started > opts.budgetMs && cycles >= opts.minCycles)) {
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
    const data = { credentialId, runAt: row.nextRefreshAt!.getTime(), attempt: 0, forExpiry: row.expiresAt!.getTime() };
    const copies = Array.from({ length: opts.processes }, (_, k) => k + 1);
    await queue.addBulk(copies.map((k) => ({ name: 'refresh', data, opts: { jobId: `race-${credentialId}-${row.version}-${k}`, removeOnComplete: true } })));
    await vi.waitFor(
      async () => {
        const now = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
        statuses.add(now.status);
        expect(now.version).toBeGreaterThan(row.version);
        // …and the winner has scheduled the next refresh for the new token (the next cycle's jobs are for that).
        expect(now.nextRefreshAt!.getTime()).toBe(schedule.refreshTimeFor(credentialId, now.expiresAt!).getTime());
      },
      { timeout: 20_000, interval: 10 },
    );
    cycles++;
  }
  console.info(`rotation race: ${cycles} cycles in ${Date.now() - started} ms`);
  // Jobs of the last cycle that lost the race finish as 'raced'; give them a moment, then stop.
  await new Promise((r) => setTimeout(r, 1_000));
  killAll('SIGTERM');
  await vi.waitFor(async () => expect(children.size).toBe(0), { timeout: 15_000 });
  return { cycles, statuses };
}

/** The job a worker runs for the credential's stored schedule (what a second worker would pick up). */
async function scheduledJob(credentialId: string) {
  const row = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
  return { data: { credentialId, runAt: row.nextRefreshAt!.getTime(), attempt: 0, forExpiry: row.expiresAt!.getTime() } };
}

describe('refresh across worker processes', () => {
  it('rotation race: 3 processes, a provider rejecting reused refresh tokens, 200 cycles → one token request per cycle, never needs attention', { timeout: 90_000 }, async () => {
    const provider = await startTestOAuthProvider({ accessTokenTtl: 3600, tokenDelayMs: 5 });
    try {
      const org = await support.createOrg();
      const appId = await support.createProviderApp(org, provider);
      await Promise.all([startWorkerProcess(), startWorkerProcess(), startWorkerProcess()]);
      const cred = await support.createOAuthCredential(org, provider, appId, { expiresInMs: 3_600_000 });
      const before = provider.tokenRequests.length;
      await schedule.scheduleCredentialRefresh(cred.id, cred.expiresAt);
      // 200 cycles, or as many as fit in 45 s on a loaded machine (at least 20), so the test stays near a minute.
      const { cycles, statuses } = await rotationCycles(cred.id, { processes: 3, cycles: Number(process.env.RACE_CYCLES ?? 200), budgetMs: 45_000, minCycles: 20 });
      const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
      const refreshRequests = provider.tokenRequests.slice(before).filter((r) => r.grantType === 'refresh_token').length;
      expect(row.version - 1).toBe(cycles);
      expect(refreshRequests).toBe(cycles);
      expect([...statuses]).toEqual(['active']);
      expect(row).toMatchObject({ status: 'active', statusReason: null });
      expect(await prisma.auditEvent.count({ where: { credentialId: cred.id, action: 'credential.refresh_failed' } })).toBe(0);
      expect(await support.storedRefreshToken(org.organizationId, cred.id)).toBe(provider.issuedRefreshTokens.at(-1));
    } finally {
      await provider.close();
    }
  });

  it('kill -9 before the provider acts on the token request → a new worker finishes: active with the newest refresh token', { timeout: 60_000 }, async () => {
    const provider = await startTestOAuthProvider({ accessTokenTtl: 3600 });
    try {
      const org = await support.createOrg();
      const appId = await support.createProviderApp(org, provider);
      const cred = await support.createOAuthCredential(org, provider, appId, { expiresInMs: 4_000 });
      // The provider holds this request and then fails it without rotating anything.
      provider.failNextTokenRequests({ status: 503, body: { error: 'temporarily_unavailable' }, delayMs: 4_000 });
      const before = provider.tokenRequests.length;
      const victim = await startWorkerProcess();
      await schedule.scheduleCredentialRefresh(cred.id, cred.expiresAt);
      await vi.waitFor(() => expect(provider.tokenRequests.length).toBeGreaterThan(before), { timeout: 10_000, interval: 20 });
      victim.kill('SIGKILL');
      // The dead worker's lease would lapse after 30 s; move the database clock on instead of waiting.
      await prisma.credential.update({ where: { id: cred.id }, data: { refreshLeaseUntil: new Date(Date.now() - 1_000) } });
      await startWorkerProcess();
      await vi.waitFor(
        async () => expect((await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } })).version).toBe(2),
        { timeout: 30_000, interval: 100 },
      );
      const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
      expect(row.status).toBe('active');
      expect(await support.storedRefreshToken(org.organizationId, cred.id)).toBe(provider.issuedRefreshTokens.at(-1));
    } finally {
      await provider.close();
    }
  });

  it('kill -9 after the provider answered but before the write → needs attention saying the refresh was interrupted, never silently broken', { timeout: 60_000 }, async () => {
    const real = await startTestOAuthProvider({ accessTokenTtl: 3600 });
    const proxy = await holdingProxy(real);
    try {
      const org = await support.createOrg();
      const appId = await support.createProviderApp(org, proxy.provider);
      const cred = await support.createOAuthCredential(org, real, appId, { expiresInMs: 4_000 });
      proxy.setHold(true);
      const victim = await startWorkerProcess();
      await schedule.scheduleCredentialRefresh(cred.id, cred.expiresAt);
      await vi.waitFor(() => expect(proxy.answered.length).toBe(1), { timeout: 10_000, interval: 20 });
      expect(proxy.answered[0]).toContain('refresh_token'); // the provider rotated; our copy is now stale
      victim.kill('SIGKILL');
      proxy.setHold(false);
      await prisma.credential.update({ where: { id: cred.id }, data: { refreshLeaseUntil: new Date(Date.now() - 1_000) } });
      await startWorkerProcess();
      await vi.waitFor(
        async () => expect((await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } })).status).not.toBe('active'),
        { timeout: 30_000, interval: 100 },
      );
      const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
      // The stored refresh token was rotated away by the lost answer: the provider refuses it, and we say why.
      expect(row).toMatchObject({ status: 'needs_attention', statusCause: 'refresh_reuse_revoked', nextRefreshAt: null, refreshRequestStartedAt: null });
      expect(row.statusReason).toMatch(/^A refresh was interrupted at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC and the provider then revoked the grant as token reuse\. Reconnect to restore access\.$/);
    } finally {
      await proxy.close();
      await real.close();
    }
  });
});

describe('refresh across worker processes, against a strict provider (oidc-provider: rotation, reuse revokes the grant)', () => {
  /** A worker that takes the scheduled refresh, and dies (kill -9) after the provider rotated the refresh token, before its answer arrived. */
  async function killedMidRefresh(reuseGraceSeconds: number) {
    const op = await startStrictOidcProvider({ accessTokenTtl: 3600, reuseGraceSeconds });
    const org = await support.createOrg();
    const appId = await support.createStrictProviderApp(org, op);
    const cred = await support.createStrictOAuthCredential(org, op, appId, { expiresInMs: 4_000, issuedAgoMs: 3_596_000 });
    op.loseNextTokenAnswers(1, { hold: true });
    const victim = await startWorkerProcess();
    await schedule.scheduleCredentialRefresh(cred.id, cred.expiresAt);
    await vi.waitFor(() => expect(op.tokenRequests.find((r) => r.lost && r.status === 200)).toBeDefined(), { timeout: 15_000, interval: 20 });
    expect(await op.refreshTokenState(cred.refreshToken)).toBe(reuseGraceSeconds > 0 ? 'active' : 'consumed');
    victim.kill('SIGKILL');
    const killedAt = Date.now();
    const marker = (await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } })).refreshRequestStartedAt;
    expect(marker).toBeInstanceOf(Date);
    return { op, org, cred, killedAt, marker: marker! };
  }

  it("kill -9 after the provider rotated: the next worker retries within the provider's 25-second reuse grace and access survives", { timeout: 60_000 }, async () => {
    const { op, org, cred, killedAt } = await killedMidRefresh(25);
    try {
      // The next worker finds the dead worker's lease and waits for it to lapse; no clock is moved.
      const outcome = await processRefreshJob(await scheduledJob(cred.id));
      expect(Date.now() - killedAt).toBeLessThan(REFRESH_LEASE_MS + 5_000);
      expect(outcome).toBe('refreshed');
      const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
      expect(row).toMatchObject({ status: 'active', statusCause: null, refreshRequestStartedAt: null, version: 2 });
      expect(op.revokedGrants).toEqual([]);
      expect(await op.refreshTokenState(await support.storedRefreshToken(org.organizationId, cred.id))).toBe('active');
    } finally {
      await op.close();
    }
  });

  it('kill -9 after the provider rotated, grace missed: needs attention, refresh_reuse_revoked, saying when the refresh was interrupted', { timeout: 60_000 }, async () => {
    const { op, cred, marker } = await killedMidRefresh(0);
    try {
      // How long the lease lasts is the other test's business: move the database clock on.
      await prisma.credential.update({ where: { id: cred.id }, data: { refreshLeaseUntil: new Date(Date.now() - 1_000) } });
      expect(await processRefreshJob(await scheduledJob(cred.id))).toBe('permanent');
      expect(op.revokedGrants).toHaveLength(1);
      const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
      expect(row).toMatchObject({
        status: 'needs_attention',
        statusCause: 'refresh_reuse_revoked',
        statusReason: `A refresh was interrupted at ${marker.toISOString().slice(0, 19).replace('T', ' ')} UTC and the provider then revoked the grant as token reuse. Reconnect to restore access.`,
        nextRefreshAt: null,
      });
      const audit = await prisma.auditEvent.findMany({ where: { credentialId: cred.id, action: 'credential.refresh_failed' }, select: { details: true } });
      expect(audit.map((a) => a.details)).toContainEqual(expect.objectContaining({ kind: 'permanent', cause: 'refresh_reuse_revoked' }));
    } finally {
      await op.close();
    }
  });

  it('rotation race: 2 processes, 100 cycles → one token request per cycle, the grant never revoked, never needs attention', { timeout: 90_000 }, async () => {
    const op = await startStrictOidcProvider({ accessTokenTtl: 3600 });
    try {
      const org = await support.createOrg();
      const appId = await support.createStrictProviderApp(org, op);
      await Promise.all([startWorkerProcess(), startWorkerProcess()]);
      const cred = await support.createStrictOAuthCredential(org, op, appId);
      const before = op.tokenRequests.length;
      await schedule.scheduleCredentialRefresh(cred.id, cred.expiresAt);
      const { cycles, statuses } = await rotationCycles(cred.id, { processes: 2, cycles: Number(process.env.RACE_CYCLES ?? 100), budgetMs: 30_000, minCycles: 20 });
      const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
      expect(row.version - 1).toBe(cycles);
      expect(op.tokenRequests.slice(before).filter((r) => r.grantType === 'refresh_token')).toHaveLength(cycles);
      expect(op.revokedGrants).toEqual([]);
      expect([...statuses]).toEqual(['active']);
      expect(row).toMatchObject({ status: 'active', statusReason: null, refreshRequestStartedAt: null });
      expect(await prisma.auditEvent.count({ where: { credentialId: cred.id, action: 'credential.refresh_failed' } })).toBe(0);
      expect(await op.refreshTokenState(await support.storedRefreshToken(org.organizationId, cred.id))).toBe('active');
    } finally {
      await op.close();
    }
  });
});
