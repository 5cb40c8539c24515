// Benchmark of the credentials table at 100,000 credentials: the page's data function vs the bare SQL for the same rows.
import crypto from 'node:crypto';
import pg from 'pg';
import type { TableState } from '~/credentials/table-state';
import type { Prisma as PrismaTypes } from '~/generated/prisma/client';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CREDENTIALS = Number(process.env.BENCH_CREDENTIALS ?? 100_000);
const WARMUP = 5;
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 30);

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const sortNumbers = (xs: number[]) => [...xs].sort((a, b) => a - b);
const ms = (x: number) => x.toFixed(2).padStart(8);

interface Scenario {
  label: string;
  state: Partial<TableState>;
}

const SCENARIOS: Scenario[] = [
  { label: "search 'git'", state: { q: 'git' } },
  { label: 'type=api_key', state: { type: ['api_key'] } },
  { label: 'sort -lastUsed', state: { sort: '-lastUsed' } },
  { label: 'deep page 1500 (name)', state: { page: 1500 } },
  { label: 'deep page 1900 -lastUsed', state: { sort: '-lastUsed', page: 1900 } },
  {
    label: "q=bot type=api_key,oauth status=active sort=-expires p20",
    state: { q: 'bot', type: ['api_key', 'oauth'], status: ['active'], sort: '-expires', page: 20 },
  },
  // Statuses are read at request time (expiring, or expired before the sweep ran): filtered and sorted by that.
  { label: 'status=expiring,expired', state: { status: ['expiring', 'expired'] } },
  { label: 'sort -status (worst first)', state: { sort: '-status' } },
];

async function main() {
  const database = `lk_bench_table_${crypto.randomBytes(4).toString('hex')}`;
  const url = withDatabase(BASE_URL, database);
  await admin(`CREATE DATABASE ${database}`);
  // The app modules read DATABASE_URL when first imported: point them at the scratch database first.
  process.env.DATABASE_URL = url;
  const { prisma } = await import('~/db.server');
  try {
    const { migrateDatabase } = await import('~/db/migrate.server');
    const { seedCredentials } = await import('../prisma/seed');
    const { listCredentials, buildWhere, tableStatusSql } = await import('~/credentials/query.server');
    const { statusRankSql } = await import('~/credentials/status-sql.server');
    const { DEFAULT_TABLE_STATE } = await import('~/credentials/table-state');
    const { Prisma } = await import('~/generated/prisma/client');

    await migrateDatabase(url);
    const t0 = performance.now();
    const { organizationId } = await seedCredentials(prisma, { orgSlug: 'bench', credentials: CREDENTIALS, randomSeed: 7 });
    console.log(`seeded ${CREDENTIALS} credentials in ${((performance.now() - t0) / 1000).toFixed(1)} s (${database})`);

    /** The hand-written single statement a developer would write for the same page: no tricks. */
    const bareSql = (state: TableState) => {
      // The status column is the status read now (ranked mildest first), so its sort is that expression.
      const rank = statusRankSql(tableStatusSql(organizationId, new Date()));
      const orderBy: Record<TableState['sort'], string | PrismaTypes.Sql> = {
        name: 'c."name" ASC, c."id" ASC',
        '-name': 'c."name" DESC, c."id" DESC',
        status: Prisma.sql`${rank} ASC, c."name" ASC, c."id" ASC`,
        '-status': Prisma.sql`${rank} DESC, c."name" DESC, c."id" DESC`,
        lastUsed: 'c."lastUsedAt" ASC NULLS LAST, c."id" ASC',
        '-lastUsed': 'c."lastUsedAt" DESC NULLS LAST, c."id" DESC',
        expires: 'c."expiresAt" ASC NULLS LAST, c."id" ASC',
        '-expires': 'c."expiresAt" DESC NULLS LAST, c."id" DESC',
      };
      return Prisma.sql`
        SELECT c."id", c."name", c."service", c."type"::text AS "type", c."status"::text AS "status", c."statusReason",
               c."lastUsedAt", c."expiresAt", c."createdAt", u."name" AS "createdByName"
        FROM "Credential" c LEFT JOIN "User" u ON u."id" = c."createdById"
        WHERE ${buildWhere(organizationId, state)}
        ORDER BY ${typeof orderBy[state.sort] === 'string' ? Prisma.raw(orderBy[state.sort] as string) : (orderBy[state.sort] as PrismaTypes.Sql)}
        LIMIT ${state.size} OFFSET ${(state.page - 1) * state.size}`;
    };

    const allPage: number[] = [];
    const allSql: number[] = [];
    const ratios: number[] = [];
    console.log(`\n${'scenario'.padEnd(58)} page med   p95 |  sql med   p95 | ratio  rows`);
    for (const scenario of SCENARIOS) {
      const state: TableState = { ...DEFAULT_TABLE_STATE, size: 50, ...scenario.state };
      const sql = bareSql(state);
      // Same rows, same order, or the comparison means nothing.
      const expected = await prisma.$queryRaw<{ id: string }[]>(sql);
      const got = await listCredentials(organizationId, state, prisma);
      if (expected.map((r) => r.id).join() !== got.rows.map((r) => r.id).join()) {
        throw new Error(`${scenario.label}: listCredentials and the bare SQL returned different rows`);
      }
      const page: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < WARMUP + ITERATIONS; i++) {
        // Alternate the two so both see the same background noise.
        let start = performance.now();
        await listCredentials(organizationId, state, prisma);
        const tPage = performance.now() - start;
        start = performance.now();
        await prisma.$queryRaw(sql);
        const tSql = performance.now() - start;
        if (i >= WARMUP) {
          page.push(tPage);
          bare.push(tSql);
        }
      }
      const p = sortNumbers(page);
      const b = sortNumbers(bare);
      const ratio = percentile(p, 50) / percentile(b, 50);
      ratios.push(ratio);
      allPage.push(...page);
      allSql.push(...bare);
      console.log(
        `${scenario.label.padEnd(58)}${ms(percentile(p, 50))}${ms(percentile(p, 95))} |${ms(percentile(b, 50))}${ms(percentile(b, 95))} | ${ratio.toFixed(2).padStart(5)} ${String(got.rows.length).padStart(5)}  total=${got.total}${got.totalExact ? '' : '+'}`,
      );
    }
    const pageSorted = sortNumbers(allPage);
    const sqlSorted = sortNumbers(allSql);
    const ratio = percentile(pageSorted, 50) / percentile(sqlSorted, 50);
    console.log(
      `\nall scenarios: page median ${percentile(pageSorted, 50).toFixed(2)} ms, sql median ${percentile(sqlSorted, 50).toFixed(2)} ms; per-scenario ratios ${ratios.map((r) => r.toFixed(2)).join(' ')}`,
    );
    console.log(`RESULT table ratio=${ratio.toFixed(2)} p95_ms=${percentile(pageSorted, 95).toFixed(1)} target_ratio=3 target_p95_ms=100`);
  } finally {
    await prisma.$disconnect();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
