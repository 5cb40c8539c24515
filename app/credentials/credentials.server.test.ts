// Credential services against the real database: round trips, tenant isolation, roles, reveal, audit, no partial writes.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCredential,
  deleteCredential,
  getCredential,
  isRecentReauth,
  replaceCredentialSecret,
  revealCredentialSecret,
  updateCredentialMetadata,
  type CredentialActor,
} from '~/credentials/credentials.server';
import { CredentialError } from '~/credentials/errors';
import { prisma } from '~/db.server';
import type { Role } from '~/orgs/roles';
import { createOrganizationDataKey } from '~/vault/vault.server';
import { testDatabaseUrl, query, unique, uniqueEmail } from '../../test/db';

/** Audit rows written by an actor with this label fail in the database (trigger below). */
const FAILING_AUDIT_LABEL = 'audit-write-must-fail';
const MiB = 1024 * 1024;

interface Org {
  id: string;
  actors: Record<Role, CredentialActor>;
}

async function createOrg(): Promise<Org> {
  const org = await prisma.$transaction(async (tx) => {
    const organization = await tx.organization.create({ data: { name: unique('Org'), slug: unique('org') } });
    await createOrganizationDataKey(tx, organization.id);
    return organization;
  });
  const actors = {} as Record<Role, CredentialActor>;
  for (const role of ['owner', 'admin', 'member', 'viewer'] as const) {
    const user = await prisma.user.create({
      data: { email: uniqueEmail(role), name: `${role} person`, passwordHash: 'not-a-real-hash' },
    });
    await prisma.membership.create({ data: { organizationId: org.id, userId: user.id, role } });
    actors[role] = {
      organizationId: org.id,
      userId: user.id,
      userLabel: `${user.name} <${user.email}>`,
      role,
      ip: '203.0.113.7',
      userAgent: 'vitest',
    };
  }
  return { id: org.id, actors };
}

function githubToken(marker = ''): string {
  return `ghp_${marker}${crypto.randomBytes(24).toString('hex')}`;
}

function serviceAccountJson(overrides: Record<string, unknown> = {}): string {
  const { privateKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return JSON.stringify({
    type: 'service_account',
    project_id: 'latchkey-test-42',
    private_key_id: 'k1',
    private_key: privateKey,
    client_email: 'robot@latchkey-test-42.iam.gserviceaccount.com',
    ...overrides,
  });
}

async function caught(promise: Promise<unknown>): Promise<CredentialError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CredentialError);
  return error as CredentialError;
}

const justNow = () => new Date(Date.now() - 30_000);

/** Everything the organization has stored, to prove that a refused call changed nothing. */
async function orgState(organizationId: string) {
  const credentials = await prisma.credential.findMany({ where: { organizationId }, orderBy: { id: 'asc' } });
  const secrets = await prisma.credentialSecret.findMany({
    where: { credential: { organizationId } },
    orderBy: [{ credentialId: 'asc' }, { field: 'asc' }],
  });
  const audit = await prisma.auditEvent.count({ where: { organizationId } });
  return JSON.stringify({ credentials, secrets: secrets.map((s) => [s.credentialId, s.field, Buffer.from(s.ciphertext).toString('hex')]), audit });
}

async function auditRows(credentialId: string) {
  return prisma.auditEvent.findMany({ where: { credentialId }, orderBy: { seq: 'asc' } });
}

async function newApiKey(org: Org, overrides: Partial<Parameters<typeof createCredential>[1]> = {}) {
  const key = githubToken();
  const credential = await createCredential(org.actors.admin, {
    name: unique('github_token'),
    service: 'github',
    type: 'api_key',
    fields: { key },
    ...overrides,
  });
  return { credential, key };
}

let orgA: Org;
let orgB: Org;

beforeAll(async () => {
  await query(
    testDatabaseUrl(),
    `CREATE OR REPLACE FUNCTION latchkey_test_fail_audit() RETURNS trigger AS $$
     BEGIN RAISE EXCEPTION 'audit write failed on purpose'; END $$ LANGUAGE plpgsql`,
  );
  await query(testDatabaseUrl(), `DROP TRIGGER IF EXISTS latchkey_test_fail_audit ON "AuditEvent"`);
  await query(
    testDatabaseUrl(),
    `CREATE TRIGGER latchkey_test_fail_audit BEFORE INSERT ON "AuditEvent" FOR EACH ROW
     WHEN (NEW."actorLabel" = '${FAILING_AUDIT_LABEL}') EXECUTE FUNCTION latchkey_test_fail_audit()`,
  );
  orgA = await createOrg();
  orgB = await createOrg();
});

afterAll(async () => {
  await query(testDatabaseUrl(), `DROP TRIGGER IF EXISTS latchkey_test_fail_audit ON "AuditEvent"`);
});

describe('round trips', () => {
  it('an API key credential reveals the same key it was created with', async () => {
    const { credential, key } = await newApiKey(orgA, { description: 'CI bot', expiresAt: '2099-01-31' });
    expect(credential).toMatchObject({ service: 'github', type: 'api_key', description: 'CI bot', version: 1, status: 'active' });
    expect(credential.expiresAt?.toISOString()).toBe('2099-01-31T23:59:59.999Z');
    const revealed = await revealCredentialSecret(orgA.actors.owner, credential.id, { reauthenticatedAt: justNow() });
    expect(revealed).toEqual({ fields: { key } });
  });

  it('github_token:botty names a second GitHub token next to github_token', async () => {
    const base = unique('github_token');
    await newApiKey(orgA, { name: base });
    const { credential } = await newApiKey(orgA, { name: `${base}:botty` });
    expect(credential.name).toBe(`${base}:botty`);
  });

  it('a username/password credential shows the username and reveals both values', async () => {
    const credential = await createCredential(orgA.actors.admin, {
      name: unique('smtp'),
      service: 'custom',
      type: 'password',
      fields: { username: 'mailer@example.com', password: 'correct horse battery staple' },
    });
    expect(credential.username).toBe('mailer@example.com');
    const revealed = await revealCredentialSecret(orgA.actors.admin, credential.id, { reauthenticatedAt: justNow() });
    expect(revealed).toEqual({ fields: { username: 'mailer@example.com', password: 'correct horse battery staple' } });
  });

  it('a file credential reveals the same bytes, its sanitised name and a content type', async () => {
    const bytes = crypto.randomBytes(4096);
    const credential = await createCredential(orgA.actors.owner, {
      name: unique('blob'),
      service: 'custom',
      type: 'file',
      file: { fileName: '../secret\r\n.bin', bytes },
    });
    expect(credential).toMatchObject({ fileName: 'secret.bin', fileSize: 4096, fileKind: 'binary' });
    const revealed = await revealCredentialSecret(orgA.actors.owner, credential.id, { reauthenticatedAt: justNow() });
    expect('file' in revealed && revealed.file.name).toBe('secret.bin');
    expect('file' in revealed && revealed.file.contentType).toBe('application/octet-stream');
    expect('file' in revealed && Buffer.compare(revealed.file.bytes, bytes)).toBe(0);
  });

  it('a Google Cloud service-account JSON is recognised and its client_email and project are shown', async () => {
    const json = serviceAccountJson();
    const credential = await createCredential(orgA.actors.admin, {
      name: unique('gcp'),
      service: 'gcp',
      type: 'file',
      file: { fileName: 'robot.json', bytes: Buffer.from(json) },
    });
    expect(credential.fileKind).toBe('gcp_service_account');
    expect(credential.fileMetadata).toEqual({
      clientEmail: 'robot@latchkey-test-42.iam.gserviceaccount.com',
      projectId: 'latchkey-test-42',
    });
    expect(JSON.stringify(credential)).not.toContain('PRIVATE KEY');
    const revealed = await revealCredentialSecret(orgA.actors.admin, credential.id, { reauthenticatedAt: justNow() });
    expect('file' in revealed && revealed.file.bytes.toString()).toBe(json);
    expect('file' in revealed && revealed.file.contentType).toBe('application/json');
  });
});

describe('secrets never leak', () => {
  it('a planted canary is absent from the row, getCredential and audit details, and stored only as ciphertext', async () => {
    const canary = `CANARY${crypto.randomBytes(8).toString('hex')}`;
    const key = githubToken(canary);
    const credential = await createCredential(orgA.actors.admin, {
      name: unique('canary'),
      service: 'github',
      type: 'api_key',
      fields: { key },
    });
    await updateCredentialMetadata(orgA.actors.admin, credential.id, { description: 'rotated monthly' });
    await replaceCredentialSecret(orgA.actors.admin, credential.id, { fields: { key: githubToken(canary) }, expectedVersion: 1 });
    await revealCredentialSecret(orgA.actors.admin, credential.id, { reauthenticatedAt: justNow() });

    const [row] = await query(testDatabaseUrl(), `SELECT row_to_json(c)::text AS json FROM "Credential" c WHERE id = $1`, [credential.id]);
    expect(row?.json).toBeDefined();
    expect(row?.json).not.toContain(canary);
    expect(JSON.stringify(await getCredential(orgA.actors.viewer, credential.id))).not.toContain(canary);

    const audit = await auditRows(credential.id);
    expect(audit.map((a) => a.action)).toEqual([
      'credential.create',
      'credential.update',
      'credential.replace_secret',
      'credential.reveal',
    ]);
    const auditText = await query(testDatabaseUrl(), `SELECT row_to_json(a)::text AS json FROM "AuditEvent" a WHERE "credentialId" = $1`, [
      credential.id,
    ]);
    for (const a of auditText) expect(a.json).not.toContain(canary);

    const secrets = await prisma.credentialSecret.findMany({ where: { credentialId: credential.id } });
    expect(secrets.map((s) => s.field)).toEqual(['key']);
    const ciphertext = Buffer.from(secrets[0]!.ciphertext);
    expect(ciphertext.length).toBeGreaterThan(key.length);
    expect(ciphertext.includes(Buffer.from(canary))).toBe(false);
    expect(ciphertext.toString('base64')).not.toContain(Buffer.from(canary).toString('base64'));
    expect(ciphertext.toString('hex')).not.toContain(Buffer.from(canary).toString('hex'));
  });

  it('error messages for bad input never repeat the value', async () => {
    const canary = `CANARY${crypto.randomBytes(8).toString('hex')}`;
    const error = await caught(
      createCredential(orgA.actors.admin, { name: unique('x'), service: 'github', type: 'api_key', fields: { key: canary } }),
    );
    expect(JSON.stringify(error.toJSON())).not.toContain(canary);
    expect(error.message).not.toContain(canary);
  });
});

describe('tenant isolation', () => {
  it("another organization's credential answers NotFound from every function and nothing changes", async () => {
    const { credential } = await newApiKey(orgB);
    const before = await orgState(orgB.id);
    const attacker = orgA.actors.owner;
    const attempts: Array<() => Promise<unknown>> = [
      () => getCredential(attacker, credential.id),
      () => updateCredentialMetadata(attacker, credential.id, { name: unique('stolen') }),
      () => replaceCredentialSecret(attacker, credential.id, { fields: { key: githubToken() }, expectedVersion: 1 }),
      () => deleteCredential(attacker, credential.id, { confirmName: credential.name }),
      () => revealCredentialSecret(attacker, credential.id, { reauthenticatedAt: justNow() }),
    ];
    for (const attempt of attempts) {
      const error = await caught(attempt());
      expect(error.code).toBe('not_found');
      expect(error.message).toBe('Credential not found');
    }
    expect(await orgState(orgB.id)).toBe(before);
  });

  it('a nonexistent id and a malformed id answer the same NotFound, not a 500', async () => {
    for (const id of [crypto.randomUUID(), 'not-a-uuid', "'; DROP TABLE \"Credential\"; --", '']) {
      for (const attempt of [
        () => getCredential(orgA.actors.owner, id),
        () => updateCredentialMetadata(orgA.actors.owner, id, { description: 'x' }),
        () => replaceCredentialSecret(orgA.actors.owner, id, { fields: { key: githubToken() }, expectedVersion: 1 }),
        () => deleteCredential(orgA.actors.owner, id, { confirmName: 'x' }),
        () => revealCredentialSecret(orgA.actors.owner, id, { reauthenticatedAt: justNow() }),
      ]) {
        const error = await caught(attempt());
        expect(error.code).toBe('not_found');
        expect(error.status).toBe(404);
      }
    }
  });
});

describe('roles', () => {
  it('viewers see metadata but cannot create; members and viewers cannot edit, replace, delete or reveal what someone else added', async () => {
    const { credential } = await newApiKey(orgA);
    const before = await orgState(orgA.id);
    for (const role of ['viewer', 'member'] as const) {
      const actor = orgA.actors[role];
      expect((await getCredential(actor, credential.id)).name).toBe(credential.name);
      // Members may add credentials (and manage the ones they added): app/orgs/permissions.test.ts has every cell.
      const create = () => createCredential(actor, { name: unique('nope'), service: 'github', type: 'api_key', fields: { key: githubToken() } });
      const attempts = [
        ...(role === 'viewer' ? [create] : []),
        () => updateCredentialMetadata(actor, credential.id, { description: 'changed' }),
        () => replaceCredentialSecret(actor, credential.id, { fields: { key: githubToken() }, expectedVersion: 1 }),
        () => deleteCredential(actor, credential.id, { confirmName: credential.name }),
        () => revealCredentialSecret(actor, credential.id, { reauthenticatedAt: justNow() }),
      ];
      for (const attempt of attempts) expect((await caught(attempt())).code).toBe('forbidden');
    }
    expect(await orgState(orgA.id)).toBe(before);
  });

  it('owners and admins may create, edit and reveal', async () => {
    for (const role of ['owner', 'admin'] as const) {
      const actor = orgA.actors[role];
      const key = githubToken();
      const c = await createCredential(actor, { name: unique(role), service: 'github', type: 'api_key', fields: { key } });
      expect((await updateCredentialMetadata(actor, c.id, { description: role })).description).toBe(role);
      expect(await revealCredentialSecret(actor, c.id, { reauthenticatedAt: justNow() })).toEqual({ fields: { key } });
    }
  });
});

describe('reveal', () => {
  it('needs the password re-entered within the last five minutes', async () => {
    const { credential } = await newApiKey(orgA);
    const before = await auditRows(credential.id);
    for (const reauthenticatedAt of [null, new Date(Date.now() - 5 * 60_000 - 1_000), new Date(Date.now() + 10 * 60_000)]) {
      const error = await caught(revealCredentialSecret(orgA.actors.owner, credential.id, { reauthenticatedAt }));
      expect(error.code).toBe('reauth_required');
    }
    expect(await auditRows(credential.id)).toHaveLength(before.length);
    expect(isRecentReauth(new Date(Date.now() - 4 * 60_000))).toBe(true);
  });

  it('writes an audit row naming who revealed what, from where', async () => {
    const { credential } = await newApiKey(orgA);
    await revealCredentialSecret(orgA.actors.admin, credential.id, { reauthenticatedAt: justNow() });
    const rows = await auditRows(credential.id);
    expect(rows.at(-1)).toMatchObject({
      organizationId: orgA.id,
      action: 'credential.reveal',
      actorType: 'user',
      actorId: orgA.actors.admin.userId,
      actorLabel: orgA.actors.admin.userLabel,
      targetType: 'credential',
      targetId: credential.id,
      credentialId: credential.id,
      ip: '203.0.113.7',
      userAgent: 'vitest',
    });
    expect(rows.at(-1)?.details).toMatchObject({ name: credential.name, fields: ['key'] });
  });
});

describe('validation', () => {
  it('a duplicate name is a field error on name and stores nothing', async () => {
    const { credential } = await newApiKey(orgA);
    const before = await orgState(orgA.id);
    const error = await caught(
      createCredential(orgA.actors.admin, { name: credential.name, service: 'github', type: 'api_key', fields: { key: githubToken() } }),
    );
    expect(error.code).toBe('conflict');
    expect(error.fieldErrors.name).toEqual([`A credential named ${credential.name} already exists`]);
    expect(await orgState(orgA.id)).toBe(before);
  });

  it('the same name in another organization is fine', async () => {
    const { credential } = await newApiKey(orgA);
    const { credential: other } = await newApiKey(orgB, { name: credential.name });
    expect(other.name).toBe(credential.name);
  });

  it('two creates racing for one name: one wins, the other gets the name field error', async () => {
    const name = unique('race');
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        createCredential(orgA.actors.admin, { name, service: 'github', type: 'api_key', fields: { key: githubToken() } }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(CredentialError);
      expect((r.reason as CredentialError).fieldErrors.name).toEqual([`A credential named ${name} already exists`]);
    }
    expect(await prisma.credential.count({ where: { organizationId: orgA.id, name } })).toBe(1);
  });

  it('renaming onto a taken name is a field error on name', async () => {
    const { credential: a } = await newApiKey(orgA);
    const { credential: b } = await newApiKey(orgA);
    const error = await caught(updateCredentialMetadata(orgA.actors.admin, b.id, { name: a.name }));
    expect(error.fieldErrors.name).toEqual([`A credential named ${a.name} already exists`]);
    expect((await getCredential(orgA.actors.admin, b.id)).name).toBe(b.name);
  });

  it('a GitHub token without ghp_ is a field error and nothing is stored', async () => {
    const before = await orgState(orgA.id);
    const error = await caught(
      createCredential(orgA.actors.admin, { name: unique('gh'), service: 'github', type: 'api_key', fields: { key: 'abcdef'.repeat(8) } }),
    );
    expect(error.code).toBe('validation');
    expect(error.fieldErrors['fields.key']?.[0]).toMatch(/start with ghp_/);
    expect(await orgState(orgA.id)).toBe(before);
  });

  it('bad names, long descriptions, past expiry dates, unknown services and unsupported types are field errors', async () => {
    const before = await orgState(orgA.id);
    const error = await caught(
      createCredential(orgA.actors.admin, {
        name: 'has spaces/and slashes',
        service: 'github',
        type: 'api_key',
        description: 'x'.repeat(501),
        expiresAt: '2001-01-01',
        fields: { key: githubToken() },
      }),
    );
    expect(error.code).toBe('validation');
    expect(Object.keys(error.fieldErrors).sort()).toEqual(['description', 'expiresAt', 'name']);
    expect(error.fieldErrors.expiresAt).toEqual(['The expiry date must be in the future']);

    const unknown = await caught(createCredential(orgA.actors.admin, { name: unique('u'), service: 'nope', type: 'api_key', fields: {} }));
    expect(unknown.fieldErrors.service).toBeDefined();
    const unsupported = await caught(
      createCredential(orgA.actors.admin, { name: unique('u'), service: 'github', type: 'file', file: { fileName: 'a.txt', bytes: Buffer.from('a') } }),
    );
    expect(unsupported.fieldErrors.type?.[0]).toMatch(/does not support/);
    const badType = await caught(createCredential(orgA.actors.admin, { name: unique('u'), service: 'github', type: 'oauth' }));
    expect(badType.fieldErrors.type).toBeDefined();
    const badDate = await caught(newApiKey(orgA, { expiresAt: 'next tuesday' }));
    expect(badDate.fieldErrors.expiresAt).toBeDefined();
    expect(await orgState(orgA.id)).toBe(before);
  });
});

describe('file credentials', () => {
  const fileInput = (fileName: string, bytes: Buffer, service = 'custom') => ({
    name: unique('file'),
    service,
    type: 'file',
    file: { fileName, bytes },
  });

  it('a file over UPLOAD_MAX_BYTES answers too_large and stores nothing', async () => {
    const before = await orgState(orgA.id);
    const error = await caught(createCredential(orgA.actors.admin, fileInput('big.bin', Buffer.alloc(MiB + 1))));
    expect(error.code).toBe('too_large');
    expect(error.message).toBe('The file is larger than 1 MiB');
    expect(await orgState(orgA.id)).toBe(before);
  });

  it('an empty file, an invalid service-account JSON and an unusable file name are clear errors and store nothing', async () => {
    const before = await orgState(orgA.id);
    const empty = await caught(createCredential(orgA.actors.admin, fileInput('empty.pem', Buffer.alloc(0))));
    expect(empty.fieldErrors.file).toEqual(['The file is empty']);
    const invalid = await caught(
      createCredential(orgA.actors.admin, fileInput('sa.json', Buffer.from(serviceAccountJson({ private_key: 'garbage' })), 'gcp')),
    );
    expect(invalid.fieldErrors.file?.[0]).toMatch(/private_key is not a valid PEM private key/);
    for (const fileName of ['../..', '\r\n', '..\\']) {
      const error = await caught(createCredential(orgA.actors.admin, fileInput(fileName, Buffer.from('data'))));
      expect(error.fieldErrors.file?.[0]).toMatch(/file name is not usable/);
    }
    const missing = await caught(createCredential(orgA.actors.admin, { name: unique('f'), service: 'custom', type: 'file' }));
    expect(missing.fieldErrors.file).toEqual(['Choose a file to upload']);
    expect(await orgState(orgA.id)).toBe(before);
  });

  it('the Google Cloud service refuses a file that is not a service-account key', async () => {
    const error = await caught(createCredential(orgA.actors.admin, fileInput('notes.txt', Buffer.from('hello'), 'gcp')));
    expect(error.fieldErrors.file?.[0]).toMatch(/not a Google Cloud service-account key/);
  });

  it('uploading a new file keeps the id and name, bumps the version and serves the new bytes', async () => {
    const created = await createCredential(orgA.actors.admin, fileInput('one.txt', Buffer.from('first')));
    const replaced = await replaceCredentialSecret(orgA.actors.admin, created.id, {
      file: { fileName: 'two.json', bytes: Buffer.from(serviceAccountJson()) },
      expectedVersion: 1,
    });
    expect(replaced).toMatchObject({ id: created.id, name: created.name, version: 2, fileName: 'two.json', fileKind: 'gcp_service_account' });
    const revealed = await revealCredentialSecret(orgA.actors.admin, created.id, { reauthenticatedAt: justNow() });
    expect('file' in revealed && revealed.file.name).toBe('two.json');
  });
});

describe('replace, edit, delete', () => {
  it('replacing a value keeps the id and name, bumps the version and is audited', async () => {
    const { credential } = await newApiKey(orgA);
    const key = githubToken();
    const replaced = await replaceCredentialSecret(orgA.actors.admin, credential.id, { fields: { key }, expectedVersion: 1 });
    expect(replaced).toMatchObject({ id: credential.id, name: credential.name, version: 2 });
    expect(await revealCredentialSecret(orgA.actors.admin, credential.id, { reauthenticatedAt: justNow() })).toEqual({ fields: { key } });
    expect((await auditRows(credential.id)).map((a) => a.action)).toContain('credential.replace_secret');
  });

  it('a replacement with an invalid value stores nothing', async () => {
    const { credential } = await newApiKey(orgA);
    const before = await orgState(orgA.id);
    const error = await caught(replaceCredentialSecret(orgA.actors.admin, credential.id, { fields: { key: 'wrong' }, expectedVersion: 1 }));
    expect(error.fieldErrors['fields.key']).toBeDefined();
    expect(await orgState(orgA.id)).toBe(before);
  });

  it('a replacement that names no version, or not a positive whole one, is refused and changes nothing', async () => {
    const { credential, key } = await newApiKey(orgA);
    for (const expectedVersion of [undefined, null, 'abc', '', -1, 0, 1.5, '1', Number.NaN]) {
      const error = await caught(replaceCredentialSecret(orgA.actors.admin, credential.id, { fields: { key: githubToken() }, expectedVersion }));
      expect(error.code, String(expectedVersion)).toBe('validation');
      expect(error.message).toMatch(/reload the page/);
    }
    const revealed = await revealCredentialSecret(orgA.actors.admin, credential.id, { reauthenticatedAt: justNow() });
    expect(revealed).toEqual({ fields: { key } });
    expect((await getCredential(orgA.actors.admin, credential.id)).version).toBe(1);
  });

  it('a replacement based on a stale version is a conflict', async () => {
    const { credential } = await newApiKey(orgA);
    await replaceCredentialSecret(orgA.actors.admin, credential.id, { fields: { key: githubToken() }, expectedVersion: 1 });
    const error = await caught(
      replaceCredentialSecret(orgA.actors.admin, credential.id, { fields: { key: githubToken() }, expectedVersion: 1 }),
    );
    expect(error.code).toBe('conflict');
  });

  it('renames, edits the description and expiry, with one audit row per change', async () => {
    const { credential } = await newApiKey(orgA);
    const name = unique('renamed');
    const updated = await updateCredentialMetadata(orgA.actors.admin, credential.id, {
      name,
      description: 'Used by the nightly agent',
      expiresAt: '2098-12-31',
    });
    expect(updated).toMatchObject({ id: credential.id, name, description: 'Used by the nightly agent', version: 1 });
    expect(updated.expiresAt?.toISOString()).toBe('2098-12-31T23:59:59.999Z');
    const cleared = await updateCredentialMetadata(orgA.actors.admin, credential.id, { expiresAt: '' });
    expect(cleared.expiresAt).toBeNull();
    await updateCredentialMetadata(orgA.actors.admin, credential.id, { name, description: 'Used by the nightly agent' });
    const actions = (await auditRows(credential.id)).map((a) => a.action);
    expect(actions).toEqual(['credential.create', 'credential.update', 'credential.update']);
  });

  it('an expired credential can still be re-described, but a new expiry must lie ahead', async () => {
    const { credential } = await newApiKey(orgA);
    await prisma.credential.update({ where: { id: credential.id }, data: { expiresAt: new Date('2020-01-01T23:59:59.999Z') } });
    const updated = await updateCredentialMetadata(orgA.actors.admin, credential.id, {
      description: 'still here',
      expiresAt: '2020-01-01',
    });
    expect(updated.description).toBe('still here');
    const error = await caught(updateCredentialMetadata(orgA.actors.admin, credential.id, { expiresAt: '2021-06-01' }));
    expect(error.fieldErrors.expiresAt).toEqual(['The expiry date must be in the future']);
  });

  it('delete needs the exact name, then removes the credential and its secrets and is audited', async () => {
    const { credential } = await newApiKey(orgA);
    for (const confirmName of ['', credential.name.toUpperCase(), `${credential.name}x`]) {
      const error = await caught(deleteCredential(orgA.actors.admin, credential.id, { confirmName }));
      expect(error.fieldErrors.confirmName).toEqual([`Type ${credential.name} to confirm`]);
    }
    expect(await getCredential(orgA.actors.admin, credential.id)).toBeDefined();
    expect(await deleteCredential(orgA.actors.admin, credential.id, { confirmName: credential.name })).toEqual({
      id: credential.id,
      name: credential.name,
    });
    expect((await caught(getCredential(orgA.actors.admin, credential.id))).code).toBe('not_found');
    expect(await prisma.credentialSecret.count({ where: { credentialId: credential.id } })).toBe(0);
    const last = (await auditRows(credential.id)).at(-1);
    expect(last).toMatchObject({ action: 'credential.delete', details: { name: credential.name } });
  });
});

describe('audit in the same transaction', () => {
  function failingActor(org: Org): CredentialActor {
    return { ...org.actors.admin, userLabel: FAILING_AUDIT_LABEL };
  }

  it('every change writes exactly one audit row', async () => {
    const { credential } = await newApiKey(orgA);
    const count = async () => prisma.auditEvent.count({ where: { credentialId: credential.id } });
    expect(await count()).toBe(1);
    await updateCredentialMetadata(orgA.actors.admin, credential.id, { description: 'one' });
    expect(await count()).toBe(2);
    await replaceCredentialSecret(orgA.actors.admin, credential.id, { fields: { key: githubToken() }, expectedVersion: 1 });
    expect(await count()).toBe(3);
    await revealCredentialSecret(orgA.actors.admin, credential.id, { reauthenticatedAt: justNow() });
    expect(await count()).toBe(4);
    await deleteCredential(orgA.actors.admin, credential.id, { confirmName: credential.name });
    expect(await count()).toBe(5);
  });

  it('when the audit write fails, create, edit, replace and delete are rolled back and reveal returns nothing', async () => {
    const { credential, key } = await newApiKey(orgA);
    const before = await orgState(orgA.id);
    const actor = failingActor(orgA);
    const attempts: Array<() => Promise<unknown>> = [
      () => createCredential(actor, { name: unique('rolled-back'), service: 'github', type: 'api_key', fields: { key: githubToken() } }),
      () =>
        createCredential(actor, { name: unique('rolled-back'), service: 'custom', type: 'file', file: { fileName: 'a.txt', bytes: Buffer.from('a') } }),
      () => updateCredentialMetadata(actor, credential.id, { name: unique('rolled-back'), description: 'nope' }),
      () => replaceCredentialSecret(actor, credential.id, { fields: { key: githubToken() }, expectedVersion: 1 }),
      () => deleteCredential(actor, credential.id, { confirmName: credential.name }),
      () => revealCredentialSecret(actor, credential.id, { reauthenticatedAt: justNow() }),
    ];
    for (const attempt of attempts) {
      const error = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(String(error)).toMatch(/audit write failed on purpose/);
    }
    expect(await orgState(orgA.id)).toBe(before);
    expect(await revealCredentialSecret(orgA.actors.admin, credential.id, { reauthenticatedAt: justNow() })).toEqual({ fields: { key } });
  });
});
