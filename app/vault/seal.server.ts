// Seals and opens credential secret fields under their organization's data key (the vault's barrier).
import { LRUCache } from 'lru-cache';
import { prisma } from '~/db.server';
import { openEnvelope, sealEnvelope, secretAad } from './envelope.server';
import { VaultError } from './errors';
import { cachedDataKey, withDataKey, type Db } from './keyring.server';

export interface SecretLocation {
  organizationId: string;
  credentialId: string;
  /** e.g. "key", "password", "file", "access_token", "refresh_token". */
  field: string;
}

export interface SealedSecret {
  ciphertext: Buffer;
  keyVersion: number;
}

/**
 * The data-key version new secrets of the organization are sealed with. Inside a transaction the
 * organization row is share-locked, so a key rotation waits for this write to commit and the
 * re-encryption job is sure to see it.
 */
export async function activeKeyVersion(db: Db, organizationId: string): Promise<number> {
  const rows = await db.$queryRaw<Array<{ activeKeyVersion: number }>>`
    SELECT "activeKeyVersion" FROM "Organization" WHERE "id" = ${organizationId}::uuid FOR SHARE`;
  const row = rows[0];
  if (!row) throw new VaultError('not_found', 'Organization not found');
  return row.activeKeyVersion;
}

/**
 * Associated data of recently opened fields (not secret), so the hot path skips re-encoding it.
 * The cache key is length-prefixed, so no two locations share one.
 */
const aadCache = new LRUCache<string, Buffer>({ max: 10_000 });

function cachedSecretAad(organizationId: string, credentialId: string, field: string, keyVersion: number): Buffer {
  const id = `${organizationId.length}:${organizationId}${credentialId.length}:${credentialId}${keyVersion}:${field}`;
  let aad = aadCache.get(id);
  if (!aad) {
    aad = secretAad(organizationId, credentialId, field, keyVersion);
    aadCache.set(id, aad);
  }
  return aad;
}

function toBuffer(plaintext: Buffer | string): { bytes: Buffer; owned: boolean } {
  return typeof plaintext === 'string'
    ? { bytes: Buffer.from(plaintext, 'utf8'), owned: true }
    : { bytes: plaintext, owned: false };
}

/** Seals with a given data-key version; used by sealSecret and by re-encryption. */
export async function sealSecretWithVersion(
  location: SecretLocation,
  plaintext: Buffer | string,
  keyVersion: number,
  tx?: Db,
): Promise<SealedSecret> {
  const { bytes, owned } = toBuffer(plaintext);
  try {
    const aad = secretAad(location.organizationId, location.credentialId, location.field, keyVersion);
    const ciphertext = await withDataKey(location.organizationId, keyVersion, (key) => sealEnvelope(key, bytes, aad), tx);
    return { ciphertext, keyVersion };
  } finally {
    // A string's bytes are our copy; a caller's Buffer stays the caller's to zero.
    if (owned) bytes.fill(0);
  }
}

/**
 * Seals one secret field under the organization's active data key. Pass `tx` when the write is
 * part of a transaction (a new organization's key is only visible inside it).
 */
export async function sealSecret(
  input: SecretLocation & { plaintext: Buffer | string },
  tx?: Db,
): Promise<SealedSecret> {
  const version = await activeKeyVersion(tx ?? prisma, input.organizationId);
  return sealSecretWithVersion(input, input.plaintext, version, tx);
}

/**
 * Opens a sealed field. Fails with 'cannot_open' if anything differs from sealing time:
 * organization, credential, field, key version or a single byte. The caller should zero the result when done.
 */
export function openSecret(
  input: SecretLocation & { ciphertext: Uint8Array; keyVersion: number },
  tx?: Db,
): Promise<Buffer> {
  const aad = cachedSecretAad(input.organizationId, input.credentialId, input.field, input.keyVersion);
  // Hot path: a cached key opens without touching the database or allocating a promise chain.
  const key = cachedDataKey(input.organizationId, input.keyVersion);
  if (key) {
    try {
      return Promise.resolve(openEnvelope(key, input.ciphertext, aad));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return withDataKey(input.organizationId, input.keyVersion, (k) => openEnvelope(k, input.ciphertext, aad), tx);
}
