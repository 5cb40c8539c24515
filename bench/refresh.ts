// Benchmark: 10,000 OAuth credentials expiring within one minute, refreshed by the refresh worker against a
// local token endpoint, compared with BullMQ no-op jobs on the same backend, concurrency and enqueueing.
// The token endpoint runs in its own process, as a provider does. A third phase, jobs that do nothing
// but one bare token request, measures the ceiling any refresh can reach on this machine in this run.
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CREDENTIALS = Number(process.env.BENCH_CREDENTIALS ?? 10_000);

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function main() {
  const database = `latchkey_bench_refresh_${crypto.randomBytes(4).toString('hex')}`;
  const url = new URL(BASE_URL);
  url.pathname = `/${database}`;
  await admin(`CREATE DATABASE "${database}"`);
  try {
    const { migrateDatabase } = await import('~/db/migrate.server');
    await migrateDatabase(url.toString());
    process.env.DATABASE_URL = url.toString();
    process.env.LATCHKEY_MASTER_KEYS ??= `bench:${crypto.randomBytes(32).toString('base64')}`;
    process.env.LOG_LEVEL = 'warn';
    if (process.env.BENCH_BACKEND === 'postgres') delete process.env.REDIS_URL;
    else process.env.REDIS_URL ??= 'redis://127.0.0.1:6379';
    process.env.REDIS_PREFIX = `bench-refresh-${crypto.randomBytes(4).toString('hex')}`;
    await run();
  } finally {
    const { prisma } = await import('~/db.server');
    await prisma.$disconnect();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
}

/** BENCH_PROFILE=file.cpuprofile: a CPU profile of the refresh phase only. */
async function startProfile() {
  const inspector = await import('node:inspector/promises');
  const fs = await import('node:fs/promises');
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file: string) {
      const { profile } = await session.post('Profiler.stop');
      await fs.writeFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU of this process (all threads) per job: the machine is shared, so this is steadier than wall time. */
const cpuPerJob = (u: NodeJS.CpuUsage, n: number) => ((u.user + u.system) / 1000 / n).toFixed(3);

type QueueModule = typeof import('~/queue/queue.server');

/** A phase that has not finished by then is stuck, not slow: fail with what was done instead of hanging. */
const PHASE_TIMEOUT_MS = 120_000;

/** CREDENTIALS jobs of one kind, added in bulk and run at the refresh worker's concurrency. */
async function measureJobs(
  { createQueue, createWorker }: Pick<QueueModule, 'createQueue' | 'createWorker'>,
  concurrency: number,
  name: string,
  work: (i: number) => Promise<unknown>,
) {
  const queue = createQueue(name);
  let done = 0;
  const worker = createWorker(name, async (job) => { await work(job.data.i as number); done++; return null; }, { concurrency });
  const start = Date.now();
  const cpuStart = process.cpuUsage();
  for (let first = 0; first < CREDENTIALS; first += 1_000) {
    await queue.addBulk(Array.from({ length: Math.min(1_000, CREDENTIALS - first) }, (_, k) => ({ name, data: { i: first + k }, opts: { removeOnComplete: true } })));
  }
  while (done < CREDENTIALS) {
    if (Date.now() - start > PHASE_TIMEOUT_MS) throw new Error(`${name}: only ${done} of ${CREDENTIALS} jobs finished within ${PHASE_TIMEOUT_MS / 1000} s`);
    await sleep(5);
  }
  const seconds = (Date.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  await worker.close();
  return { seconds, perS: CREDENTIALS / seconds, cpu };
}

/** The token endpoint in its own process (bench/support/provider-process.ts). */
async function startProviderProcess(refreshTokens: number) {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'provider-process.ts');
  const child = fork(script, [String(refreshTokens)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  type Message = import('./support/provider-process').ProviderMessage;
  const next = <K extends Message['kind']>(kind: K) =>
    new Promise<Extract<Message, { kind: K }>>((resolve, reject) => {
      const onMessage = (m: Message) => { if (m.kind === kind) { child.off('exit', onExit); child.off('message', onMessage); resolve(m as Extract<Message, { kind: K }>); } };
      const onExit = (code: number | null) => reject(new Error(`the provider process exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = await next('ready');
  return {
    ...ready,
    async refreshRequests() {
      const answer = next('count');
      child.send({});
      return (await answer).refreshRequests;
    },
    close: () => child.disconnect(),
  };
}

async function run() {
  const { prisma } = await import('~/db.server');
  const { createOrganizationDataKey, sealSecret } = await import('~/vault/vault.server');
  const { requestTokens } = await import('~/oauth/token-endpoint.server');
  const { createQueue, createWorker, closeQueues } = await import('~/queue/queue.server');
  const { refreshJobId, REFRESH_JOB, REFRESH_QUEUE } = await import('~/jobs/refresh-schedule.server');
  const { refreshJobProcessor, REFRESH_WORKER_OPTIONS } = await import('~/jobs/refresh.job.server');
  const { refreshBatchStats } = await import('~/oauth/refresh-batch.server');
  // Every phase runs at the refresh worker's own concurrency (BENCH_CONCURRENCY overrides it).
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? REFRESH_WORKER_OPTIONS.concurrency);
  const queues = { createQueue, createWorker };

  const provider = await startProviderProcess(2 * CREDENTIALS);
  // The provider process listens on 127.0.0.1, which only an organization that allows private hosts may reach.
  const org = await prisma.organization.create({ data: { slug: `bench-${crypto.randomBytes(4).toString('hex')}`, name: 'Bench', allowPrivateHosts: true } });
  await createOrganizationDataKey(prisma, org.id);
  const appId = crypto.randomUUID();
  const appSecret = await sealSecret({ organizationId: org.id, credentialId: appId, field: 'client_secret', plaintext: provider.clientSecret });
  await prisma.oAuthApp.create({
    data: {
      id: appId,
      organizationId: org.id,
      provider: 'custom',
      name: 'Local',
      clientId: provider.clientId,
      clientSecret: new Uint8Array(appSecret.ciphertext),
      clientSecretKeyVersion: appSecret.keyVersion,
      authorizationUrl: provider.authorizationUrl,
      tokenUrl: provider.tokenUrl,
      scopes: ['read'],
      clientAuth: 'basic',
    },
  });

  // 10,000 credentials holding real provider tokens, sealed like any other.
  console.log(`setting up ${CREDENTIALS} OAuth credentials…`);
  const ids = Array.from({ length: CREDENTIALS }, () => crypto.randomUUID());
  const placeholder = new Date(Date.now() + 3_600_000);
  await prisma.credential.createMany({
    data: ids.map((id, i) => ({
      id, organizationId: org.id, name: `oauth-${i}`, service: 'custom', type: 'oauth' as const,
      oauthProvider: 'custom', oauthAppId: appId, expiresAt: placeholder,
    })),
  });
  for (let start = 0; start < CREDENTIALS; start += 1_000) {
    const rows = [];
    for (const [k, id] of ids.slice(start, start + 1_000).entries()) {
      const refreshToken = provider.refreshTokens[start + k]!;
      const accessToken = `at_${crypto.randomBytes(18).toString('base64url')}`;
      for (const [field, value] of [['access_token', accessToken], ['refresh_token', refreshToken]] as const) {
        const sealed = await sealSecret({ organizationId: org.id, credentialId: id, field, plaintext: value });
        rows.push({ credentialId: id, field, ciphertext: new Uint8Array(sealed.ciphertext), keyVersion: sealed.keyVersion });
      }
    }
    await prisma.credentialSecret.createMany({ data: rows });
  }

  // Baseline: no-op jobs through the same backend, worker concurrency and bulk enqueueing.
  const noop = await measureJobs(queues, concurrency, 'bench-noop', async () => null);
  console.log(`no-op jobs: ${CREDENTIALS} in ${noop.seconds.toFixed(2)} s = ${noop.perS.toFixed(0)}/s`);
  // Ceiling: each job makes one bare token request (a spare refresh token each) and nothing else.
  const spare = provider.refreshTokens.slice(CREDENTIALS);
  const client = { clientId: provider.clientId, clientSecret: provider.clientSecret, clientAuth: 'basic' as const, allowPrivateHosts: true };
  const bare = await measureJobs(queues, concurrency, 'bench-bare-request', (i) =>
    requestTokens(provider.tokenUrl, client, { grant_type: 'refresh_token', refresh_token: spare[i]! }),
  );
  console.log(`bare token request jobs: ${CREDENTIALS} in ${bare.seconds.toFixed(2)} s = ${bare.perS.toFixed(0)}/s`);

  // Every token now expires within the next minute (5–60 s). The jobs are due at once (the worker
  // comes back to a backlog), so the run measures refresh capacity, not the schedule's spacing.
  const t0 = Date.now();
  const expiries = ids.map((_, i) => new Date(t0 + 5_000 + Math.floor((i / CREDENTIALS) * 55_000)));
  await prisma.$executeRaw`
    UPDATE "Credential" c SET "expiresAt" = v.e, "nextRefreshAt" = ${new Date(t0)}::timestamp
    FROM unnest(${ids}::uuid[], ${expiries.map((e) => e.toISOString())}::timestamp[]) AS v(id, e) WHERE c.id = v.id`;
  const refreshQueue = createQueue(REFRESH_QUEUE);
  let refreshed = 0;
  const worker = createWorker(REFRESH_QUEUE, refreshJobProcessor as never, { ...REFRESH_WORKER_OPTIONS, concurrency });
  worker.on('completed', () => refreshed++);
  const profiler = process.env.BENCH_PROFILE ? await startProfile() : null;
  const refreshStart = Date.now();
  const refreshCpu = process.cpuUsage();
  for (let start = 0; start < CREDENTIALS; start += 1_000) {
    await refreshQueue.addBulk(
      ids.slice(start, start + 1_000).map((id, k) => ({
        name: REFRESH_JOB,
        data: { credentialId: id, runAt: t0, attempt: 0, forExpiry: expiries[start + k]!.getTime() },
        opts: { jobId: refreshJobId(id, t0, expiries[start + k]!), removeOnComplete: true },
      })),
    );
  }
  const deadline = t0 + 5_000 + 55_000 + 60_000;
  while (refreshed < CREDENTIALS && Date.now() < deadline) await sleep(20);
  const refreshSeconds = (Date.now() - refreshStart) / 1000;
  const refreshCpuUsed = process.cpuUsage(refreshCpu);
  if (profiler) await profiler.stop(process.env.BENCH_PROFILE!);
  // CPU of this process (all threads) per job: the machine is shared, so this is steadier than wall time.
  await closeQueues();
  const refreshPerS = refreshed / refreshSeconds;

  const rows = await prisma.$queryRaw<{ late: number; done: number; stale: number }[]>`
    SELECT count(*) FILTER (WHERE "lastRefreshedAt" IS NULL OR "lastRefreshedAt" > v.e)::int AS late,
           count(*) FILTER (WHERE version >= 2)::int AS done,
           count(*) FILTER (WHERE status <> 'active')::int AS stale
    FROM "Credential" c JOIN unnest(${ids}::uuid[], ${expiries.map((e) => e.toISOString())}::timestamp[]) AS v(id, e) ON c.id = v.id`;
  const { late, done, stale } = rows[0]!;
  const tokenRequests = (await provider.refreshRequests()) - CREDENTIALS;
  provider.close();
  console.log(`refresh jobs: ${refreshed} in ${refreshSeconds.toFixed(2)} s = ${refreshPerS.toFixed(0)}/s (concurrency ${concurrency}); token requests=${tokenRequests}; refreshed=${done}; not active=${stale}`);
  const batches = refreshBatchStats();
  console.log(`shared batches: ${batches.claimBatches} lease statements (${(batches.claimed / Math.max(1, batches.claimBatches)).toFixed(1)} credentials each), ${batches.commitBatches} writes (${(batches.committed / Math.max(1, batches.commitBatches)).toFixed(1)} each)`);
  console.log(`cpu per job (this process, all threads): no-op ${cpuPerJob(noop.cpu, CREDENTIALS)} ms, bare token request ${cpuPerJob(bare.cpu, CREDENTIALS)} ms, refresh ${cpuPerJob(refreshCpuUsed, Math.max(1, refreshed))} ms`);
  console.log(`RESULT refresh ratio=${(refreshPerS / noop.perS).toFixed(3)} late=${late} bare_request_ratio=${(bare.perS / noop.perS).toFixed(3)} target_ratio=0.5`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
