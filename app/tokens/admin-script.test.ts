// `npm run admin -- token create` against the run's database: the printed token authenticates as that member; unknown org, email or non-member exit 1.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { createMember, createSignedUpUser } from '~/auth/test-helpers';
import { prisma } from '~/db.server';
import { testDatabaseUrl } from '../../test/db';
import { authenticateManagementToken } from './management-tokens.server';

const run = promisify(execFile);

async function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.resolve('node_modules/.bin/tsx'), ['scripts/admin.ts', 'token', ...args], {
      env: { ...process.env, DATABASE_URL: testDatabaseUrl() },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let owner: Awaited<ReturnType<typeof createSignedUpUser>>;

beforeAll(async () => {
  owner = await createSignedUpUser({ name: 'Olive Owner' });
});

describe('npm run admin -- token create', () => {
  it('prints only the token on stdout; it authenticates as the owner with an admin role by default, audited as the admin script', async () => {
    const result = await admin('create', '--org', owner.slug, '--email', owner.email.toUpperCase(), '--name', 'bootstrap', '--expires-in-days', '30');
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^lkm_\S+$/);
    expect(result.stderr).toMatch(/shown only once/);
    const principal = await authenticateManagementToken(lines[0]!);
    expect(principal).toMatchObject({ organizationSlug: owner.slug, userId: owner.userId, role: 'admin', canReveal: false, tokenName: 'bootstrap' });
    expect(principal!.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { action: 'api_token.create', targetId: principal!.tokenId } });
    expect(audit).toMatchObject({ actorType: 'system', actorLabel: 'admin script' });
  }, 120_000);

  it('--role and --reveal are honoured within the member’s own role; and a member cannot create a token', async () => {
    const result = await admin('create', '--org', owner.slug, '--email', owner.email, '--name', 'owner reveal', '--role', 'owner', '--reveal');
    expect(result.code, result.stderr).toBe(0);
    expect(await authenticateManagementToken(result.stdout.trim())).toMatchObject({ role: 'owner', canReveal: true });

    const viewerToken = await admin('create', '--org', owner.slug, '--email', owner.email, '--name', 'viewer reveal', '--role', 'viewer', '--reveal');
    expect(viewerToken.code).toBe(1);
    expect(viewerToken.stderr).toMatch(/reveal: Only an owner or admin token can reveal values/);

    const member = await createMember(owner.slug, 'member');
    const refused = await admin('create', '--org', owner.slug, '--email', member.email, '--name', 'member token');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Only owners and admins can create and revoke API tokens/);
    expect(refused.stdout).toBe('');
  }, 120_000);

  it('an unknown organization, an unknown email and a person who is not a member exit 1 with a clear message and create nothing', async () => {
    const made = () => prisma.managementToken.count({ where: { userId: owner.userId, name: 'x' } });
    const before = await made();
    const unknownOrg = await admin('create', '--org', 'no-such-org-here', '--email', owner.email, '--name', 'x');
    expect(unknownOrg.code).toBe(1);
    expect(unknownOrg.stderr).toMatch(/No organization with the slug "no-such-org-here"/);
    const unknownEmail = await admin('create', '--org', owner.slug, '--email', 'nobody-here@example.test', '--name', 'x');
    expect(unknownEmail.code).toBe(1);
    expect(unknownEmail.stderr).toMatch(/No user with the email "nobody-here@example.test"/);
    const outsider = await createSignedUpUser();
    const notMember = await admin('create', '--org', owner.slug, '--email', outsider.email, '--name', 'x');
    expect(notMember.code).toBe(1);
    expect(notMember.stderr).toContain(`${outsider.email} is not a member of ${owner.slug}`);
    expect(await made()).toBe(before);
    expect((await admin('create', '--org', owner.slug)).code).toBe(2);
  }, 120_000);
});
