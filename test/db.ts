// Shared helpers for tests that use the run's PostgreSQL database (see test/global-setup.ts).
import crypto from 'node:crypto';
import pg from 'pg';

/** The run's migrated database, set by the global setup. */
export function testDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run tests through vitest (test/global-setup.ts)');
  return url;
}

/** A value no other test (or earlier run) uses, so tests need no cleanup between them. */
export function unique(prefix = 'test'): string {
  return `${prefix}-${crypto.randomBytes(6).toString('hex')}`;
}

export function uniqueEmail(prefix = 'user'): string {
  return `${unique(prefix)}@example.test`;
}

/**
 * An empty database on the test server, for tests that need a database of their own
 * (e.g. applying migrations from scratch). `drop()` removes it even with open connections.
 */
export async function createScratchDatabase(prefix = 'latchkey_scratch'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${crypto.randomBytes(6).toString('hex')}`;
  const adminUrl = testDatabaseUrl();
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** Runs one query on a short-lived connection. */
export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  databaseUrl: string,
  sql: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
