import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createScratchDatabase, query, testDatabaseUrl } from '../../test/db';
import {
  createMigration,
  defaultPaths,
  diffMigrationsAgainstSchema,
  migrateDatabase,
  readMigrationsList,
  type MigrationPaths,
} from './migrate.server';

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

async function migrationNames(): Promise<string[]> {
  return (await readMigrationsList()).migrationDirectories.map((d) => d.path);
}

/** A scratch copy of prisma/ (schema and migrations) that a test may change. */
async function copyOfPrismaDir(): Promise<MigrationPaths & { root: string }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'latchkey-prisma-'));
  const schemaPath = path.join(root, 'schema.prisma');
  const migrationsDir = path.join(root, 'migrations');
  await fs.copyFile(defaultPaths.schemaPath, schemaPath);
  await fs.cp(defaultPaths.migrationsDir, migrationsDir, { recursive: true });
  return { root, schemaPath, migrationsDir };
}

describe('migrateDatabase', { timeout: 60_000 }, () => {
  const scratch: { drop(): Promise<void> }[] = [];
  const tempDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(scratch.map((db) => db.drop()));
    await Promise.all(tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });

  async function emptyDatabase(): Promise<string> {
    const db = await createScratchDatabase();
    scratch.push(db);
    return db.url;
  }

  it('applies every migration to an empty database and records them as prisma migrate deploy does', async () => {
    const url = await emptyDatabase();
    const expected = await migrationNames();
    expect(expected.length).toBeGreaterThan(0);

    const { applied } = await migrateDatabase(url);
    expect(applied).toEqual(expected);

    const rows = await query<MigrationRow>(url, 'SELECT * FROM _prisma_migrations ORDER BY started_at, migration_name');
    expect(rows.map((r) => r.migration_name)).toEqual(expected);
    for (const row of rows) {
      const sql = await fs.readFile(path.join(defaultPaths.migrationsDir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(crypto.createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }

    const tables = await query<{ table_name: string }>(
      url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['User', 'Organization', 'Credential', 'AuditEvent']));
  });

  it('applying again changes nothing', async () => {
    const url = await emptyDatabase();
    await migrateDatabase(url);
    const before = await query<MigrationRow>(url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');

    const second = await migrateDatabase(url);
    expect(second.applied).toEqual([]);
    expect(await query<MigrationRow>(url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name')).toEqual(before);
  });

  it('two processes starting at once apply each migration exactly once', async () => {
    const url = await emptyDatabase();
    const results = await Promise.all([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)]);
    const appliedTotal = results.flatMap((r) => r.applied).sort();
    expect(appliedTotal).toEqual(await migrationNames());
    const rows = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM _prisma_migrations');
    expect(Number(rows[0]!.n)).toBe(appliedTotal.length);
  });

  it('a later migration is applied on top of an up-to-date database', async () => {
    const url = await emptyDatabase();
    await migrateDatabase(url);
    const copy = await copyOfPrismaDir();
    tempDirs.push(copy.root);
    const extra = path.join(copy.migrationsDir, '29991231235959_add_note');
    await fs.mkdir(extra);
    await fs.writeFile(path.join(extra, 'migration.sql'), 'ALTER TABLE "User" ADD COLUMN "note" TEXT;\n');

    expect((await migrateDatabase(url, copy)).applied).toEqual(['29991231235959_add_note']);
    const columns = await query(url, `SELECT 1 FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'note'`);
    expect(columns).toHaveLength(1);
  });

  it('a failing migration is reported with the database error and recorded as failed', async () => {
    const url = await emptyDatabase();
    const copy = await copyOfPrismaDir();
    tempDirs.push(copy.root);
    const broken = path.join(copy.migrationsDir, '29991231235959_broken');
    await fs.mkdir(broken);
    await fs.writeFile(path.join(broken, 'migration.sql'), 'ALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n');

    await expect(migrateDatabase(url, copy)).rejects.toThrow(/NoSuchTable/);
    const rows = await query<MigrationRow>(url, `SELECT * FROM _prisma_migrations WHERE migration_name = '29991231235959_broken'`);
    expect(rows[0]?.finished_at).toBeNull();
  });
});

describe('schema drift', { timeout: 60_000 }, () => {
  let copy: MigrationPaths & { root: string };
  beforeAll(async () => {
    copy = await copyOfPrismaDir();
  });
  afterAll(async () => {
    await fs.rm(copy.root, { recursive: true, force: true });
  });

  it('the test run has its own migrated database and Redis prefix', async () => {
    expect(inject('databaseUrl')).toBe(testDatabaseUrl());
    expect(new URL(testDatabaseUrl()).pathname).toMatch(/^\/latchkey_test_[a-z0-9]+$/);
    expect(process.env.REDIS_PREFIX).toBe(inject('redisPrefix'));
    expect(process.env.REDIS_PREFIX).toMatch(/^lk-test-/);
    expect(process.env.NODE_ENV).toBe('test');
    expect((await query(testDatabaseUrl(), 'SELECT 1 FROM _prisma_migrations')).length).toBe((await migrationNames()).length);
  });

  it('schema.prisma and prisma/migrations agree (run npm run db:migration -- NAME if this fails)', async () => {
    expect(await diffMigrationsAgainstSchema(testDatabaseUrl())).toBe('');
  });

  it('the drift check notices a field the migrations lack', async () => {
    const schema = await fs.readFile(copy.schemaPath, 'utf8');
    const changed = schema.replace(/model User \{\n/, 'model User {\n  driftCheckNote String?\n');
    expect(changed).not.toBe(schema);
    await fs.writeFile(copy.schemaPath, changed);

    const sql = await diffMigrationsAgainstSchema(testDatabaseUrl(), copy);
    expect(sql).toMatch(/ALTER TABLE "User" ADD COLUMN\s+"driftCheckNote" TEXT/);
  });

  it('the drift check leaves no shadow database behind', async () => {
    const shadows = () =>
      query<{ datname: string }>(testDatabaseUrl(), `SELECT datname FROM pg_database WHERE datname LIKE 'latchkey_shadow_%' ORDER BY 1`);
    const before = await shadows();
    await diffMigrationsAgainstSchema(testDatabaseUrl(), copy);
    expect(await shadows()).toEqual(before);
  });
});

describe('createMigration', { timeout: 60_000 }, () => {
  const tempDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(tempDirs.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  });

  it('writes nothing when schema.prisma matches the migrations', async () => {
    const copy = await copyOfPrismaDir();
    tempDirs.push(copy.root);
    const before = await fs.readdir(copy.migrationsDir);
    expect(await createMigration(testDatabaseUrl(), 'nothing', copy)).toBeNull();
    expect(await fs.readdir(copy.migrationsDir)).toEqual(before);
  });

  it('writes <UTC timestamp>_<name>/migration.sql with the change, which then applies cleanly', async () => {
    const copy = await copyOfPrismaDir();
    tempDirs.push(copy.root);
    const schema = await fs.readFile(copy.schemaPath, 'utf8');
    await fs.writeFile(copy.schemaPath, schema.replace(/model User \{\n/, 'model User {\n  nickname String?\n'));

    const dir = await createMigration(testDatabaseUrl(), 'add_nickname', copy);
    expect(dir).not.toBeNull();
    expect(path.basename(dir!)).toMatch(/^\d{14}_add_nickname$/);
    const stamp = path.basename(dir!).slice(0, 14);
    expect(Math.abs(Date.parse(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(8, 10)}:${stamp.slice(10, 12)}:${stamp.slice(12, 14)}Z`) - Date.now())).toBeLessThan(60_000);
    expect(await fs.readFile(path.join(dir!, 'migration.sql'), 'utf8')).toMatch(/ALTER TABLE "User" ADD COLUMN\s+"nickname" TEXT/);
    expect(await fs.readFile(path.join(copy.migrationsDir, 'migration_lock.toml'), 'utf8')).toMatch(/provider = "postgresql"/);

    expect(await diffMigrationsAgainstSchema(testDatabaseUrl(), copy)).toBe('');
    const db = await createScratchDatabase();
    try {
      const { applied } = await migrateDatabase(db.url, copy);
      expect(applied.at(-1)).toBe(path.basename(dir!));
    } finally {
      await db.drop();
    }
  });

  it('the first migration creates pg_trgm before the trigram indexes that need it', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'latchkey-prisma-'));
    tempDirs.push(root);
    const paths = { schemaPath: defaultPaths.schemaPath, migrationsDir: path.join(root, 'migrations') };

    const dir = await createMigration(testDatabaseUrl(), 'init', paths);
    const sql = await fs.readFile(path.join(dir!, 'migration.sql'), 'utf8');
    const extension = sql.indexOf('CREATE EXTENSION IF NOT EXISTS "pg_trgm"');
    expect(extension).toBeGreaterThanOrEqual(0);
    expect(sql.indexOf('gin_trgm_ops')).toBeGreaterThan(extension);
    expect(await fs.readFile(path.join(paths.migrationsDir, 'migration_lock.toml'), 'utf8')).toMatch(/provider = "postgresql"/);
  });

  it('rejects names that would make odd directory names', async () => {
    await expect(createMigration(testDatabaseUrl(), '../escape')).rejects.toThrow(/letters, digits and _/);
  });
});
