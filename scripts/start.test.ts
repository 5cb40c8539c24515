// `npm run dev` from an empty DATA_DIR: embedded PostgreSQL, migrations, web + worker on 127.0.0.1, then a clean stop on SIGTERM and on Ctrl-C.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, describe, expect, it } from 'vitest';
import { parseEnv } from '~/config/env.server';
import { childEnvironment } from './start';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-start-'));

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The environment of someone who configured nothing: no database, no Redis, no test runner variables. */
function unconfiguredEnv(port: number): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VITEST|NODE_ENV|DATABASE_URL|REDIS_|SESSION_SECRET|LATCHKEY_|PUBLIC_URL|TEST)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
}

/** Starts `npm run dev` in a process group of its own (as a terminal runs it) and waits for the start-up summary. */
async function startLatchkey(port: number) {
  // --dev skips the production build, which other tests and processes in this checkout may be using.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--dev'], {
    cwd: root,
    env: unconfiguredEnv(port) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const run = { child, output: '', exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout.on('data', (d: Buffer) => (run.output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (run.output += d.toString()));
  const deadline = Date.now() + 60_000;
  while (!run.output.includes('Latchkey is running') && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 200));
  }
  return run;
}

describe('npm start / npm run dev', () => {
  it(
    'starts from an empty data directory, serves the login page, and exits 0 on SIGTERM',
    async () => {
      const port = await getPort();
      const { child, output, exited } = await startLatchkey(port);
      expect(output, output).toContain('Latchkey is running');
      expect(output).toContain(`http://localhost:${port}`);
      // Nothing configured: this machine only, and the box says the address that was really bound.
      expect(output).toContain(`Listening   http://127.0.0.1:${port} — this machine only`);
      const lanAddress = Object.values(os.networkInterfaces())
        .flat()
        .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
      if (lanAddress) await expect(fetch(`http://${lanAddress}:${port}/healthz`)).rejects.toThrow();
      expect(output).toMatch(/Database +embedded PostgreSQL 1\d[\d.]* at 127\.0\.0\.1:\d+/);
      expect(output).toContain('Queue       PostgreSQL (BullMQ postgres backend, schema bullmq)');
      expect(fs.existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);

      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await health.json()).toEqual({ ok: true });
      const login = await fetch(`http://127.0.0.1:${port}/login`);
      expect(login.status).toBe(200);
      expect(await login.text()).toContain('<html');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The embedded cluster was stopped, not left running.
      expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    },
    90_000,
  );

  it(
    'Ctrl-C (SIGINT to the whole process group) lets the web server and worker finish before the database stops',
    async () => {
      const port = await getPort();
      const run = await startLatchkey(port);
      expect(run.output, run.output).toContain('Latchkey is running');
      // A terminal's Ctrl-C signals every process in the foreground group, not just npm start.
      process.kill(-run.child.pid!, 'SIGINT');
      expect(await run.exited).toBe(0);
      await new Promise((r) => setTimeout(r, 500));
      // Nobody lost its database connection mid-shutdown, and the cluster stopped cleanly.
      expect(run.output).not.toMatch(/terminating connection due to administrator command|Unhandled 'error' event/);
      expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    },
    90_000,
  );
});

describe("npm start's web server and worker environment", () => {
  const secrets = { SESSION_SECRET: 'a-session-secret-of-at-least-32-characters', LATCHKEY_MASTER_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}` };
  const children = (operator: Record<string, string>, stdoutIsTTY: boolean, dev = false) => {
    const source = { ...secrets, ...operator } as unknown as NodeJS.ProcessEnv;
    return childEnvironment(parseEnv(source), source, { dev, databaseUrl: 'postgres://127.0.0.1/x', dataDir, stdoutIsTTY });
  };

  it('on a laptop (no NODE_ENV, no HOST) the production children listen on 127.0.0.1 and print readable lines to a terminal', () => {
    expect(children({}, true)).toMatchObject({ NODE_ENV: 'production', HOST: '127.0.0.1', LOG_FORMAT: 'pretty' });
    expect(children({}, true, true)).toMatchObject({ NODE_ENV: 'development', HOST: '127.0.0.1', LOG_FORMAT: 'pretty' });
  });

  it('output to a file or pipe, or NODE_ENV=production, gives JSON lines; NODE_ENV=production listens on 0.0.0.0', () => {
    expect(children({}, false)).toMatchObject({ HOST: '127.0.0.1', LOG_FORMAT: 'json' });
    expect(children({ NODE_ENV: 'production' }, true)).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', LOG_FORMAT: 'json' });
  });

  it('HOST and LOG_FORMAT set by the operator win', () => {
    expect(children({ HOST: '0.0.0.0', LOG_FORMAT: 'json' }, true)).toMatchObject({ HOST: '0.0.0.0', LOG_FORMAT: 'json' });
    expect(children({ NODE_ENV: 'production', HOST: '10.0.0.5', LOG_FORMAT: 'pretty' }, false)).toMatchObject({ HOST: '10.0.0.5', LOG_FORMAT: 'pretty' });
  });
});
