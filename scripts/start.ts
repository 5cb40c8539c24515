// `npm start`: database (embedded when DATABASE_URL is unset), migrations, build if stale, then web + worker.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { ConfigError, parseEnv, type Env } from '~/config/env.server';
import { logFormat } from '~/logger.server';
import { queueBackendLabel } from '~/queue/queue.server';
import type { BoundAddress, ListeningMessage } from '../server';
import type { EmbeddedDbMessage } from './embedded-db';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const startedAt = performance.now();
const dev = process.argv.includes('--dev');

function say(line: string) {
  process.stdout.write(`${line}\n`);
}

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(1);
}

function loadConfig(): Env {
  try {
    return parseEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`Configuration error: ${problem}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** The newest modification time of any source file under `dir` (tests excluded: they are not in the build). */
function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(full));
    else if (!/\.test\.tsx?$/.test(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function buildIsStale(): boolean {
  const serverBuild = path.join(root, 'build/server/index.js');
  if (!fs.existsSync(serverBuild) || !fs.existsSync(path.join(root, 'build/client'))) return true;
  const built = fs.statSync(serverBuild).mtimeMs;
  const sources = [path.join(root, 'app'), path.join(root, 'public')].filter((d) => fs.existsSync(d));
  return sources.some((dir) => newestSourceMtime(dir) > built);
}

/** Runs a command to completion, showing its output only if it fails. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => output.push(d));
    child.stderr.on('data', (d: Buffer) => output.push(d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}\n${Buffer.concat(output).toString()}`));
    });
  });
}

async function serverVersion(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version.split(' ')[0] ?? '?';
  } finally {
    await client.end();
  }
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('the web server exited while starting');
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the web server did not answer ${url} within ${timeoutMs / 1000} s`);
}

/** Resolves with the address the web server bound, from the message it sends once it listens. */
function waitForListening(child: ChildProcess, timeoutMs: number): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the web server did not start listening within ${timeoutMs / 1000} s`)), timeoutMs);
    const onMessage = (message: ListeningMessage) => {
      if (message?.type !== 'listening') return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message.address);
    };
    child.on('message', onMessage);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error('the web server exited while starting'));
    });
  });
}

/** A URL this machine can open for the bound address (a wildcard address is reached through loopback). */
function localUrl(bound: BoundAddress): string {
  if (bound.host === '0.0.0.0') return `http://127.0.0.1:${bound.port}`;
  if (bound.host === '::') return `http://[::1]:${bound.port}`;
  return bound.url;
}

function elapsed(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

function box(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length));
  const bar = '─'.repeat(width + 2);
  return [`┌${bar}┐`, ...lines.map((l) => `│ ${l.padEnd(width)} │`), `└${bar}┘`].join('\n');
}

/**
 * The web server's and worker's environment. Children run in production mode unless told otherwise; the
 * secrets come from the environment or, on a laptop with none configured, from the ones generated once
 * into DATA_DIR/secrets.json. HOST and LOG_FORMAT are decided here, from the operator's own NODE_ENV and
 * terminal, because the children's NODE_ENV (production) would decide them otherwise.
 */
export function childEnvironment(
  env: Env,
  source: NodeJS.ProcessEnv,
  options: { dev: boolean; databaseUrl: string; dataDir: string; stdoutIsTTY?: boolean },
): NodeJS.ProcessEnv {
  return {
    ...source,
    NODE_ENV: source.NODE_ENV ?? (options.dev ? 'development' : 'production'),
    DATABASE_URL: options.databaseUrl,
    DATA_DIR: options.dataDir,
    PORT: String(env.PORT),
    // 127.0.0.1 on a laptop unless HOST says otherwise.
    HOST: env.HOST,
    // Readable lines when a person watches this terminal; JSON when the output goes to a file or a collector.
    LOG_FORMAT: logFormat(source, options.stdoutIsTTY ?? Boolean(process.stdout.isTTY)),
    SESSION_SECRET: env.SESSION_SECRET,
    LATCHKEY_MASTER_KEYS: env.LATCHKEY_MASTER_KEYS,
  };
}

async function main() {
  const env = loadConfig();
  state.timeoutMs = env.SHUTDOWN_TIMEOUT_MS;
  listenForStopSignals();
  const dataDir = path.resolve(env.DATA_DIR);
  let databaseUrl = env.DATABASE_URL;

  // The build does not need the database: run both at once.
  const building = (async () => {
    if (dev || !buildIsStale()) return false;
    say('Building the app (app/ changed since the last build)…');
    const t0 = performance.now();
    await run(process.execPath, [path.join(root, 'node_modules/@remix-run/dev/dist/cli.js'), 'vite:build'], {
      ...process.env,
      NODE_ENV: 'production',
    });
    say(`Built the app in ${elapsed(t0)}`);
    return true;
  })();

  let databaseLabel: string;
  if (!databaseUrl) {
    const t0 = performance.now();
    const embedded = await startDatabaseProcess(dataDir);
    say(`Embedded PostgreSQL ready in ${elapsed(t0)}${embedded.initMs > 0 ? ' (first run: created the cluster)' : ''}`);
    databaseUrl = embedded.databaseUrl;
    state.stopDatabase = embedded.stop;
    const port = new URL(databaseUrl).port;
    databaseLabel = `embedded PostgreSQL ${await serverVersion(databaseUrl)} at 127.0.0.1:${port} (data in ${path.join(dataDir, 'postgres')})`;
  } else {
    const url = new URL(databaseUrl);
    databaseLabel = `PostgreSQL ${await serverVersion(databaseUrl)} at ${url.host}${url.pathname} (external)`;
  }
  if (state.stopping) return;
  process.env.DATABASE_URL = databaseUrl;

  try {
    const { migrateDatabase } = await import('~/db/migrate.server');
    const t0 = performance.now();
    const { applied } = await migrateDatabase(databaseUrl);
    if (applied.length > 0) say(`Applied ${applied.length} migration(s) in ${elapsed(t0)}: ${applied.join(', ')}`);
    await building;
    if (state.stopping) return;
  } catch (error) {
    await state.stopDatabase?.();
    fail(`Latchkey could not start: ${error instanceof Error ? error.message : String(error)}`);
  }

  const childEnv = childEnvironment(env, process.env, { dev, databaseUrl, dataDir });
  const tsx = (script: string, name: string, args: string[] = []) =>
    spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: root,
      env: { ...childEnv, LATCHKEY_PROCESS: name },
      // The IPC channel carries the web server's "listening" message with the address it really bound.
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    });

  const web = tsx('server.ts', 'web', dev ? ['--dev'] : []);
  const worker = tsx('workers/index.ts', 'worker');
  state.children.push(web, worker);
  for (const [child, name] of [
    [web, 'web server'],
    [worker, 'worker'],
  ] as const) {
    child.on('exit', (code, signal) => {
      if (state.stopping) return;
      process.stderr.write(`The ${name} stopped unexpectedly (${signal ?? `exit code ${code}`}); stopping Latchkey.\n`);
      void shutdown(1);
    });
  }

  let bound: BoundAddress;
  try {
    bound = await waitForListening(web, 60_000);
    await waitForHealth(`${localUrl(bound)}/healthz`, web, 60_000);
  } catch (error) {
    if (state.stopping) return;
    process.stderr.write(`Latchkey could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    await shutdown(1);
    return;
  }

  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  const publicUrl = process.env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
  say(
    box([
      `Latchkey is running${dev ? ' (development, Vite HMR)' : ''} — ready in ${seconds} s`,
      '',
      `Open        ${publicUrl}`,
      `Listening   ${bound.url} — ${bound.reachableFromOtherMachines ? 'reachable from other machines' : 'this machine only (HOST=0.0.0.0 opens it to the network)'}`,
      `Database    ${databaseLabel}`,
      `Queue       ${queueBackendLabel()}`,
      `Data        ${dataDir}`,
      '',
      'Press Ctrl-C to stop.',
    ]),
  );
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** What shutdown() has to stop, filled in as start-up progresses. */
const state: { children: ChildProcess[]; stopDatabase?: () => Promise<void>; stopping: boolean; timeoutMs: number } = {
  children: [],
  stopping: false,
  timeoutMs: 30_000,
};

/** Stops the children (they finish in-flight work), then the embedded database, then exits. */
async function shutdown(exitCode: number): Promise<void> {
  if (state.stopping) return;
  state.stopping = true;
  for (const child of state.children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(state.children.map((c) => waitForExit(c, state.timeoutMs + 5_000)));
  await state.stopDatabase?.();
  process.exit(exitCode);
}

const onStopSignal = () => void shutdown(0);

function listenForStopSignals() {
  for (const signal of STOP_SIGNALS) process.on(signal, onStopSignal);
}

/** Runs the embedded PostgreSQL in a detached process (scripts/embedded-db.ts says why); resolves once it accepts connections. */
function startDatabaseProcess(dataDir: string): Promise<{ databaseUrl: string; initMs: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/embedded-db.ts'), dataDir], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.connected) child.send('stop');
    await exited;
  };
  return new Promise((resolve, reject) => {
    child.once('message', (message: EmbeddedDbMessage) => {
      if ('error' in message) reject(new Error(`embedded PostgreSQL did not start: ${message.error}`));
      else resolve({ databaseUrl: message.databaseUrl, initMs: message.initMs, stop });
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error('embedded PostgreSQL exited while starting')));
  });
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: unknown) => fail(`Latchkey could not start: ${error instanceof Error ? error.stack : String(error)}`));
}
