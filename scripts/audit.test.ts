// The audit CLI's output and exit codes against a real database, intact and tampered.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditTestDatabase, tamper } from '../app/audit/test-support';
import { unique } from '../test/db';

const run = promisify(execFile);

let db: { url: string; drop(): Promise<void> };
let prisma: typeof import('../app/db.server')['prisma'];
let audit: typeof import('../app/audit/audit.server');

beforeAll(async () => {
  db = await createAuditTestDatabase();
  process.env.DATABASE_URL = db.url;
  audit = await import('../app/audit/audit.server');
  ({ prisma } = await import('../app/db.server'));
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.resolve('node_modules/.bin/tsx'), ['scripts/audit.ts', ...args], {
      env: { ...process.env, DATABASE_URL: db.url },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function orgWithEvents(count: number) {
  const slug = unique('cli');
  const org = await prisma.organization.create({ data: { slug, name: slug } });
  for (let i = 0; i < count; i++) {
    await prisma.$transaction((tx) =>
      audit.recordAudit(tx, { organizationId: org.id, context: audit.systemAuditContext('cli test'), action: 'credential.used', details: { i } }),
    );
  }
  return { org, slug };
}

describe('npm run audit -- verify SLUG', () => {
  it('prints OK with the count and exits 0 for an intact chain', async () => {
    const { slug } = await orgWithEvents(4);
    const result = await cli('verify', slug);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`OK: 4 audit events of "${slug}" verified.`);
  }, 60_000);

  it('prints the first bad seq and exits 1 for a tampered chain', async () => {
    const { org, slug } = await orgWithEvents(5);
    await tamper(db.url, `UPDATE "AuditEvent" SET "actorLabel" = 'nobody' WHERE "organizationId" = $1 AND seq = 3`, [org.id]);
    const result = await cli('verify', slug);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('breaks at seq 3: hash mismatch');
  }, 60_000);

  it('exits 2 with usage for an unknown organization or a bad command', async () => {
    expect((await cli('verify', 'no-such-org')).code).toBe(2);
    const usage = await cli('frobnicate');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage:');
  }, 60_000);
});
