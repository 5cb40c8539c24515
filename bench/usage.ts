// Benchmark of recordCredentialUse on the hot path (100,000 uses, 1,000 credentials, 50 agents) and the flush that follows.
import crypto from 'node:crypto';
import pg from 'pg';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const USES = Number(process.env.BENCH_USES ?? 100_000);
const CREDENTIALS = 1_000;
const AGENTS = 50;
/** Callers in flight at once, as many proxied agent requests would be. */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);

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
  const database = `latchkey_bench_usage_${crypto.randomBytes(4).toString('hex')}`;
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
    process.env.REDIS_PREFIX = `bench-usage-${crypto.randomBytes(4).toString('hex')}`;
    await run();
  } finally {
    const { prisma } = await import('~/db.server');
    await prisma.$disconnect();
    await admin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  }
}

async function run() {
  const { prisma } = await import('~/db.server');
  const { recordCredentialUse } = await import('~/usage/usage.server');
  const { flushUsage, closeUsageStore, usageStore } = await import('~/usage/store.server');
  const org = await prisma.organization.create({ data: { slug: `bench-${crypto.randomBytes(4).toString('hex')}`, name: 'Bench' } });
  const credentialIds = Array.from({ length: CREDENTIALS }, () => crypto.randomUUID());
  const agentIds = Array.from({ length: AGENTS }, () => crypto.randomUUID());
  await prisma.credential.createMany({
    data: credentialIds.map((id, i) => ({ id, organizationId: org.id, name: `cred-${i}`, service: 'openai', type: 'api_key' as const })),
  });
  await prisma.agent.createMany({ data: agentIds.map((id, i) => ({ id, organizationId: org.id, name: `agent-${i}` })) });
  const backend = usageStore().kind;

  // Warm-up: connections open, code paths compiled.
  for (let i = 0; i < 1_000; i++) await recordCredentialUse({ id: credentialIds[i % CREDENTIALS]!, organizationId: org.id }, { id: agentIds[i % AGENTS]! });
  await flushUsage();

  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        const i = next++;
        if (i >= USES) return;
        await recordCredentialUse(
          { id: credentialIds[(i * 7919) % CREDENTIALS]!, organizationId: org.id },
          i % 10 === 0 ? null : { id: agentIds[i % AGENTS]! },
        );
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const flushStarted = process.hrtime.bigint();
  const report = await flushUsage();
  const flushMs = Number(process.hrtime.bigint() - flushStarted) / 1e6;
  const used = await prisma.credential.count({ where: { organizationId: org.id, lastUsedAt: { not: null } } });
  const agents = await prisma.agent.count({ where: { organizationId: org.id, lastUsedAt: { not: null } } });
  await closeUsageStore();
  const usesPerS = Math.round(USES / seconds);
  console.log(`backend=${backend} uses=${USES} concurrency=${CONCURRENCY} record_seconds=${seconds.toFixed(2)}`);
  console.log(`flush: ${report.statements} last-used statement(s) in ${flushMs.toFixed(0)} ms; credentials=${report.credentials} agents=${report.agents} agent_credential_pairs=${report.pairs}`);
  console.log(`audit: ${report.auditEvents} credential.used rows (one per agent and credential in the window) in ${report.auditStatements} statement(s)`);
  console.log(`database: ${used}/${CREDENTIALS} credentials and ${agents}/${AGENTS} agents have lastUsedAt`);
  if (used !== CREDENTIALS || agents !== AGENTS) throw new Error('the flush did not write every credential and agent');
  console.log(`RESULT usage uses_per_s=${usesPerS} statements_per_flush=${report.statements} target_uses_per_s=20000`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
