// Once per test run: a fresh PostgreSQL database with migrations applied, a Redis key prefix, test config.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../app/db/migrate.server';
import { buildCliBundle } from '../scripts/cli-bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of this run's database (also in process.env.DATABASE_URL of every test worker). */
    databaseUrl: string;
    /** Redis key prefix of this run (also in process.env.REDIS_PREFIX). */
    redisPrefix: string;
  }
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

// Fixed, test-only secrets so getEnv() never generates and writes .data/secrets.json during tests.
const TEST_MASTER_KEYS = `test1:${Buffer.alloc(32, 7).toString('base64')}`;
const TEST_SESSION_SECRET = 'test-session-secret-0123456789abcdef0123456789';

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export default async function setup(project: TestProject) {
  const runId = `${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`;
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL || DEFAULT_ADMIN_URL;
  const database = `latchkey_test_${runId}`;
  const databaseUrl = withDatabase(adminUrl, database);
  const redisPrefix = `lk-test-${runId}`;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'latchkey-test-'));

  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(database)}`)).catch((error: Error) => {
    throw new Error(`Tests need PostgreSQL at ${adminUrl} (set TEST_DATABASE_ADMIN_URL): ${error.message}`);
  });
  try {
    await migrateDatabase(databaseUrl);
  } catch (error) {
    await admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(database)} WITH (FORCE)`));
    throw error;
  }

  // The CLI tests run the bundle `npm run build:cli` ships (a tenth of the start-up time of the tsx shim); cli.test.ts runs the shim once.
  const cliBundle = path.join(dataDir, 'latchkey.mjs');
  await buildCliBundle(cliBundle);

  // Workers are forked after global setup and inherit this environment.
  Object.assign(process.env, {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL || 'redis://127.0.0.1:6379',
    REDIS_PREFIX: redisPrefix,
    DATA_DIR: dataDir,
    LATCHKEY_MASTER_KEYS: TEST_MASTER_KEYS,
    SESSION_SECRET: TEST_SESSION_SECRET,
    LOG_LEVEL: process.env.LOG_LEVEL || 'warn',
    LATCHKEY_CLI_BUNDLE: cliBundle,
  });
  project.provide('databaseUrl', databaseUrl);
  project.provide('redisPrefix', redisPrefix);

  return async function teardown() {
    await admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(database)} WITH (FORCE)`));
    await deleteRedisKeys(process.env.REDIS_URL!, redisPrefix).catch((error: Error) => {
      console.warn(`Could not delete Redis keys ${redisPrefix}*: ${error.message}`);
    });
    await fs.rm(dataDir, { recursive: true, force: true });
  };
}
