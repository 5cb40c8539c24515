// Operator commands on the embedded default (no DATABASE_URL): they work with `npm start` stopped and while it runs (the real production start, on 127.0.0.1).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import getPort from 'get-port';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { findRunningEmbeddedPostgres } from '../app/db/embedded.server';
import { ensureProductionBuild } from '../test/production-build';

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-commands-'));
const postmasterPid = path.join(dataDir, 'postgres', 'postmaster.pid');

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The environment of someone who configured nothing: no database, no Redis, no secrets, no test runner variables. */
function unconfiguredEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VITEST|NODE_ENV|DATABASE_URL|REDIS_|SESSION_SECRET|LATCHKEY_|PUBLIC_URL|TEST)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extra } as unknown as NodeJS.ProcessEnv;
}

/** `npm run <script> -- args`, as an operator types it (tsx on the script file, like package.json). */
async function command(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(path.join(root, 'node_modules/.bin/tsx'), [`scripts/${script}.ts`, ...args], {
      cwd: root,
      env: unconfiguredEnv(),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function insertOrganization(databaseUrl: string, slug: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`INSERT INTO "Organization" (id, slug, name, "updatedAt") VALUES (gen_random_uuid(), $1, $1, now())`, [slug]);
  } finally {
    await client.end();
  }
}

describe('operator commands on the embedded database', () => {
  it(
    'work while npm start is stopped: each starts the embedded database for itself and stops it again',
    async () => {
      const migrate = await command('db', 'migrate');
      expect(migrate.code, migrate.stderr).toBe(0);
      expect(migrate.stdout).toMatch(/Applied \d+/);

      const status = await command('keys', 'status');
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toContain('Key wrapper:');
      expect(status.stdout).toContain('Organizations (active data-key version');

      const verify = await command('audit', 'verify', 'no-such-org');
      expect(verify.code, verify.stderr).toBe(2);
      expect(verify.stderr).toContain('No organization with slug "no-such-org"');

      const admins = await command('admin', 'list');
      expect(admins.code, admins.stderr).toBe(0);
      expect(admins.stdout).toContain('No platform administrators.');
      // Nothing left running.
      expect(fs.existsSync(postmasterPid)).toBe(false);
    },
    120_000,
  );

  it(
    'work while npm start runs: they use its database and leave it running',
    async () => {
      // The real `npm start`: production web and worker on the shared build (made current under the build lock first).
      ensureProductionBuild();
      const port = await getPort();
      const server = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
        cwd: root,
        env: unconfiguredEnv({ PORT: String(port), LOG_LEVEL: 'info' }),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let output = '';
      server.stdout.on('data', (d: Buffer) => (output += d.toString()));
      server.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
      try {
        const deadline = Date.now() + 60_000;
        while (!output.includes('Latchkey is running') && Date.now() < deadline && server.exitCode === null) {
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(output, output).toContain('Latchkey is running');
        expect(output).not.toContain('Building the app');
        // Nothing configured: the production children still listen on this machine only, and the box says so.
        expect(output).toContain(`Listening   http://127.0.0.1:${port} — this machine only`);
        // Output to a pipe, not a terminal: one JSON object per line.
        expect(output).toContain(`"msg":"web server listening on http://127.0.0.1:${port} (this machine only)"`);
        const running = await findRunningEmbeddedPostgres({ dataDir });
        expect(running).not.toBeNull();
        const pidBefore = fs.readFileSync(postmasterPid, 'utf8').split('\n')[0];
        await insertOrganization(running!.databaseUrl, 'acme');

        const status = await command('keys', 'status');
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).toMatch(/acme +v1/);

        const verify = await command('audit', 'verify', 'acme');
        expect(verify.code, verify.stderr).toBe(0);
        expect(verify.stdout).toContain('OK: 0 audit events of "acme" verified.');

        const migrate = await command('db', 'migrate');
        expect(migrate.code, migrate.stderr).toBe(0);
        expect(migrate.stdout).toContain('Database is up to date.');

        // The server and its database are untouched.
        expect(fs.readFileSync(postmasterPid, 'utf8').split('\n')[0]).toBe(pidBefore);
        expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      } finally {
        process.kill(-server.pid!, 'SIGTERM');
        expect(await exited).toBe(0);
      }
    },
    150_000,
  );
});
