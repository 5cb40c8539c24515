// Prepares one end-to-end run: a fresh migrated database, an up-to-date build, and the production server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { migrateDatabase } from '../app/db/migrate.server';
import { buildIsStale } from '../test/production-build';
import { runEnv, type RunEnv } from './support/run-env';

const root = path.resolve(import.meta.dirname, '..');
const SERVER_START_TIMEOUT_MS = 60_000;

async function adminQuery(env: RunEnv, sql: string) {
  const client = new pg.Client({ connectionString: env.adminDatabaseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Builds the app unless build/ is newer than every source that goes into it (one rule, in test/production-build.ts). */
function buildIfNeeded() {
  if (!buildIsStale() && process.env.LATCHKEY_E2E_REBUILD !== '1') return;
  console.log('[e2e] building the app (npm run build)…');
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  if (result.status !== 0) throw new Error(`npm run build failed with exit code ${result.status}`);
}

async function waitForHealth(env: RunEnv, server: ChildProcess, logFile: string) {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) break;
    try {
      const response = await fetch(`${env.baseURL}/healthz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-4000) : '(no output)';
  const why = server.exitCode === null ? `did not answer within ${SERVER_START_TIMEOUT_MS / 1000}s` : `exited with code ${server.exitCode}`;
  throw new Error(`The app at ${env.baseURL}/healthz ${why}. Last server output:\n${log}`);
}

function startServer(env: RunEnv, dataDir: string, logFile: string): ChildProcess {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const server = spawn('npm', ['run', 'start:web'], {
    cwd: root,
    // Own process group, so teardown stops npm and the node process under it together.
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(env.port),
      PUBLIC_URL: env.baseURL,
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: env.redisPrefix,
      SESSION_SECRET: env.sessionSecret,
      LATCHKEY_MASTER_KEYS: env.masterKeys,
      DATA_DIR: dataDir,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
  });
  fs.closeSync(out);
  return server;
}

async function stopServer(server: ChildProcess) {
  if (server.exitCode !== null || server.pid === undefined) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  process.kill(-server.pid, 'SIGTERM');
  const timeout = setTimeout(() => {
    if (server.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timeout);
}

async function deleteRedisKeys(env: RunEnv) {
  const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.redisPrefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } catch (error) {
    console.warn(`[e2e] could not clean Redis keys ${env.redisPrefix}*: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

/** Each run writes under test-results/<run>/; drop what finished runs left there more than a day ago. */
function removeOldRunOutputs(currentRun: string) {
  const dir = path.join(root, 'test-results');
  if (!fs.existsSync(dir)) return;
  const cutoff = Date.now() - 24 * 60 * 60 * 1000;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.name === currentRun) continue;
    if (fs.statSync(full).mtimeMs < cutoff) fs.rmSync(full, { recursive: true, force: true });
  }
}

export default async function globalSetup() {
  const env = runEnv();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `latchkey-e2e-${env.run}-`));
  const logFile = path.join(root, 'test-results', env.run, 'server.log');
  removeOldRunOutputs(env.run);

  await adminQuery(env, `CREATE DATABASE "${env.databaseName}"`);
  let server: ChildProcess | undefined;

  const teardown = async () => {
    if (server) await stopServer(server);
    await adminQuery(env, `DROP DATABASE IF EXISTS "${env.databaseName}" WITH (FORCE)`);
    await deleteRedisKeys(env);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const { applied } = await migrateDatabase(env.databaseUrl);
    console.log(`[e2e] database ${env.databaseName}: ${applied.length} migrations applied`);
    buildIfNeeded();
    server = startServer(env, dataDir, logFile);
    await waitForHealth(env, server, logFile);
    console.log(`[e2e] app ready at ${env.baseURL} (server log: ${path.relative(root, logFile)})`);
  } catch (error) {
    await teardown();
    throw error;
  }

  // Tests reach the database directly for fixtures (users, sessions).
  process.env.LATCHKEY_E2E_DATABASE_URL = env.databaseUrl;
  return teardown;
}
