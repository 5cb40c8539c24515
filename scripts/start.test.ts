// `npm run dev` from an empty DATA_DIR: embedded PostgreSQL, migrations, web + worker, then a clean SIGTERM stop.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, describe, expect, it } from 'vitest';

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

describe('npm start / npm run dev', () => {
  it(
    'starts from an empty data directory, serves the login page, and exits 0 on SIGTERM',
    async () => {
      const port = await getPort();
      // --dev skips the production build, which other tests and processes in this checkout may be using.
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--dev'], {
        cwd: root,
        env: unconfiguredEnv(port) as NodeJS.ProcessEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

      const deadline = Date.now() + 60_000;
      while (!output.includes('Latchkey is running') && Date.now() < deadline && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(output, output).toContain('Latchkey is running');
      expect(output).toContain(`http://localhost:${port}`);
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
});
