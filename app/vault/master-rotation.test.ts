// Master-key rotation re-wraps every data key in the database, so it runs against a database of its own.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../../test/db';
import { migrateDatabase } from '~/db/migrate.server';

type Vault = typeof import('./vault.server');
type Keyring = typeof import('./keyring.server');
type Helpers = typeof import('./test-helpers');

let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
let vault: Vault;
let keyring: Keyring;
let helpers: Helpers;

const keyA = `mkA:${crypto.randomBytes(32).toString('base64')}`;
const keyB = `mkB:${crypto.randomBytes(32).toString('base64')}`;

beforeAll(async () => {
  scratch = await createScratchDatabase('latchkey_vault_master');
  await migrateDatabase(scratch.url);
  // Nothing that reads the environment has been imported yet, so the vault's Prisma client uses this database.
  process.env.DATABASE_URL = scratch.url;
  process.env.LATCHKEY_MASTER_KEYS = keyA;
  vault = await import('./vault.server');
  keyring = await import('./keyring.server');
  helpers = await import('./test-helpers');
});

afterAll(async () => {
  const { prisma } = await import('~/db.server');
  await prisma.$disconnect();
  await scratch.drop();
});

describe('master key rotation', () => {
  it('keeps every secret readable before and after, and reports when the old master key is unused', async () => {
    const { prisma } = await import('~/db.server');
    vault.setKeyWrapper(new vault.LocalKeyWrapper(keyA));
    const expected: Array<{ organizationId: string; credentialId: string; value: string }> = [];
    const orgs = [];
    for (let i = 0; i < 5; i++) {
      const org = await helpers.createTestOrganization();
      orgs.push(org);
      for (let j = 0; j < 3; j++) {
        const value = `secret-${i}-${j}-${crypto.randomBytes(4).toString('hex')}`;
        const credentialId = await helpers.createTestCredential(org.id, { key: value });
        expected.push({ organizationId: org.id, credentialId, value });
      }
    }
    // One organization also has a second data-key version, so several keys per organization are re-wrapped.
    await vault.rotateOrganizationKey(orgs[0]!.slug, { enqueue: async () => {} });

    const readAll = async () => {
      keyring.clearDataKeyCache();
      for (const { organizationId, credentialId, value } of expected) {
        expect((await vault.readCredentialSecret(organizationId, credentialId, 'key')).toString()).toBe(value);
      }
    };
    await readAll();
    const wrappedBefore = await prisma.organizationDataKey.findMany({ orderBy: [{ organizationId: 'asc' }, { version: 'asc' }] });
    expect(new Set(wrappedBefore.map((k) => k.masterKeyId))).toEqual(new Set(['mkA']));

    // The operator puts the new key first and keeps the old one until the report says it is unused.
    vault.setKeyWrapper(new vault.LocalKeyWrapper(`${keyB},${keyA}`));
    await readAll();
    const report = await vault.rotateMasterKey({ batchSize: 2 });
    expect(report).toEqual({
      activeMasterKeyId: 'mkB',
      rewrapped: 6,
      failed: 0,
      stillUsing: { mkB: 6 },
      removable: ['mkA'],
    });
    const wrappedAfter = await prisma.organizationDataKey.findMany({ orderBy: [{ organizationId: 'asc' }, { version: 'asc' }] });
    wrappedAfter.forEach((row, i) => {
      expect(row.masterKeyId).toBe('mkB');
      expect(Buffer.from(row.wrappedKey).equals(Buffer.from(wrappedBefore[i]!.wrappedKey))).toBe(false);
    });
    await readAll();

    // Running it again is a no-op.
    expect(await vault.rotateMasterKey()).toMatchObject({ rewrapped: 0, stillUsing: { mkB: 6 } });

    // With the old key removed, everything still opens; with only the old key, nothing does.
    vault.setKeyWrapper(new vault.LocalKeyWrapper(keyB));
    await readAll();
    vault.setKeyWrapper(new vault.LocalKeyWrapper(keyA));
    keyring.clearDataKeyCache();
    const first = expected[0]!;
    const error = await vault.readCredentialSecret(first.organizationId, first.credentialId, 'key').catch((e: unknown) => e);
    expect(vault.isVaultError(error, 'key_unavailable')).toBe(true);
  });

  it('a data key whose master key is missing is reported as failed and still counted', async () => {
    vault.setKeyWrapper(new vault.LocalKeyWrapper(keyB));
    await helpers.createTestOrganization();
    const keyC = `mkC:${crypto.randomBytes(32).toString('base64')}`;
    // Only mkC is configured: the earlier mkB data keys cannot be unwrapped.
    vault.setKeyWrapper(new vault.LocalKeyWrapper(keyC));
    const report = await vault.rotateMasterKey();
    expect(report.failed).toBe(7);
    expect(report.rewrapped).toBe(0);
    expect(report.stillUsing).toEqual({ mkB: 7 });
    expect(report.removable).toEqual([]);
  });
});
