import crypto from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { prisma } from '~/db.server';
import { closeQueues, createQueue } from '~/queue/queue.server';
import { dataKeyAad } from './envelope.server';
import { isVaultError, type VaultErrorCode } from './errors';
import { getKeyWrapper, LocalKeyWrapper, setKeyWrapper, type KeyWrapper } from './key-wrapper.server';
import { clearDataKeyCache, configureDataKeyCache, dataKeyCacheSize, peekCachedDataKey } from './keyring.server';
import { reencryptOrganizationJob } from './reencrypt.job.server';
import { reencryptOrganizationSecrets, rotateOrganizationKey, secretVersionUsage, type EnqueueReencrypt } from './rotation.server';
import { OAUTH_APP_CLIENT_SECRET_FIELD, WEBHOOK_SECRET_FIELD } from './sealed-fields';
import { rotateWebhookSecret } from '~/notifications/webhooks.server';
import { openSecret, sealSecret } from './seal.server';
import { readCredentialSecret, writeCredentialSecrets } from './secrets.server';
import { createTestCredential, createTestOrganization } from './test-helpers';

async function expectVaultError(promise: Promise<unknown>, code: VaultErrorCode) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isVaultError(error, code), `expected VaultError ${code}, got ${String(error)}`).toBe(true);
}

const noEnqueue: EnqueueReencrypt = async () => {};

afterEach(() => {
  setKeyWrapper(undefined);
  configureDataKeyCache();
});

afterAll(async () => {
  await closeQueues();
  await prisma.$disconnect();
});

describe('sealing and opening secrets', () => {
  it('a written secret reads back, and a string plaintext round-trips', async () => {
    const org = await createTestOrganization();
    const credentialId = await createTestCredential(org.id, { key: 'sk-live-123', file: Buffer.from([0, 1, 2, 255]) });
    expect((await readCredentialSecret(org.id, credentialId, 'key')).toString()).toBe('sk-live-123');
    expect([...(await readCredentialSecret(org.id, credentialId, 'file'))]).toEqual([0, 1, 2, 255]);
  });

  it('a ciphertext moved to another credential, field or organization fails to open', async () => {
    const orgA = await createTestOrganization();
    const orgB = await createTestOrganization();
    const credA = await createTestCredential(orgA.id, { key: 'value-a' });
    const credA2 = await createTestCredential(orgA.id, { key: 'value-a2' });
    const credB = await createTestCredential(orgB.id, { key: 'value-b' });
    const row = await prisma.credentialSecret.findUniqueOrThrow({ where: { credentialId_field: { credentialId: credA, field: 'key' } } });
    const sealed = { ciphertext: row.ciphertext, keyVersion: row.keyVersion };

    await expectVaultError(openSecret({ organizationId: orgA.id, credentialId: credA2, field: 'key', ...sealed }), 'cannot_open');
    await expectVaultError(openSecret({ organizationId: orgA.id, credentialId: credA, field: 'password', ...sealed }), 'cannot_open');
    await expectVaultError(openSecret({ organizationId: orgB.id, credentialId: credA, field: 'key', ...sealed }), 'cannot_open');

    // Copying the stored row over another credential's row in the database does not move the secret either.
    await prisma.credentialSecret.update({
      where: { credentialId_field: { credentialId: credA2, field: 'key' } },
      data: { ciphertext: row.ciphertext },
    });
    await expectVaultError(readCredentialSecret(orgA.id, credA2, 'key'), 'cannot_open');
    await prisma.credentialSecret.update({
      where: { credentialId_field: { credentialId: credB, field: 'key' } },
      data: { ciphertext: row.ciphertext },
    });
    await expectVaultError(readCredentialSecret(orgB.id, credB, 'key'), 'cannot_open');
    expect((await readCredentialSecret(orgA.id, credA, 'key')).toString()).toBe('value-a');
  });

  it("another organization's credential is not_found, exactly like a missing one", async () => {
    const orgA = await createTestOrganization();
    const orgB = await createTestOrganization();
    const credA = await createTestCredential(orgA.id, { key: 'value-a' });
    await expectVaultError(readCredentialSecret(orgB.id, credA, 'key'), 'not_found');
    await expectVaultError(readCredentialSecret(orgA.id, crypto.randomUUID(), 'key'), 'not_found');
    await expectVaultError(readCredentialSecret(orgA.id, credA, 'password'), 'not_found');
  });

  it('writing secrets for a credential of another organization is refused', async () => {
    const orgA = await createTestOrganization();
    const orgB = await createTestOrganization();
    const credA = await createTestCredential(orgA.id);
    await expectVaultError(
      prisma.$transaction((tx) =>
        writeCredentialSecrets(tx, { organizationId: orgB.id, credentialId: credA, secrets: { key: 'x' } }),
      ),
      'not_found',
    );
  });

  it('a flipped byte in the stored ciphertext fails to open', async () => {
    const org = await createTestOrganization();
    const credentialId = await createTestCredential(org.id, { key: 'do-not-tamper' });
    const row = await prisma.credentialSecret.findUniqueOrThrow({ where: { credentialId_field: { credentialId, field: 'key' } } });
    const tampered = Buffer.from(row.ciphertext);
    tampered[20]! ^= 0x80;
    await prisma.credentialSecret.update({
      where: { credentialId_field: { credentialId, field: 'key' } },
      data: { ciphertext: new Uint8Array(tampered) },
    });
    await expectVaultError(readCredentialSecret(org.id, credentialId, 'key'), 'cannot_open');
  });

  it('a wrong key version fails to open', async () => {
    const org = await createTestOrganization();
    const credentialId = await createTestCredential(org.id, { key: 'versioned' });
    await rotateOrganizationKey(org.slug, { enqueue: noEnqueue });
    const row = await prisma.credentialSecret.findUniqueOrThrow({ where: { credentialId_field: { credentialId, field: 'key' } } });
    expect(row.keyVersion).toBe(1);
    const location = { organizationId: org.id, credentialId, field: 'key', ciphertext: row.ciphertext };
    await expectVaultError(openSecret({ ...location, keyVersion: 2 }), 'cannot_open');
    await expectVaultError(openSecret({ ...location, keyVersion: 7 }), 'cannot_open');
    expect((await openSecret({ ...location, keyVersion: 1 })).toString()).toBe('versioned');
  });

  it('sealSecret uses the active data-key version', async () => {
    const org = await createTestOrganization();
    const credentialId = await createTestCredential(org.id);
    const first = await sealSecret({ organizationId: org.id, credentialId, field: 'key', plaintext: 'one' });
    expect(first.keyVersion).toBe(1);
    await rotateOrganizationKey(org.slug, { enqueue: noEnqueue });
    const second = await sealSecret({ organizationId: org.id, credentialId, field: 'key', plaintext: 'two' });
    expect(second.keyVersion).toBe(2);
    expect((await openSecret({ organizationId: org.id, credentialId, field: 'key', ...first })).toString()).toBe('one');
    expect((await openSecret({ organizationId: org.id, credentialId, field: 'key', ...second })).toString()).toBe('two');
  });
});

describe('data keys at rest', () => {
  it('the wrapped key in the database is not the raw key, and is bound to its organization and version', async () => {
    const org = await createTestOrganization();
    const credentialId = await createTestCredential(org.id, { key: 'k' });
    await readCredentialSecret(org.id, credentialId, 'key');
    const raw = peekCachedDataKey(org.id, 1);
    expect(raw?.length).toBe(32);
    const row = await prisma.organizationDataKey.findUniqueOrThrow({
      where: { organizationId_version: { organizationId: org.id, version: 1 } },
    });
    const wrapped = Buffer.from(row.wrappedKey);
    expect(row.masterKeyId).toBe(getKeyWrapper().activeMasterKeyId);
    expect(wrapped.length).toBe(1 + 12 + 32 + 16);
    expect(wrapped.includes(raw!)).toBe(false);
    expect((await getKeyWrapper().unwrap(wrapped, row.masterKeyId, dataKeyAad(org.id, 1))).equals(raw!)).toBe(true);
    await expectVaultError(getKeyWrapper().unwrap(wrapped, row.masterKeyId, dataKeyAad(org.id, 2)), 'cannot_open');
    await expectVaultError(getKeyWrapper().unwrap(wrapped, row.masterKeyId, dataKeyAad(crypto.randomUUID(), 1)), 'cannot_open');
  });

  it('a canary plaintext never appears in any database row', async () => {
    const org = await createTestOrganization();
    const canary = `CANARY-${crypto.randomBytes(8).toString('hex')}`;
    const credentialId = await createTestCredential(org.id, { key: canary, password: canary });
    await rotateOrganizationKey(org.slug, { enqueue: noEnqueue });
    await reencryptOrganizationSecrets(org.id);
    expect((await readCredentialSecret(org.id, credentialId, 'password')).toString()).toBe(canary);

    const forms = [
      canary,
      Buffer.from(canary).toString('hex'),
      Buffer.from(canary).toString('base64'),
      Buffer.from(canary).toString('base64url'),
    ].map((s) => s.toLowerCase());
    for (const table of ['Organization', 'OrganizationDataKey', 'Credential', 'CredentialSecret', 'AuditEvent']) {
      const rows = await prisma.$queryRawUnsafe<Array<{ row: string }>>(`SELECT row_to_json(t)::text AS row FROM "${table}" t`);
      for (const { row } of rows) {
        for (const form of forms) expect(row.toLowerCase().includes(form), `${table} contains the canary`).toBe(false);
      }
    }
  });
});

describe('data-key cache', () => {
  it('holds at most `max` keys and zeroes the ones it evicts', async () => {
    configureDataKeyCache({ max: 3, ttlMs: 60_000 });
    const orgs = [];
    for (let i = 0; i < 5; i++) {
      const org = await createTestOrganization();
      const credentialId = await createTestCredential(org.id);
      orgs.push({ org, credentialId });
    }
    clearDataKeyCache();
    const first = orgs[0]!;
    await sealSecret({ organizationId: first.org.id, credentialId: first.credentialId, field: 'key', plaintext: 'x' });
    const evictedLater = peekCachedDataKey(first.org.id, 1)!;
    expect(evictedLater.some((b) => b !== 0)).toBe(true);
    for (const { org, credentialId } of orgs.slice(1)) {
      await sealSecret({ organizationId: org.id, credentialId, field: 'key', plaintext: 'x' });
      expect(dataKeyCacheSize()).toBeLessThanOrEqual(3);
    }
    expect(dataKeyCacheSize()).toBe(3);
    expect(peekCachedDataKey(first.org.id, 1)).toBeUndefined();
    expect(evictedLater.every((b) => b === 0)).toBe(true);
  });

  it('forgets (and zeroes) keys after their time to live, and reloads them when needed', async () => {
    configureDataKeyCache({ max: 100, ttlMs: 100 });
    const org = await createTestOrganization();
    const credentialId = await createTestCredential(org.id, { key: 'short-lived' });
    await readCredentialSecret(org.id, credentialId, 'key');
    const key = peekCachedDataKey(org.id, 1);
    expect(key).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(dataKeyCacheSize()).toBe(0);
    expect(key!.every((b) => b === 0)).toBe(true);
    expect((await readCredentialSecret(org.id, credentialId, 'key')).toString()).toBe('short-lived');
  });

  it('a key loaded inside a transaction that rolls back is not cached', async () => {
    const org = await createTestOrganization();
    const credentialId = await createTestCredential(org.id);
    clearDataKeyCache();
    await prisma
      .$transaction(async (tx) => {
        await writeCredentialSecrets(tx, { organizationId: org.id, credentialId, secrets: { key: 'rolled back' } });
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(dataKeyCacheSize()).toBe(0);
    await expectVaultError(readCredentialSecret(org.id, credentialId, 'key'), 'not_found');
  });
});

describe('organization key rotation', () => {
  it('every secret stays readable before, during (half re-encrypted) and after re-encryption', async () => {
    const org = await createTestOrganization();
    const expected = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      const values = { key: `key-${i}-${crypto.randomBytes(4).toString('hex')}`, password: `pw-${i}` };
      const credentialId = await createTestCredential(org.id, values);
      for (const [field, value] of Object.entries(values)) expected.set(`${credentialId}/${field}`, value);
    }
    const readAll = async () => {
      clearDataKeyCache();
      for (const [where, value] of expected) {
        const [credentialId, field] = where.split('/') as [string, string];
        expect((await readCredentialSecret(org.id, credentialId, field)).toString()).toBe(value);
      }
    };
    const versions = async () =>
      Object.fromEntries(
        (
          await prisma.credentialSecret.groupBy({
            by: ['keyVersion'],
            where: { credential: { organizationId: org.id } },
            _count: { _all: true },
          })
        ).map((g) => [g.keyVersion, g._count._all]),
      );

    await readAll();
    const enqueued: Array<{ data: unknown; jobId: string }> = [];
    const rotation = await rotateOrganizationKey(org.slug, { enqueue: async (data, jobId) => void enqueued.push({ data, jobId }) });
    expect(rotation).toMatchObject({ organizationId: org.id, previousVersion: 1, version: 2 });
    expect(enqueued).toEqual([{ data: { organizationId: org.id }, jobId: `reencrypt-${org.id}-v2` }]);
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).activeKeyVersion).toBe(2);
    await readAll();

    const half = await reencryptOrganizationSecrets(org.id, { batchSize: 10, maxBatches: 2 });
    expect(half).toMatchObject({ reencrypted: 20, remaining: 20, failed: 0 });
    expect(await versions()).toEqual({ 1: 20, 2: 20 });
    await readAll();

    const rest = await reencryptOrganizationSecrets(org.id, { batchSize: 10 });
    expect(rest).toMatchObject({ reencrypted: 20, remaining: 0, failed: 0, versionsInUse: [2] });
    expect(await versions()).toEqual({ 2: 40 });
    await readAll();

    // Idempotent: a second run finds nothing to do.
    expect(await reencryptOrganizationSecrets(org.id)).toMatchObject({ reencrypted: 0, skipped: 0, remaining: 0 });
    // The old data key stays available.
    expect(await prisma.organizationDataKey.count({ where: { organizationId: org.id } })).toBe(2);
  });

  it('a write that lands while the job works is never overwritten with stale data', async () => {
    const org = await createTestOrganization();
    const credentialId = await createTestCredential(org.id, { key: 'old value' });
    await rotateOrganizationKey(org.slug, { enqueue: noEnqueue });
    clearDataKeyCache();

    // The job has already read the row when it unwraps the old data key; write a new value right then.
    const real = getKeyWrapper();
    let raced = false;
    const racing: KeyWrapper = {
      id: 'racing',
      activeMasterKeyId: real.activeMasterKeyId,
      wrap: (plain, aad) => real.wrap(plain, aad),
      async unwrap(wrapped, masterKeyId, aad) {
        if (!raced && aad.equals(dataKeyAad(org.id, 1))) {
          raced = true;
          await prisma.$transaction((tx) =>
            writeCredentialSecrets(tx, { organizationId: org.id, credentialId, secrets: { key: 'new value' } }),
          );
        }
        return real.unwrap(wrapped, masterKeyId, aad);
      },
    };
    setKeyWrapper(racing);
    const report = await reencryptOrganizationSecrets(org.id);
    expect(raced).toBe(true);
    expect(report).toMatchObject({ reencrypted: 0, skipped: 1, remaining: 0 });
    expect((await readCredentialSecret(org.id, credentialId, 'key')).toString()).toBe('new value');
  });

  it('rotation enqueues a re-encrypt job on the vault queue carrying only the organization id, and the job processor finishes it', async () => {
    const org = await createTestOrganization();
    const credentialId = await createTestCredential(org.id, { key: 'queued' });
    const { version } = await rotateOrganizationKey(org.slug);
    const queue = createQueue('vault');
    const job = await queue.getJob(`reencrypt-${org.id}-v${version}`);
    expect(job?.data).toEqual({ organizationId: org.id });
    const report = await reencryptOrganizationJob({ data: { organizationId: org.id } });
    expect(report).toMatchObject({ reencrypted: 1, remaining: 0 });
    const row = await prisma.credentialSecret.findUniqueOrThrow({ where: { credentialId_field: { credentialId, field: 'key' } } });
    expect(row.keyVersion).toBe(2);
    expect((await readCredentialSecret(org.id, credentialId, 'key')).toString()).toBe('queued');
    await job?.remove();
  });

  it('re-encryption also moves OAuth app client secrets and the webhook signing secret, which stay readable', async () => {
    const org = await createTestOrganization();
    const appId = crypto.randomUUID();
    const appLocation = { organizationId: org.id, credentialId: appId, field: OAUTH_APP_CLIENT_SECRET_FIELD };
    const sealedApp = await sealSecret({ ...appLocation, plaintext: 'app-client-secret-plain' });
    await prisma.oAuthApp.create({
      data: {
        id: appId, organizationId: org.id, provider: 'custom', name: 'Local', clientId: 'client',
        clientSecret: new Uint8Array(sealedApp.ciphertext), clientSecretKeyVersion: sealedApp.keyVersion,
        authorizationUrl: 'https://auth.example.test/authorize', tokenUrl: 'https://auth.example.test/token', scopes: [], clientAuth: 'basic',
      },
    });
    const webhookPlain = await rotateWebhookSecret(org.id);
    await rotateOrganizationKey(org.slug, { enqueue: noEnqueue });
    expect(await secretVersionUsage(org.id)).toEqual([{ keyVersion: 1, count: 2 }]);

    const report = await reencryptOrganizationSecrets(org.id);
    expect(report).toMatchObject({ reencrypted: 2, failed: 0, remaining: 0, versionsInUse: [2] });
    clearDataKeyCache();
    const app = await prisma.oAuthApp.findUniqueOrThrow({ where: { id: appId } });
    expect(app.clientSecretKeyVersion).toBe(2);
    expect((await openSecret({ ...appLocation, ciphertext: app.clientSecret!, keyVersion: 2 })).toString()).toBe('app-client-secret-plain');
    const orgRow = await prisma.organization.findUniqueOrThrow({ where: { id: org.id } });
    expect(orgRow.webhookSecretKeyVersion).toBe(2);
    const webhook = await openSecret({ organizationId: org.id, credentialId: org.id, field: WEBHOOK_SECRET_FIELD, ciphertext: orgRow.webhookSecret!, keyVersion: 2 });
    expect(webhook.toString()).toBe(webhookPlain);
  });

  it('an unknown slug is not_found', async () => {
    await expectVaultError(rotateOrganizationKey('no-such-org-slug', { enqueue: noEnqueue }), 'not_found');
  });
});

describe('key wrapper configuration', () => {
  it('rejects malformed master key lists', () => {
    expect(() => new LocalKeyWrapper('k1:' + Buffer.alloc(16).toString('base64'))).toThrow(/32 bytes/);
    const k = Buffer.alloc(32, 1).toString('base64');
    expect(() => new LocalKeyWrapper(`a:${k},a:${k}`)).toThrow(/duplicate/);
    expect(new LocalKeyWrapper(`new:${k},old:${k}`).activeMasterKeyId).toBe('new');
  });
});
