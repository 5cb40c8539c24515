// Benchmark: 10,000 OAuth credentials expiring within one minute, refreshed by the refresh worker against a
// local token endpoint, compared with BullMQ no-op jobs on the same backend, concurrency and enqueueing.
import crypto from 'node:crypto';
import pg from 'pg';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CREDENTIALS = Number(process.env.BENCH_CREDENTIALS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

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

async function run() {
  const { prisma } = await import('~/db.server');
  const { createOrganizationDataKey, sealSecret } = await import('~/vault/vault.server');
  const { startTestOAuthProvider } = await import('../test/oauth-provider');
  const { createQueue, createWorker, closeQueues } = await import('~/queue/queue.server');
  const { refreshTimeFor, refreshJobId, REFRESH_JOB, REFRESH_QUEUE } = await import('~/jobs/refresh-schedule.server');
  const { refreshJobProcessor } = await import('~/jobs/refresh.job.server');

  const provider = await startTestOAuthProvider({ accessTokenTtl: 3600 });
  const org = await prisma.organization.create({ data: { slug: `bench-${crypto.randomBytes(4).toString('hex')}`, name: 'Bench' } });
  await createOrganizationDataKey(prisma, org.id);
  const clientSecret = await sealSecret({ organizationId: org.id, credentialId: crypto.randomUUID(), field: 'client_secret', plaintext: provider.clientSecret });
  const appId = crypto.randomUUID();
  const appSecret = await sealSecret({ organizationId: org.id, credentialId: appId, field: 'client_secret', plaintext: provider.clientSecret });
  void clientSecret;
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
    for (const id of ids.slice(start, start + 1_000)) {
      const tokens = provider.issueTokens(['read']);
      for (const [field, value] of [['access_token', tokens.accessToken], ['refresh_token', tokens.refreshToken]] as const) {
        const sealed = await sealSecret({ organizationId: org.id, credentialId: id, field, plaintext: value });
        rows.push({ credentialId: id, field, ciphertext: new Uint8Array(sealed.ciphertext), keyVersion: sealed.keyVersion });
      }
    }
    await prisma.credentialSecret.createMany({ data: rows });
  }

  // Baseline: no-op jobs through the same backend, worker concurrency and bulk enqueueing.
  const noopQueue = createQueue('bench-noop');
  let noopDone = 0;
  const noopWorker = createWorker('bench-noop', async () => { noopDone++; return null; }, { concurrency: CONCURRENCY });
  const noopStart = Date.now();
  const noopCpu = process.cpuUsage();
  for (let start = 0; start < CREDENTIALS; start += 1_000) {
    await noopQueue.addBulk(Array.from({ length: Math.min(1_000, CREDENTIALS - start) }, (_, i) => ({ name: 'noop', data: { i: start + i }, opts: { removeOnComplete: true } })));
  }
  while (noopDone < CREDENTIALS) await sleep(5);
  const noopSeconds = (Date.now() - noopStart) / 1000;
  const noopCpuUsed = process.cpuUsage(noopCpu);
  await noopWorker.close();
  const noopPerS = CREDENTIALS / noopSeconds;
  console.log(`no-op jobs: ${CREDENTIALS} in ${noopSeconds.toFixed(2)} s = ${noopPerS.toFixed(0)}/s`);

  // Every token now expires within the next minute (5–60 s). The jobs are due at once (the worker
  // comes back to a backlog), so the run measures refresh capacity, not the schedule's spacing.
  const t0 = Date.now();
  const expiries = ids.map((_, i) => new Date(t0 + 5_000 + Math.floor((i / CREDENTIALS) * 55_000)));
  await prisma.$executeRaw`
    UPDATE "Credential" c SET "expiresAt" = v.e, "nextRefreshAt" = ${new Date(t0)}::timestamp
    FROM unnest(${ids}::uuid[], ${expiries.map((e) => e.toISOString())}::timestamp[]) AS v(id, e) WHERE c.id = v.id`;
  void refreshTimeFor;
  const refreshQueue = createQueue(REFRESH_QUEUE);
  let refreshed = 0;
  const worker = createWorker(REFRESH_QUEUE, refreshJobProcessor as never, { concurrency: CONCURRENCY });
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
  const cpuPerJob = (u: NodeJS.CpuUsage, n: number) => ((u.user + u.system) / 1000 / n).toFixed(3);
  await closeQueues();
  const refreshPerS = refreshed / refreshSeconds;

  const rows = await prisma.$queryRaw<{ late: number; done: number; stale: number }[]>`
    SELECT count(*) FILTER (WHERE "lastRefreshedAt" IS NULL OR "lastRefreshedAt" > v.e)::int AS late,
           count(*) FILTER (WHERE version >= 2)::int AS done,
           count(*) FILTER (WHERE status <> 'active')::int AS stale
    FROM "Credential" c JOIN unnest(${ids}::uuid[], ${expiries.map((e) => e.toISOString())}::timestamp[]) AS v(id, e) ON c.id = v.id`;
  const { late, done, stale } = rows[0]!;
  const tokenRequests = provider.tokenRequests.filter((r) => r.grantType === 'refresh_token').length;
  await provider.close();
  console.log(`refresh jobs: ${refreshed} in ${refreshSeconds.toFixed(2)} s = ${refreshPerS.toFixed(0)}/s (concurrency ${CONCURRENCY}); token requests=${tokenRequests}; refreshed=${done}; not active=${stale}`);
  console.log(`cpu per job (this process, all threads; refresh includes the in-process token endpoint): no-op ${cpuPerJob(noopCpuUsed, CREDENTIALS)} ms, refresh ${cpuPerJob(refreshCpuUsed, Math.max(1, refreshed))} ms`);
  console.log(`RESULT refresh ratio=${(refreshPerS / noopPerS).toFixed(3)} late=${late} target_ratio=0.5`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
