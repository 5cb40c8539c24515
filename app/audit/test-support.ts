// Test-only: a migrated scratch database (with the append-only trigger), for the audit tests and the CLI test.
import pg from 'pg';
import { createScratchDatabase } from '../../test/db';
import { migrateDatabase } from '../db/migrate.server';

/** A database of the audit tests' own, so tampering with it leaves other test files of the run unaffected. */
export async function createAuditTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const scratch = await createScratchDatabase('latchkey_audit');
  await migrateDatabase(scratch.url);
  return scratch;
}

export async function runSql(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** Runs SQL in a transaction allowed to change audit rows (simulates tampering). */
export async function tamper(url: string, sql: string, params: unknown[] = []): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL latchkey.allow_audit_delete = 'on'`);
    const result = await client.query(sql, params);
    await client.query('COMMIT');
    return result.rowCount ?? 0;
  } finally {
    await client.end();
  }
}
