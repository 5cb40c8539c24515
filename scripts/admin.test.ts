// The platform-admin CLI against a real database: grant, list, revoke, unknown email, usage errors.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { prisma } from '../app/db.server';
import { unique } from '../test/db';

const run = promisify(execFile);

afterAll(async () => {
  await prisma.$disconnect();
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.resolve('node_modules/.bin/tsx'), ['scripts/admin.ts', ...args], { env: process.env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run admin', () => {
  it('grants and revokes platform administration by email, case-insensitively', async () => {
    const email = `${unique('admin')}@example.test`;
    const user = await prisma.user.create({ data: { email, name: 'Ops', passwordHash: 'x' } });
    const granted = await cli('grant', email.toUpperCase());
    expect(granted.code).toBe(0);
    expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).isPlatformAdmin).toBe(true);
    expect((await cli('list')).stdout).toContain(email);
    expect((await cli('revoke', email)).code).toBe(0);
    expect((await prisma.user.findUniqueOrThrow({ where: { id: user.id } })).isPlatformAdmin).toBe(false);
  }, 120_000);

  it('an unknown email exits 1 and changes nothing; bad usage exits 2', async () => {
    const before = await prisma.user.count({ where: { isPlatformAdmin: true } });
    const unknown = await cli('grant', 'nobody-here@example.test');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No user with the email/);
    expect(await prisma.user.count({ where: { isPlatformAdmin: true } })).toBe(before);
    expect((await cli('grant')).code).toBe(2);
    expect((await cli('promote', 'x@example.test')).code).toBe(2);
  }, 120_000);
});
