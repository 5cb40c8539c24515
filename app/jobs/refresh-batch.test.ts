// The batched refresh path (shared leases, secret reads and compare-and-set writes), the micro-batcher
// under it, and the node:http token transport — against real PostgreSQL, Redis and a local OAuth server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestOAuthProvider, type TestOAuthProvider } from '../../test/oauth-provider';

const { prisma } = await import('~/db.server');
const { closeQueues } = await import('~/queue/queue.server');
const schedule = await import('./refresh-schedule.server');
const job = await import('./refresh.job.server');
const support = await import('./test-support');
const { MicroBatcher, fulfilled, rejected } = await import('./micro-batch.server');
const { refreshBatchStats } = await import('~/oauth/refresh-batch.server');
const { requestTokens, TokenEndpointError } = await import('~/oauth/token-endpoint.server');

let provider: TestOAuthProvider;

beforeAll(async () => {
  provider = await startTestOAuthProvider({ accessTokenTtl: 3600 });
});
afterEach(() => {
  provider.options.tokenDelayMs = 0;
  provider.options.rotateRefreshTokens = true;
});
afterAll(async () => {
  await provider.close();
  await closeQueues();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Credentials whose refresh job is due now, as the schedule would have stored them. */
async function dueCredentials(count: number, expiresInMs = 30_000) {
  const org = await support.createOrg();
  const appId = await support.createProviderApp(org, provider);
  const creds = [];
  for (let i = 0; i < count; i++) {
    const cred = await support.createOAuthCredential(org, provider, appId, { expiresInMs });
    const runAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    await prisma.credential.update({ where: { id: cred.id }, data: { nextRefreshAt: runAt } });
    creds.push({ ...cred, runAt });
  }
  return { org, appId, creds };
}

const jobFor = (c: { id: string; runAt: Date; expiresAt: Date }) => ({
  data: { credentialId: c.id, runAt: c.runAt.getTime(), attempt: 0, forExpiry: c.expiresAt.getTime() },
});

describe('micro-batcher', () => {
  it('hands concurrent submissions to one call, up to maxBatch, with per-item results', async () => {
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        calls.push(items);
        await sleep(10);
        return items.map((i) => (i === 13 ? rejected(new Error('unlucky')) : fulfilled(i * 2)));
      },
      { maxBatch: 4, maxConcurrent: 1 },
    );
    const results = await Promise.allSettled(Array.from({ length: 15 }, (_, i) => batcher.submit(i)));
    expect(calls.map((c) => c.length)).toEqual([4, 4, 4, 3]);
    expect(calls.flat()).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(results[13]).toMatchObject({ status: 'rejected', reason: { message: 'unlucky' } });
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual(
      Array.from({ length: 15 }, (_, i) => i * 2).filter((v) => v !== 26),
    );
  });

  it('a failing handler rejects every item of its batch, and later batches still run', async () => {
    let first = true;
    const batcher = new MicroBatcher<number, number>(
      async (items) => {
        if (first) {
          first = false;
          throw new Error('database down');
        }
        return items.map((i) => fulfilled(i));
      },
      { maxBatch: 10, maxConcurrent: 1 },
    );
    const failed = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(failed.every((r) => r.status === 'rejected')).toBe(true);
    expect(await batcher.submit(3)).toBe(3);
  });
});

describe('batched scheduled refreshes', () => {
  it('30 due credentials at once: shared batches, one token request each, rotated tokens stored, leases released, next jobs queued', { timeout: 60_000 }, async () => {
    const { org, creds } = await dueCredentials(30);
    const before = refreshBatchStats();
    const requestsBefore = provider.tokenRequests.length;
    const outcomes = await Promise.all(creds.map((c) => job.processRefreshJob(jobFor(c))));
    expect(outcomes).toEqual(creds.map(() => 'refreshed'));
    const after = refreshBatchStats();
    expect(after.claimed - before.claimed).toBe(30);
    expect(after.committed - before.committed).toBe(30);
    // Shared: far fewer round trips than credentials.
    expect(after.claimBatches - before.claimBatches).toBeLessThan(10);
    expect(after.commitBatches - before.commitBatches).toBeLessThan(10);
    expect(provider.tokenRequests.slice(requestsBefore).filter((r) => r.grantType === 'refresh_token')).toHaveLength(30);

    for (const c of creds) {
      const row = await prisma.credential.findUniqueOrThrow({ where: { id: c.id } });
      expect(row).toMatchObject({ version: 2, status: 'active', refreshLeaseOwner: null, refreshLeaseUntil: null, refreshFailingSince: null, oauthScopes: ['read'] });
      expect(row.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3_000_000);
      expect(row.lastRefreshedAt!.getTime()).toBeLessThan(c.expiresAt.getTime());
      expect(row.nextRefreshAt!.getTime()).toBe(schedule.refreshTimeFor(c.id, row.expiresAt!, row.lastRefreshedAt!).getTime());
      const stored = await support.storedRefreshToken(org.organizationId, c.id);
      expect(stored).not.toBe(c.refreshToken);
      expect(provider.issuedRefreshTokens).toContain(stored);
      const next = await schedule.refreshQueue().getJob(schedule.refreshJobId(c.id, row.nextRefreshAt!, row.expiresAt));
      expect(next?.data).toMatchObject({ credentialId: c.id, attempt: 0, forExpiry: row.expiresAt!.getTime() });
      await next?.remove();
    }
  });

  it('a provider that does not rotate: the old refresh token stays stored', async () => {
    provider.options.rotateRefreshTokens = false;
    const { org, creds } = await dueCredentials(3);
    expect(await Promise.all(creds.map((c) => job.processRefreshJob(jobFor(c))))).toEqual(['refreshed', 'refreshed', 'refreshed']);
    for (const c of creds) expect(await support.storedRefreshToken(org.organizationId, c.id)).toBe(c.refreshToken);
  });

  it('a credential needing attention that refreshes again turns active, with the change audited', async () => {
    const { creds } = await dueCredentials(2);
    await prisma.credential.update({ where: { id: creds[0]!.id }, data: { status: 'needs_attention', statusReason: 'Refresh failing since …' } });
    expect(await Promise.all(creds.map((c) => job.processRefreshJob(jobFor(c))))).toEqual(['refreshed', 'refreshed']);
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: creds[0]!.id } });
    expect(row).toMatchObject({ status: 'active', statusReason: null });
    const events = await prisma.auditEvent.count({ where: { credentialId: creds[0]!.id, action: 'credential.status_changed' } });
    expect(events).toBe(1);
  });

  it('a lease held elsewhere sends that job the one-at-a-time way; it waits, then refreshes once', { timeout: 30_000 }, async () => {
    const { creds } = await dueCredentials(4);
    const held = creds[0]!;
    await prisma.$executeRaw`UPDATE "Credential" SET "refreshLeaseOwner" = 'elsewhere', "refreshLeaseUntil" = now() + interval '20 seconds' WHERE id = ${held.id}::uuid`;
    const release = sleep(400).then(() =>
      prisma.$executeRaw`UPDATE "Credential" SET "refreshLeaseOwner" = NULL, "refreshLeaseUntil" = NULL WHERE id = ${held.id}::uuid AND "refreshLeaseOwner" = 'elsewhere'`,
    );
    const requestsBefore = provider.tokenRequests.length;
    const outcomes = await Promise.all(creds.map((c) => job.processRefreshJob(jobFor(c))));
    await release;
    expect(outcomes).toEqual(['refreshed', 'refreshed', 'refreshed', 'refreshed']);
    expect(provider.tokenRequests.length - requestsBefore).toBe(4);
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: held.id } });
    expect(row).toMatchObject({ version: 2, refreshLeaseOwner: null });
  });

  it('superseded and already-refreshed jobs make no token request', async () => {
    const { creds } = await dueCredentials(2);
    const [superseded, refreshed] = creds as [(typeof creds)[0], (typeof creds)[0]];
    const requestsBefore = provider.tokenRequests.length;
    expect(await job.processRefreshJob({ data: { ...jobFor(superseded).data, runAt: superseded.runAt.getTime() - 1_000 } })).toBe('superseded');
    // The stored token already outlives the one this job was for: someone refreshed.
    expect(await job.processRefreshJob({ data: { ...jobFor(refreshed).data, forExpiry: refreshed.expiresAt.getTime() - 5_000 } })).toBe('raced');
    expect(provider.tokenRequests.length).toBe(requestsBefore);
  });

  it('new tokens stored meanwhile (a reconnect) win the compare-and-set: raced, lease released, theirs kept', async () => {
    const { org, creds } = await dueCredentials(1);
    const c = creds[0]!;
    provider.options.tokenDelayMs = 400;
    const running = job.processRefreshJob(jobFor(c));
    await sleep(200);
    const later = new Date(Date.now() + 7_200_000);
    await prisma.$transaction(async (tx) => {
      await tx.credential.update({ where: { id: c.id }, data: { version: { increment: 1 }, expiresAt: later } });
      const { writeCredentialSecrets } = await import('~/vault/vault.server');
      await writeCredentialSecrets(tx, { organizationId: org.organizationId, credentialId: c.id, secrets: { refresh_token: 'from-the-reconnect' } });
    });
    expect(await running).toBe('raced');
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: c.id } });
    expect(row).toMatchObject({ version: 2, refreshLeaseOwner: null, refreshLeaseUntil: null, status: 'active' });
    expect(row.expiresAt!.getTime()).toBe(later.getTime());
    expect(await support.storedRefreshToken(org.organizationId, c.id)).toBe('from-the-reconnect');
  });

  it('a key rotation between the lease and the write: the new tokens are sealed with the new data key, none with the retired one', async () => {
    const { org, creds } = await dueCredentials(3);
    provider.options.tokenDelayMs = 400;
    const running = Promise.all(creds.map((c) => job.processRefreshJob(jobFor(c))));
    await sleep(200);
    const { rotateOrganizationKey } = await import('~/vault/vault.server');
    const rotated = await rotateOrganizationKey(org.slug, { enqueue: async () => {} });
    expect(await running).toEqual(['refreshed', 'refreshed', 'refreshed']);
    const secrets = await prisma.credentialSecret.findMany({ where: { credentialId: { in: creds.map((c) => c.id) } } });
    expect(secrets).toHaveLength(6);
    expect(secrets.map((s) => s.keyVersion)).toEqual(secrets.map(() => rotated.version));
    for (const c of creds) {
      const stored = await support.storedRefreshToken(org.organizationId, c.id);
      expect(provider.issuedRefreshTokens).toContain(stored);
      expect(stored).not.toBe(c.refreshToken);
    }
  });

  it('invalid_grant in a batch: that credential needs attention, the others refresh', async () => {
    const { creds } = await dueCredentials(3);
    provider.failNextTokenRequests({ status: 400, body: { error: 'invalid_grant', error_description: 'Token has been revoked' } }, 1);
    const outcomes = await Promise.all(creds.map((c) => job.processRefreshJob(jobFor(c))));
    expect(outcomes.filter((o) => o === 'permanent')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'refreshed')).toHaveLength(2);
    const failed = creds[outcomes.indexOf('permanent')]!;
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: failed.id } });
    expect(row).toMatchObject({ status: 'needs_attention', nextRefreshAt: null, refreshLeaseOwner: null, version: 1 });
    expect(row.statusReason).toContain('Token has been revoked');
  });
});

describe('token endpoint transport', () => {
  async function server(handler: http.RequestListener) {
    const s = http.createServer(handler);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/token`;
    return { url, close: () => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); }) };
  }
  // These servers listen on 127.0.0.1, which only an organization that allows private hosts may reach.
  const client = { clientId: 'id', clientSecret: 'secret', clientAuth: 'basic' as const, allowPrivateHosts: true };

  it('a redirect is a network failure, not followed', async () => {
    let hits = 0;
    const s = await server((req, res) => {
      hits++;
      res.writeHead(302, { location: '/elsewhere' }).end();
    });
    try {
      const error = await requestTokens(s.url, client, { grant_type: 'refresh_token', refresh_token: 'rt' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenEndpointError);
      expect((error as InstanceType<typeof TokenEndpointError>).failure).toEqual({ kind: 'network', timedOut: false });
      expect(hits).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('no answer within the timeout is a timed-out network failure', async () => {
    const s = await server(() => {});
    try {
      const started = Date.now();
      const error = await requestTokens(s.url, client, { grant_type: 'refresh_token', refresh_token: 'rt' }, 300).catch((e: unknown) => e);
      expect((error as InstanceType<typeof TokenEndpointError>).failure).toEqual({ kind: 'network', timedOut: true });
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await s.close();
    }
  });

  it('sends the form with basic client authentication, reads a gzip answer and Retry-After', async () => {
    let seen: { auth?: string; body: string; type?: string } | undefined;
    let answer: 'ok' | 'busy' = 'ok';
    const s = await server((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = { auth: req.headers.authorization, body: Buffer.concat(chunks).toString(), type: req.headers['content-type'] };
        if (answer === 'busy') {
          res.writeHead(503, { 'retry-after': '7' }).end();
          return;
        }
        const body = zlib.gzipSync(JSON.stringify({ access_token: 'at', token_type: 'Bearer', expires_in: 60 }));
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(body);
      });
    });
    try {
      const tokens = await requestTokens(s.url, client, { grant_type: 'refresh_token', refresh_token: 'rt' });
      expect(tokens.accessToken()).toBe('at');
      expect(seen).toEqual({ auth: `Basic ${Buffer.from('id:secret').toString('base64')}`, body: 'grant_type=refresh_token&refresh_token=rt', type: 'application/x-www-form-urlencoded' });
      answer = 'busy';
      const error = await requestTokens(s.url, client, { grant_type: 'refresh_token', refresh_token: 'rt' }).catch((e: unknown) => e);
      expect((error as InstanceType<typeof TokenEndpointError>).failure).toEqual({ kind: 'http', status: 503, retryAfterMs: 7_000 });
    } finally {
      await s.close();
    }
  });
});
