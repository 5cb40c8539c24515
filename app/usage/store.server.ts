// Where uses wait between flushes: a Redis hash (Redis backend) or an in-memory aggregate staged in an UNLOGGED table (PostgreSQL backend).
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { Prisma } from '~/generated/prisma/client';
import { prisma } from '~/db.server';
import { logger } from '~/logger.server';
import { queueConnection } from '~/queue/queue.server';

/** Newest use per credential, per agent and per (agent, credential) with a count, for one flush window. */
export interface UsageWindow {
  credentials: Map<string, number>;
  agents: Map<string, number>;
  pairs: Map<string, { agentId: string; credentialId: string; at: number; count: number }>;
}

export interface UsageStore {
  kind: 'redis' | 'postgres';
  record(credentialId: string, agentId: string | null, at: number): Promise<void>;
  /** Moves everything recorded so far into PostgreSQL; returns how many rows of each table it wrote and the statements run. */
  flush(): Promise<FlushReport>;
  close(): Promise<void>;
}

export interface FlushReport {
  credentials: number;
  agents: number;
  pairs: number;
  statements: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function emptyWindow(): UsageWindow {
  return { credentials: new Map(), agents: new Map(), pairs: new Map() };
}

function addToWindow(w: UsageWindow, credentialId: string, agentId: string | null, at: number, count = 1) {
  if ((w.credentials.get(credentialId) ?? 0) < at) w.credentials.set(credentialId, at);
  if (!agentId) return;
  if ((w.agents.get(agentId) ?? 0) < at) w.agents.set(agentId, at);
  const key = `${agentId}:${credentialId}`;
  const pair = w.pairs.get(key);
  if (pair) {
    pair.count += count;
    if (pair.at < at) pair.at = at;
  } else w.pairs.set(key, { agentId, credentialId, at, count });
}

const msToTimestamp = (column: Prisma.Sql) => Prisma.sql`(to_timestamp(${column} / 1000.0) AT TIME ZONE 'UTC')::timestamp(3)`;

/**
 * Writes a window in ONE statement: data-modifying CTEs update Credential.lastUsedAt, Agent.lastUsedAt and
 * upsert AgentCredentialUsage from unnest()ed arrays — never one UPDATE per use. Times only move forward.
 */
export function windowStatement(w: UsageWindow): Prisma.Sql {
  const credIds = [...w.credentials.keys()];
  const credAt = credIds.map((id) => w.credentials.get(id)!);
  const agentIds = [...w.agents.keys()];
  const agentAt = agentIds.map((id) => w.agents.get(id)!);
  const pairs = [...w.pairs.values()];
  return Prisma.sql`
    WITH cu AS (
      SELECT id, ${msToTimestamp(Prisma.sql`ms`)} AS at FROM unnest(${credIds}::uuid[], ${credAt}::bigint[]) AS t(id, ms)
    ), au AS (
      SELECT id, ${msToTimestamp(Prisma.sql`ms`)} AS at FROM unnest(${agentIds}::uuid[], ${agentAt}::bigint[]) AS t(id, ms)
    ), pu AS (
      SELECT agent_id, credential_id, ${msToTimestamp(Prisma.sql`ms`)} AS at, n
      FROM unnest(${pairs.map((p) => p.agentId)}::uuid[], ${pairs.map((p) => p.credentialId)}::uuid[],
                  ${pairs.map((p) => p.at)}::bigint[], ${pairs.map((p) => p.count)}::bigint[]) AS t(agent_id, credential_id, ms, n)
    ), c AS (
      UPDATE "Credential" SET "lastUsedAt" = cu.at FROM cu
      WHERE "Credential".id = cu.id AND ("Credential"."lastUsedAt" IS NULL OR "Credential"."lastUsedAt" < cu.at)
      RETURNING 1
    ), a AS (
      UPDATE "Agent" SET "lastUsedAt" = au.at FROM au
      WHERE "Agent".id = au.id AND ("Agent"."lastUsedAt" IS NULL OR "Agent"."lastUsedAt" < au.at)
      RETURNING 1
    ), p AS (
      INSERT INTO "AgentCredentialUsage" ("agentId", "credentialId", "lastUsedAt", "useCount")
      SELECT pu.agent_id, pu.credential_id, pu.at, pu.n FROM pu
      JOIN "Agent" ON "Agent".id = pu.agent_id JOIN "Credential" ON "Credential".id = pu.credential_id
      ON CONFLICT ("agentId", "credentialId") DO UPDATE
        SET "lastUsedAt" = GREATEST("AgentCredentialUsage"."lastUsedAt", EXCLUDED."lastUsedAt"),
            "useCount" = "AgentCredentialUsage"."useCount" + EXCLUDED."useCount"
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM c)::int AS credentials, (SELECT count(*) FROM a)::int AS agents, (SELECT count(*) FROM p)::int AS pairs`;
}

async function writeWindow(w: UsageWindow): Promise<FlushReport> {
  if (w.credentials.size === 0) return { credentials: 0, agents: 0, pairs: 0, statements: 0 };
  const [row] = await prisma.$queryRaw<{ credentials: number; agents: number; pairs: number }[]>(windowStatement(w));
  return { ...row!, statements: 1 };
}

function sumReports(a: FlushReport, b: FlushReport): FlushReport {
  return {
    credentials: a.credentials + b.credentials,
    agents: a.agents + b.agents,
    pairs: a.pairs + b.pairs,
    statements: a.statements + b.statements,
  };
}

/**
 * Redis: uses made in the same event-loop turn are merged (newest time per key, summed counts) and
 * written as ONE MULTI (HSET newest times + HINCRBY counts); each caller's promise resolves once Redis
 * has its use, so nothing is only in memory when recordCredentialUse returns.
 */
class RedisUsageStore implements UsageStore {
  kind = 'redis' as const;
  private client: Redis;
  private pendingKey: string;
  private flushingPattern: string;
  private batch: { window: UsageWindow; done: Promise<void> } | undefined;

  constructor(url: string, prefix: string) {
    this.client = new Redis(url, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
    this.pendingKey = `${prefix}:usage:pending`;
    this.flushingPattern = `${prefix}:usage:flushing:`;
  }

  record(credentialId: string, agentId: string | null, at: number): Promise<void> {
    if (!UUID.test(credentialId) || (agentId !== null && !UUID.test(agentId))) return Promise.resolve();
    if (!this.batch) {
      const window = emptyWindow();
      const done = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          this.batch = undefined;
          this.write(window).then(resolve, reject);
        });
      });
      this.batch = { window, done };
    }
    addToWindow(this.batch.window, credentialId, agentId, at);
    return this.batch.done;
  }

  private async write(w: UsageWindow) {
    const fields: (string | number)[] = [];
    for (const [id, at] of w.credentials) fields.push(`c:${id}`, at);
    for (const [id, at] of w.agents) fields.push(`a:${id}`, at);
    for (const p of w.pairs.values()) fields.push(`t:${p.agentId}:${p.credentialId}`, p.at);
    const multi = this.client.multi().hset(this.pendingKey, ...fields);
    for (const p of w.pairs.values()) multi.hincrby(this.pendingKey, `n:${p.agentId}:${p.credentialId}`, p.count);
    const results = await multi.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async flush(): Promise<FlushReport> {
    // RENAME is atomic: uses recorded from now on go to a fresh hash (the next window).
    const windowKey = `${this.flushingPattern}${crypto.randomUUID()}`;
    try {
      await this.client.rename(this.pendingKey, windowKey);
    } catch (error) {
      if (!/no such key/i.test((error as Error).message)) throw error;
    }
    // Windows a crashed flush left behind are written too (times only move forward, so that is safe).
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.client.scan(cursor, 'MATCH', `${this.flushingPattern}*`, 'COUNT', 100);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    let report: FlushReport = { credentials: 0, agents: 0, pairs: 0, statements: 0 };
    for (const key of keys) {
      const fields = await this.client.hgetall(key);
      report = sumReports(report, await writeWindow(parseRedisWindow(fields)));
      await this.client.unlink(key);
    }
    return report;
  }

  async close() {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

function parseRedisWindow(fields: Record<string, string>): UsageWindow {
  const w = emptyWindow();
  const counts = new Map<string, number>();
  for (const [field, value] of Object.entries(fields)) if (field.startsWith('n:')) counts.set(field.slice(2), Number(value));
  for (const [field, value] of Object.entries(fields)) {
    const at = Number(value);
    if (field.startsWith('c:')) {
      const id = field.slice(2);
      if (UUID.test(id)) addToWindow(w, id, null, at, 0);
    } else if (field.startsWith('a:')) {
      const id = field.slice(2);
      if (UUID.test(id) && (w.agents.get(id) ?? 0) < at) w.agents.set(id, at);
    } else if (field.startsWith('t:')) {
      const [agentId, credentialId] = field.slice(2).split(':');
      if (!agentId || !credentialId || !UUID.test(agentId) || !UUID.test(credentialId)) continue;
      w.pairs.set(`${agentId}:${credentialId}`, { agentId, credentialId, at, count: counts.get(`${agentId}:${credentialId}`) ?? 1 });
    }
  }
  return w;
}

export const STAGING_TABLE = 'latchkey_usage.staged';
/** How often a process stages its in-memory uses on the PostgreSQL backend. */
export const STAGE_INTERVAL_MS = 1_000;

/**
 * PostgreSQL backend: uses are aggregated in memory (newest time per key) and staged once a second
 * with ONE insert into an UNLOGGED table, so the hot path never touches the database. The flush job
 * drains the table in the same single statement that updates the real tables. A crashed process loses
 * at most its last second of last-used times (ADR 004).
 */
class PostgresUsageStore implements UsageStore {
  kind = 'postgres' as const;
  private buffer = emptyWindow();
  private timer: NodeJS.Timeout;
  private ready: Promise<void> | undefined;

  constructor() {
    this.timer = setInterval(() => {
      this.stage().catch((error: Error) => logger.warn({ err: { message: error.message } }, 'usage staging failed'));
    }, STAGE_INTERVAL_MS);
    this.timer.unref();
  }

  private ensureTable() {
    this.ready ??= (async () => {
      await prisma.$transaction(async (tx) => {
        // CREATE … IF NOT EXISTS can still collide when two processes race; the lock serialises them.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('latchkey.usage.staging'))`;
        await tx.$executeRawUnsafe('CREATE SCHEMA IF NOT EXISTS latchkey_usage');
        await tx.$executeRawUnsafe(
          `CREATE UNLOGGED TABLE IF NOT EXISTS ${STAGING_TABLE} (agent_id uuid, credential_id uuid NOT NULL, ms bigint NOT NULL, n bigint NOT NULL)`,
        );
      });
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async record(credentialId: string, agentId: string | null, at: number) {
    if (!UUID.test(credentialId) || (agentId !== null && !UUID.test(agentId))) return;
    addToWindow(this.buffer, credentialId, agentId, at);
  }

  /** Moves this process's buffer into the staging table (one INSERT). */
  async stage(): Promise<void> {
    const w = this.buffer;
    if (w.credentials.size === 0) return;
    this.buffer = emptyWindow();
    await this.ensureTable();
    const rows: { agentId: string | null; credentialId: string; at: number; n: number }[] = [];
    const paired = new Set<string>();
    for (const p of w.pairs.values()) {
      rows.push({ agentId: p.agentId, credentialId: p.credentialId, at: p.at, n: p.count });
      paired.add(p.credentialId);
    }
    for (const [credentialId, at] of w.credentials) rows.push({ agentId: null, credentialId, at, n: 0 });
    try {
      await prisma.$executeRawUnsafe(
        `INSERT INTO ${STAGING_TABLE} (agent_id, credential_id, ms, n) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[])`,
        rows.map((r) => r.agentId),
        rows.map((r) => r.credentialId),
        rows.map((r) => r.at),
        rows.map((r) => r.n),
      );
    } catch (error) {
      // Keep the uses for the next attempt rather than dropping them.
      for (const r of rows) addToWindow(this.buffer, r.credentialId, r.agentId, r.at, r.n);
      throw error;
    }
  }

  async flush(): Promise<FlushReport> {
    await this.stage();
    await this.ensureTable();
    return prisma.$transaction(async (tx) => {
      // Drain and aggregate in the transaction that writes, so a failed write leaves the rows staged.
      const staged = await tx.$queryRawUnsafe<{ agent_id: string | null; credential_id: string; ms: bigint; n: bigint }[]>(
        `DELETE FROM ${STAGING_TABLE} RETURNING agent_id, credential_id, ms, n`,
      );
      const w = emptyWindow();
      for (const r of staged) addToWindow(w, r.credential_id, r.agent_id, Number(r.ms), Number(r.n));
      if (w.credentials.size === 0) return { credentials: 0, agents: 0, pairs: 0, statements: 0 };
      const [row] = await tx.$queryRaw<{ credentials: number; agents: number; pairs: number }[]>(windowStatement(w));
      return { ...row!, statements: 1 };
    });
  }

  async close() {
    clearInterval(this.timer);
    await this.stage().catch((error: Error) => logger.warn({ err: { message: error.message } }, 'usage staging failed'));
  }
}

let store: UsageStore | undefined;

/** This process's usage store, on the queue's backend. */
export function usageStore(): UsageStore {
  if (!store) {
    const connection = queueConnection();
    store = connection.kind === 'redis' ? new RedisUsageStore(connection.url, connection.prefix) : new PostgresUsageStore();
  }
  return store;
}

/** Writes what is pending into PostgreSQL now (the flush job, tests and benchmarks call it). */
export async function flushUsage(): Promise<FlushReport> {
  return usageStore().flush();
}

/** Stages what is buffered and closes the store's connections (call on shutdown). */
export async function closeUsageStore(): Promise<void> {
  const s = store;
  store = undefined;
  await s?.close();
}
