// Key rotation: re-wrapping data keys under a new master key, and moving an organization to a new data key.
import { prisma } from '~/db.server';
import { logger } from '~/logger.server';
import { dataKeyAad } from './envelope.server';
import { isVaultError, VaultError } from './errors';
import { getKeyWrapper } from './key-wrapper.server';
import { insertDataKey } from './keyring.server';
import { openSecret, sealSecretWithVersion, type SecretLocation } from './seal.server';
import { OAUTH_APP_CLIENT_SECRET_FIELD, WEBHOOK_SECRET_FIELD } from './sealed-fields';

export interface MasterRotationReport {
  activeMasterKeyId: string;
  /** Data keys re-wrapped by this run. */
  rewrapped: number;
  /** Data keys that could not be re-wrapped (their master key is missing); they keep their old wrap. */
  failed: number;
  /** How many data keys each master key wraps after this run. */
  stillUsing: Record<string, number>;
  /** Configured master keys that wrap nothing now and can be removed from LATCHKEY_MASTER_KEYS. */
  removable: string[];
}

/**
 * Re-wraps every data key not under the active master key, in batches, while the app keeps running:
 * a data key's plaintext never changes, so readers and caches are unaffected. Each update is a
 * compare-and-set on the old master key id, so two concurrent runs cannot interfere.
 */
export async function rotateMasterKey(options: { batchSize?: number } = {}): Promise<MasterRotationReport> {
  const wrapper = getKeyWrapper();
  const active = wrapper.activeMasterKeyId;
  const batchSize = options.batchSize ?? 200;
  let rewrapped = 0;
  let failed = 0;
  let cursor: { organizationId: string; version: number } | undefined;

  for (;;) {
    const rows = await prisma.organizationDataKey.findMany({
      // Keyset pagination past the last row seen (a Prisma cursor would need that row to still match).
      where: {
        masterKeyId: { not: active },
        ...(cursor && {
          OR: [
            { organizationId: { gt: cursor.organizationId } },
            { organizationId: cursor.organizationId, version: { gt: cursor.version } },
          ],
        }),
      },
      orderBy: [{ organizationId: 'asc' }, { version: 'asc' }],
      take: batchSize,
      select: { organizationId: true, version: true, wrappedKey: true, masterKeyId: true },
    });
    if (rows.length === 0) break;
    for (const row of rows) {
      const aad = dataKeyAad(row.organizationId, row.version);
      let plain: Buffer | undefined;
      try {
        plain = await wrapper.unwrap(Buffer.from(row.wrappedKey), row.masterKeyId, aad);
        const { wrapped, masterKeyId } = await wrapper.wrap(plain, aad);
        const { count } = await prisma.organizationDataKey.updateMany({
          where: { organizationId: row.organizationId, version: row.version, masterKeyId: row.masterKeyId },
          data: { wrappedKey: new Uint8Array(wrapped), masterKeyId },
        });
        rewrapped += count;
      } catch (error) {
        if (!isVaultError(error)) throw error;
        failed += 1;
        logger.error(
          { organizationId: row.organizationId, version: row.version, masterKeyId: row.masterKeyId, reason: error.code },
          'could not re-wrap a data key',
        );
      } finally {
        plain?.fill(0);
      }
    }
    const last = rows[rows.length - 1]!;
    cursor = { organizationId: last.organizationId, version: last.version };
  }

  const counts = await prisma.organizationDataKey.groupBy({ by: ['masterKeyId'], _count: { _all: true } });
  const stillUsing = Object.fromEntries(counts.map((c) => [c.masterKeyId, c._count._all]));
  const removable = (wrapper.masterKeyIds ?? []).filter((id) => id !== active && !stillUsing[id]);
  return { activeMasterKeyId: active, rewrapped, failed, stillUsing, removable };
}

export interface ReencryptJobData {
  organizationId: string;
  [key: string]: string;
}

/** Enqueues the background re-encryption of an organization's secrets (ids only in the payload). */
export type EnqueueReencrypt = (data: ReencryptJobData, jobId: string) => Promise<void>;

const enqueueOnVaultQueue: EnqueueReencrypt = async (data, jobId) => {
  const { createQueue } = await import('~/queue/queue.server');
  const queue = createQueue<ReencryptJobData>('vault');
  try {
    await queue.add('reencrypt-organization', data, {
      jobId,
      attempts: 10,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: 100,
      removeOnFail: 1000,
    });
  } finally {
    await queue.close();
  }
};

/**
 * Gives the organization a new data-key version, makes it active for new writes, and enqueues the
 * job that re-encrypts existing secrets. Older versions stay readable throughout.
 */
export async function rotateOrganizationKey(
  slug: string,
  options: { enqueue?: EnqueueReencrypt } = {},
): Promise<{ organizationId: string; previousVersion: number; version: number; masterKeyId: string }> {
  const result = await prisma.$transaction(async (tx) => {
    // The row lock makes concurrent rotations of one organization run one after the other,
    // and waits for in-flight secret writes (they share-lock the row) to commit first.
    const rows = await tx.$queryRaw<Array<{ id: string; activeKeyVersion: number }>>`
      SELECT "id", "activeKeyVersion" FROM "Organization" WHERE "slug" = ${slug} FOR UPDATE`;
    const org = rows[0];
    if (!org) throw new VaultError('not_found', `No organization with slug "${slug}"`);
    const latest = await tx.organizationDataKey.aggregate({
      where: { organizationId: org.id },
      _max: { version: true },
    });
    const version = Math.max(latest._max.version ?? 0, org.activeKeyVersion) + 1;
    const { masterKeyId } = await insertDataKey(tx, org.id, version);
    await tx.organization.update({ where: { id: org.id }, data: { activeKeyVersion: version } });
    return { organizationId: org.id, previousVersion: org.activeKeyVersion, version, masterKeyId };
  });
  const enqueue = options.enqueue ?? enqueueOnVaultQueue;
  await enqueue({ organizationId: result.organizationId }, `reencrypt-${result.organizationId}-v${result.version}`);
  return result;
}

export interface ReencryptReport {
  organizationId: string;
  activeKeyVersion: number;
  /** Rows moved to the active version by this run. */
  reencrypted: number;
  /** Rows changed by someone else meanwhile (left as they are: the other write wins). */
  skipped: number;
  /** Rows that could not be opened (tampered or key missing); they keep their version. */
  failed: number;
  /** Rows still on an older version after this run (failed ones, or ones written meanwhile). */
  remaining: number;
  /** Data-key versions still used by at least one secret. */
  versionsInUse: number[];
}

/**
 * Re-encrypts the organization's secrets that use an older data-key version, batch by batch.
 * Idempotent and resumable: it only looks at rows below the active version, and each update is a
 * compare-and-set on (credentialId, field, keyVersion, ciphertext), so a concurrent write is never
 * overwritten with stale data.
 */
export async function reencryptOrganizationSecrets(
  organizationId: string,
  options: { batchSize?: number; maxBatches?: number } = {},
): Promise<ReencryptReport> {
  const batchSize = options.batchSize ?? 100;
  const org = await prisma.organization.findUnique({ where: { id: organizationId }, select: { activeKeyVersion: true } });
  if (!org) throw new VaultError('not_found', 'Organization not found');
  const active = org.activeKeyVersion;
  let reencrypted = 0;
  let skipped = 0;
  let failed = 0;
  let batches = 0;
  let cursor: { credentialId: string; field: string } | undefined;

  while (options.maxBatches === undefined || batches < options.maxBatches) {
    const rows = await prisma.credentialSecret.findMany({
      // Keyset pagination past the last row seen, so rows that failed or were skipped are not retried in a loop.
      where: {
        keyVersion: { lt: active },
        credential: { organizationId },
        ...(cursor && {
          OR: [
            { credentialId: { gt: cursor.credentialId } },
            { credentialId: cursor.credentialId, field: { gt: cursor.field } },
          ],
        }),
      },
      orderBy: [{ credentialId: 'asc' }, { field: 'asc' }],
      take: batchSize,
      select: { credentialId: true, field: true, ciphertext: true, keyVersion: true },
    });
    if (rows.length === 0) break;
    batches += 1;
    const updates = [];
    for (const row of rows) {
      const location = { organizationId, credentialId: row.credentialId, field: row.field };
      const ciphertext = await resealed(location, row.ciphertext, row.keyVersion, active);
      if (!ciphertext) {
        failed += 1;
        continue;
      }
      updates.push(
        prisma.credentialSecret.updateMany({
          where: { credentialId: row.credentialId, field: row.field, keyVersion: row.keyVersion, ciphertext: { equals: row.ciphertext } },
          data: { ciphertext: new Uint8Array(ciphertext), keyVersion: active },
        }),
      );
    }
    const results = await prisma.$transaction(updates);
    for (const { count } of results) {
      if (count === 1) reencrypted += 1;
      else skipped += 1;
    }
    const last = rows[rows.length - 1]!;
    cursor = { credentialId: last.credentialId, field: last.field };
  }

  // The other sealed columns: the organization's OAuth app client secrets and its webhook signing secret.
  const extras = await reencryptSealedColumns(organizationId, active);
  reencrypted += extras.reencrypted;
  skipped += extras.skipped;
  failed += extras.failed;

  const usage = await secretVersionUsage(organizationId);
  const remaining = usage.filter((u) => u.keyVersion < active).reduce((n, u) => n + u.count, 0);
  return {
    organizationId,
    activeKeyVersion: active,
    reencrypted,
    skipped,
    failed,
    remaining,
    versionsInUse: usage.map((u) => u.keyVersion),
  };
}

type Tally = { reencrypted: number; skipped: number; failed: number };

/** Opens a sealed value under its old version and seals it under `active`; undefined (logged) when it cannot be opened. */
async function resealed(location: SecretLocation, ciphertext: Uint8Array, keyVersion: number, active: number): Promise<Buffer | undefined> {
  let plain: Buffer | undefined;
  try {
    plain = await openSecret({ ...location, ciphertext, keyVersion });
    return (await sealSecretWithVersion(location, plain, active)).ciphertext;
  } catch (error) {
    if (!isVaultError(error)) throw error;
    logger.error({ ...location, reason: error.code }, 'could not re-encrypt a secret');
    return undefined;
  } finally {
    plain?.fill(0);
  }
}

/**
 * Re-encrypts OAuthApp.clientSecret, ProposalSecret and Organization.webhookSecret rows below the active version,
 * each a compare-and-set on the old version and ciphertext (a concurrent rotation of that secret wins).
 */
async function reencryptSealedColumns(organizationId: string, active: number): Promise<Tally> {
  const tally: Tally = { reencrypted: 0, skipped: 0, failed: 0 };
  const count = (n: number) => (n === 1 ? tally.reencrypted++ : tally.skipped++);
  const apps = await prisma.oAuthApp.findMany({
    where: { organizationId, clientSecretKeyVersion: { lt: active }, clientSecret: { not: null } },
    select: { id: true, clientSecret: true, clientSecretKeyVersion: true },
  });
  for (const app of apps) {
    const location = { organizationId, credentialId: app.id, field: OAUTH_APP_CLIENT_SECRET_FIELD };
    const ciphertext = await resealed(location, app.clientSecret!, app.clientSecretKeyVersion!, active);
    if (!ciphertext) {
      tally.failed++;
      continue;
    }
    const { count: n } = await prisma.oAuthApp.updateMany({
      where: { id: app.id, clientSecretKeyVersion: app.clientSecretKeyVersion, clientSecret: { equals: app.clientSecret } },
      data: { clientSecret: new Uint8Array(ciphertext), clientSecretKeyVersion: active },
    });
    count(n);
  }
  // Values a pending proposal holds (what an agent supplied, tokens connected on the approval page).
  const held = await prisma.proposalSecret.findMany({
    where: { keyVersion: { lt: active }, proposal: { organizationId } },
    select: { proposalId: true, field: true, ciphertext: true, keyVersion: true },
  });
  for (const row of held) {
    const location = { organizationId, credentialId: row.proposalId, field: row.field };
    const ciphertext = await resealed(location, row.ciphertext, row.keyVersion, active);
    if (!ciphertext) {
      tally.failed++;
      continue;
    }
    const { count: n } = await prisma.proposalSecret.updateMany({
      where: { proposalId: row.proposalId, field: row.field, keyVersion: row.keyVersion, ciphertext: { equals: row.ciphertext } },
      data: { ciphertext: new Uint8Array(ciphertext), keyVersion: active },
    });
    count(n);
  }
  const org = await prisma.organization.findUnique({
    where: { id: organizationId },
    select: { webhookSecret: true, webhookSecretKeyVersion: true },
  });
  if (org?.webhookSecret && org.webhookSecretKeyVersion !== null && org.webhookSecretKeyVersion < active) {
    const location = { organizationId, credentialId: organizationId, field: WEBHOOK_SECRET_FIELD };
    const ciphertext = await resealed(location, org.webhookSecret, org.webhookSecretKeyVersion, active);
    if (!ciphertext) tally.failed++;
    else {
      const { count: n } = await prisma.organization.updateMany({
        where: { id: organizationId, webhookSecretKeyVersion: org.webhookSecretKeyVersion, webhookSecret: { equals: org.webhookSecret } },
        data: { webhookSecret: new Uint8Array(ciphertext), webhookSecretKeyVersion: active },
      });
      count(n);
    }
  }
  return tally;
}

/** How many secrets of the organization (credential secrets, OAuth app client secrets, the webhook secret, values pending proposals hold) each data-key version seals. */
export async function secretVersionUsage(organizationId: string): Promise<Array<{ keyVersion: number; count: number }>> {
  const rows = await prisma.$queryRaw<Array<{ keyVersion: number; count: number }>>`
    SELECT "keyVersion", count(*)::int AS count FROM (
      SELECT s."keyVersion" FROM "CredentialSecret" s JOIN "Credential" c ON c.id = s."credentialId" WHERE c."organizationId" = ${organizationId}::uuid
      UNION ALL
      SELECT "clientSecretKeyVersion" FROM "OAuthApp" WHERE "organizationId" = ${organizationId}::uuid AND "clientSecretKeyVersion" IS NOT NULL
      UNION ALL
      SELECT "webhookSecretKeyVersion" FROM "Organization" WHERE id = ${organizationId}::uuid AND "webhookSecretKeyVersion" IS NOT NULL
      UNION ALL
      SELECT s."keyVersion" FROM "ProposalSecret" s JOIN "Proposal" p ON p.id = s."proposalId" WHERE p."organizationId" = ${organizationId}::uuid
    ) v("keyVersion")
    GROUP BY "keyVersion" ORDER BY "keyVersion"`;
  return rows;
}
