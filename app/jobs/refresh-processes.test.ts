// Refresh across real worker processes: a rotation race between three of them, and kill -9 in the middle of a refresh.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { startTestOAuthProvider, type TestOAuthProvider } from '../../test/oauth-provider';

// Processes of this file use a Redis prefix of their own: they see only the jobs this file schedules.
const prefix = `${process.env.REDIS_PREFIX ?? 'lk-test'}-procs`;
process.env.REDIS_PREFIX = prefix;

const { prisma } = await import('~/db.server');
const { closeQueues } = await import('~/queue/queue.server');
const schedule = await import('./refresh-schedule.server');
const support = await import('./test-support');

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
      const queue = schedule.refreshQueue();
      const CYCLES = Number(process.env.RACE_CYCLES ?? 200);
      const statuses = new Set<string>();
      const started = Date.now();
      let cycles = 0;
      // Each cycle: three jobs for the same due refresh at the same moment, one per process.
      // 200 cycles, or as many as fit in 45 s on a loaded machine (at least 20), so the test stays near a minute.
      while (cycles < CYCLES && !(Date.now() - started > 45_000 && cycles >= 20)) {
        const row = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
        const data = { credentialId: cred.id, runAt: row.nextRefreshAt!.getTime(), attempt: 0, forExpiry: row.expiresAt!.getTime() };
        await queue.addBulk([1, 2, 3].map((k) => ({ name: 'refresh', data, opts: { jobId: `race-${cred.id}-${row.version}-${k}`, removeOnComplete: true } })));
        await vi.waitFor(
          async () => {
            const now = await prisma.credential.findUniqueOrThrow({ where: { id: cred.id } });
            statuses.add(now.status);
            expect(now.version).toBeGreaterThan(row.version);
            // …and the winner has scheduled the next refresh for the new token (the next cycle's jobs are for that).
            expect(now.nextRefreshAt!.getTime()).toBe(schedule.refreshTimeFor(cred.id, now.expiresAt!).getTime());
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

  it('kill -9 after the provider answered but before the write → needs attention with the true reason, never silently broken', { timeout: 60_000 }, async () => {
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
      // The stored refresh token was rotated away by the lost answer: the provider says so, and so do we.
      expect(row.status).toBe('needs_attention');
      expect(row.statusReason).toMatch(/^Reconnect required: .*(reuse|revoked)/i);
      expect(row.nextRefreshAt).toBeNull();
    } finally {
      await proxy.close();
      await real.close();
    }
  });
});
