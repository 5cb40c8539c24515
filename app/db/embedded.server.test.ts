import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded.server';

async function sql<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startEmbeddedPostgres', { timeout: 90_000 }, () => {
  let dataDir: string;
  const running: EmbeddedDatabase[] = [];

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'latchkey-embedded-'));
  });
  afterAll(async () => {
    await Promise.all(running.map((db) => db.stop()));
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<EmbeddedDatabase> {
    const db = await startEmbeddedPostgres({ dataDir });
    running.push(db);
    return db;
  }

  async function stop(db: EmbeddedDatabase): Promise<void> {
    running.splice(running.indexOf(db), 1);
    await db.stop();
  }

  it('initialises a cluster on first start and answers queries on the latchkey database over 127.0.0.1', async () => {
    const db = await start();
    console.info(`embedded postgres: initdb ${Math.round(db.timings.initMs)} ms, start ${Math.round(db.timings.startMs)} ms`);
    expect(db.timings.initMs).toBeGreaterThan(0);
    const url = new URL(db.databaseUrl);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/latchkey');
    expect(url.password).not.toBe('');

    expect(await sql(db.databaseUrl, 'SELECT 1 AS one, current_database() AS db')).toEqual([{ one: 1, db: 'latchkey' }]);
    await sql(db.databaseUrl, 'CREATE TABLE kept (value text)');
    await sql(db.databaseUrl, "INSERT INTO kept VALUES ('survives a restart')");
    await stop(db);
    await expect(sql(db.databaseUrl, 'SELECT 1')).rejects.toThrow();
  });

  it('restarts on the same data without initialising again', async () => {
    const db = await start();
    expect(db.timings.initMs).toBe(0);
    console.info(`embedded postgres: restart ${Math.round(db.timings.startMs)} ms`);
    expect(await sql(db.databaseUrl, 'SELECT value FROM kept')).toEqual([{ value: 'survives a restart' }]);
    await stop(db);
    expect(await fs.readFile(path.join(dataDir, 'postgres', 'PG_VERSION'), 'utf8')).toMatch(/^\d+/);
  });

  it('refuses a wrong password (the cluster is not open to anyone on the machine)', async () => {
    const db = await start();
    const wrong = new URL(db.databaseUrl);
    wrong.password = 'not-the-password';
    await expect(sql(wrong.toString(), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    await stop(db);
  });

  it('starts despite a stale postmaster.pid whose PID now belongs to another process', async () => {
    // Our own PID is alive but is not a postmaster of this cluster, like a PID reused after a crash.
    await fs.writeFile(
      path.join(dataDir, 'postgres', 'postmaster.pid'),
      `${process.pid}\n${path.join(dataDir, 'postgres')}\n1700000000\n5432\n\n127.0.0.1\n  1234  5678\nready\n`,
    );
    const db = await start();
    expect(await sql(db.databaseUrl, 'SELECT value FROM kept')).toEqual([{ value: 'survives a restart' }]);
    await stop(db);
  });

  it('recovers when the previous Node process was killed and left its postmaster running', async () => {
    const modulePath = fileURLToPath(new URL('./embedded.server.ts', import.meta.url));
    const script = path.join(dataDir, 'crash.mts');
    await fs.writeFile(
      script,
      `import { startEmbeddedPostgres } from ${JSON.stringify(modulePath)};\n` +
        `await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} });\n` +
        `console.log('ready');\nsetInterval(() => {}, 1000);\n`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    const postmaster = Number.parseInt((await fs.readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]!, 10);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(isAlive(postmaster)).toBe(true);

    const db = await start();
    expect(isAlive(postmaster)).toBe(false);
    expect(await sql(db.databaseUrl, 'SELECT value FROM kept')).toEqual([{ value: 'survives a restart' }]);
    await stop(db);
  });
});
