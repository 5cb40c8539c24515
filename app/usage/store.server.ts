// Where uses wait between flushes: a Redis hash (Redis backend) or an in-memory aggregate staged in an UNLOGGED table (PostgreSQL backend).
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { Prisma } from '~/generated/prisma/client';
import { recordAuditBatch } from '~/audit/audit.server';
import { registerStatefulModule } from '~/cluster/stateful-modules.server';
import { prisma } from '~/db.server';
import { logger } from '~/logger.server';
import { queueConnection } from '~/queue/queue.server';

/** Newest use per credential, per agent and per (agent, credential) with a count, for one flush window. */
export interface UsageWindow {
  credentials: Map<string, number>;
  agents: Map<string, number>;
  /** Per (agent, credential): newest use, how many, and the address of the newest request (audited per window). */
  pairs: Map<string, UsagePair>;
}

export interface UsagePair {
  agentId: string;
  credentialId: string;
  at: number;
  count: number;
  ip: string | null;
}

export interface UsageStore {
  kind: 'redis' | 'postgres';
  record(credentialId: string, agentId: string | null, at: number, ip?: string | null): Promise<void>;
  /** Moves everything recorded so far into PostgreSQL; returns how many rows of each table it wrote and the statements run. */
  flush(): Promise<FlushReport>;
  close(): Promise<void>;
}

export interface FlushReport {
  credentials: number;
  agents: number;
  pairs: number;
  /** Statements that wrote last-used times (one per window). */
  statements: number;
  /** `credential.used` audit rows written (one per agent and credential per window), and the statements that took. */
  auditEvents: number;
  auditStatements: number;
}

const EMPTY_REPORT: FlushReport = { credentials: 0, agents: 0, pairs: 0, statements: 0, auditEvents: 0, auditStatements: 0 };

/** The audit action of agent use (one row per agent and credential per flush window). */
export const USE_AUDIT_ACTION = 'credential.used';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function emptyWindow(): UsageWindow {
  return { credentials: new Map(), agents: new Map(), pairs: new Map() };
}

function addToWindow(w: UsageWindow, credentialId: string, agentId: string | null, at: number, count = 1, ip: string | null = null) {
  if ((w.credentials.get(credentialId) ?? 0) < at) w.credentials.set(credentialId, at);
  if (!agentId) return;
  if ((w.agents.get(agentId) ?? 0) < at) w.agents.set(agentId, at);
  const key = `${agentId}:${credentialId}`;
  const pair = w.pairs.get(key);
  if (pair) {
    pair.count += count;
    if (pair.at <= at) {
      pair.at = at;
      pair.ip = ip ?? pair.ip;
    }
  } else w.pairs.set(key, { agentId, credentialId, at, count, ip });
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

/**
 * Agent use is audited once per agent and credential per window ("used 37 times, last at …, from …"):
 * an audit row per request would put a database write back on the hot path. One lookup of the agents'
 * names and organizations, then one chained batch insert per organization (recordAuditBatch).
 */
async function auditWindow(tx: Prisma.TransactionClient, w: UsageWindow): Promise<{ auditEvents: number; auditStatements: number }> {
  const pairs = [...w.pairs.values()];
  if (pairs.length === 0) return { auditEvents: 0, auditStatements: 0 };
  const found = await tx.$queryRaw<{ agent_id: string; credential_id: string; organization_id: string; agent_name: string }[]>`
    SELECT a.id AS agent_id, c.id AS credential_id, c."organizationId" AS organization_id, a.name AS agent_name
    FROM unnest(${pairs.map((p) => p.agentId)}::uuid[], ${pairs.map((p) => p.credentialId)}::uuid[]) AS t(agent_id, credential_id)
    JOIN "Agent" a ON a.id = t.agent_id JOIN "Credential" c ON c.id = t.credential_id AND c."organizationId" = a."organizationId"`;
  const byOrg = new Map<string, Parameters<typeof recordAuditBatch>[2][number][]>();
  for (const row of found) {
    const pair = w.pairs.get(`${row.agent_id}:${row.credential_id}`)!;
    const events = byOrg.get(row.organization_id) ?? [];
    events.push({
      context: { actor: { type: 'agent', id: row.agent_id, label: row.agent_name }, ip: pair.ip, userAgent: null },
      action: USE_AUDIT_ACTION,
      targetType: 'credential',
      targetId: row.credential_id,
      credentialId: row.credential_id,
      details: { uses: pair.count, lastUsedAt: new Date(pair.at).toISOString() },
    });
    byOrg.set(row.organization_id, events);
  }
  let auditEvents = 0;
  for (const [organizationId, events] of byOrg) auditEvents += (await recordAuditBatch(tx, organizationId, events)).length;
  // The lookup, then per organization: the lock, the chain head and the insert.
  return { auditEvents, auditStatements: 1 + byOrg.size * 3 };
}

/** Writes a window's last-used times and its use audit rows in one transaction. */
async function writeWindow(w: UsageWindow, tx?: Prisma.TransactionClient): Promise<FlushReport> {
  if (w.credentials.size === 0) return EMPTY_REPORT;
  if (!tx) return prisma.$transaction((t) => writeWindow(w, t), { timeout: 60_000 });
  const [row] = await tx.$queryRaw<{ credentials: number; agents: number; pairs: number }[]>(windowStatement(w));
  return { ...row!, statements: 1, ...(await auditWindow(tx, w)) };
}

function sumReports(a: FlushReport, b: FlushReport): FlushReport {
  return {
    credentials: a.credentials + b.credentials,
    agents: a.agents + b.agents,
    pairs: a.pairs + b.pairs,
    statements: a.statements + b.statements,
    auditEvents: a.auditEvents + b.auditEvents,
    auditStatements: a.auditStatements + b.auditStatements,
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

  record(credentialId: string, agentId: string | null, at: number, ip: string | null = null): Promise<void> {
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
    addToWindow(this.batch.window, credentialId, agentId, at, 1, ip);
    return this.batch.done;
  }

  private async write(w: UsageWindow) {
    const fields: (string | number)[] = [];
    for (const [id, at] of w.credentials) fields.push(`c:${id}`, at);
    for (const [id, at] of w.agents) fields.push(`a:${id}`, at);
    for (const p of w.pairs.values()) {
      fields.push(`t:${p.agentId}:${p.credentialId}`, p.at);
      // The newest request's address; a concurrent writer may win the field, which is as good a "recent origin".
      if (p.ip) fields.push(`o:${p.agentId}:${p.credentialId}`, p.ip);
    }
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
    let report: FlushReport = EMPTY_REPORT;
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
  const origins = new Map<string, string>();
  for (const [field, value] of Object.entries(fields)) {
    if (field.startsWith('n:')) counts.set(field.slice(2), Number(value));
    else if (field.startsWith('o:')) origins.set(field.slice(2), value);
  }
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
      const key = `${agentId}:${credentialId}`;
      w.pairs.set(key, { agentId, credentialId, at, count: counts.get(key) ?? 1, ip: origins.get(key) ?? null });
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
        await tx.$executeRawUnsafe(`ALTER TABLE ${STAGING_TABLE} ADD COLUMN IF NOT EXISTS ip text`);
      });
    })().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async record(credentialId: string, agentId: string | null, at: number, ip: string | null = null) {
    if (!UUID.test(credentialId) || (agentId !== null && !UUID.test(agentId))) return;
    addToWindow(this.buffer, credentialId, agentId, at, 1, ip);
  }

  /** Moves this process's buffer into the staging table (one INSERT). */
  async stage(): Promise<void> {
    const w = this.buffer;
    if (w.credentials.size === 0) return;
    this.buffer = emptyWindow();
    await this.ensureTable();
    const rows: { agentId: string | null; credentialId: string; at: number; n: number; ip: string | null }[] = [];
    for (const p of w.pairs.values()) rows.push({ agentId: p.agentId, credentialId: p.credentialId, at: p.at, n: p.count, ip: p.ip });
    for (const [credentialId, at] of w.credentials) rows.push({ agentId: null, credentialId, at, n: 0, ip: null });
    try {
      await prisma.$executeRawUnsafe(
        `INSERT INTO ${STAGING_TABLE} (agent_id, credential_id, ms, n, ip) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::text[])`,
        rows.map((r) => r.agentId),
        rows.map((r) => r.credentialId),
        rows.map((r) => r.at),
        rows.map((r) => r.n),
        rows.map((r) => r.ip),
      );
    } catch (error) {
      // Keep the uses for the next attempt rather than dropping them.
      for (const r of rows) addToWindow(this.buffer, r.credentialId, r.agentId, r.at, r.n, r.ip);
      throw error;
    }
  }

  async flush(): Promise<FlushReport> {
    await this.stage();
    await this.ensureTable();
    return prisma.$transaction(async (tx) => {
      // Drain and aggregate in the transaction that writes, so a failed write leaves the rows staged.
      const staged = await tx.$queryRawUnsafe<{ agent_id: string | null; credential_id: string; ms: bigint; n: bigint; ip: string | null }[]>(
        `DELETE FROM ${STAGING_TABLE} RETURNING agent_id, credential_id, ms, n, ip`,
      );
      const w = emptyWindow();
      for (const r of staged) addToWindow(w, r.credential_id, r.agent_id, Number(r.ms), Number(r.n), r.ip);
      return writeWindow(w, tx);
    }, { timeout: 60_000 });
  }

  async close() {
    clearInterval(this.timer);
    await this.stage().catch((error: Error) => logger.warn({ err: { message: error.message } }, 'usage staging failed'));
  }
}

let store: UsageStore | undefined;
registerStatefulModule('usage/store', import.meta.url);

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
