// The vault's public surface: everything outside app/vault/ imports from here and never touches a cipher.
import { prisma as defaultDb } from '~/db.server';
import { VaultError as BatchVaultError } from './errors';
import type { Db as BatchDb } from './keyring.server';
import { openSecret as openOne, sealSecretWithVersion } from './seal.server';
export { VaultError, isVaultError, type VaultErrorCode } from './errors';
export { createOrganizationDataKey, type Db } from './keyring.server';
export { LocalKeyWrapper, getKeyWrapper, setKeyWrapper, type KeyWrapper, type WrappedKey } from './key-wrapper.server';
export {
  openSecret,
  sealSecret,
  type SealedSecret,
  type SecretLocation,
} from './seal.server';
export { readCredentialSecret, writeCredentialSecrets } from './secrets.server';
export {
  reencryptOrganizationSecrets,
  rotateMasterKey,
  rotateOrganizationKey,
  secretVersionUsage,
  type MasterRotationReport,
  type ReencryptReport,
} from './rotation.server';

// ---- Batched secret access for hot paths (the refresh worker): one round trip for many credentials. ----

/**
 * Reads and opens one field of many credentials in one query. Each credential is looked up in the
 * organization given with it (a credential of another organization is absent from the result, like a
 * missing one). Answers credentialId → plaintext; the caller should zero each buffer when done. A
 * field that cannot be opened rejects the whole call (as readCredentialSecret would for that one).
 */
export async function readCredentialSecretsBatch(
  items: ReadonlyArray<{ organizationId: string; credentialId: string }>,
  field: string,
  db: BatchDb = defaultDb,
): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (items.length === 0) return out;
  const rows = await db.$queryRaw<Array<{ credentialId: string; organizationId: string; ciphertext: Uint8Array; keyVersion: number }>>`
    SELECT s."credentialId"::text AS "credentialId", c."organizationId"::text AS "organizationId", s.ciphertext, s."keyVersion"
      FROM unnest(${items.map((i) => i.credentialId)}::uuid[], ${items.map((i) => i.organizationId)}::uuid[]) AS v(id, org)
      JOIN "Credential" c ON c.id = v.id AND c."organizationId" = v.org
      JOIN "CredentialSecret" s ON s."credentialId" = c.id AND s.field = ${field}`;
  try {
    for (const row of rows) {
      out.set(row.credentialId, await openOne({ organizationId: row.organizationId, credentialId: row.credentialId, field, ciphertext: row.ciphertext, keyVersion: row.keyVersion }));
    }
  } catch (error) {
    for (const bytes of out.values()) bytes.fill(0);
    throw error;
  }
  return out;
}

/**
 * writeCredentialSecrets for many credentials inside the caller's transaction: the organizations'
 * active key versions are read share-locked (as writeCredentialSecrets does), every field is sealed,
 * and all are upserted in one statement. Throws VaultError 'not_found' (rolling the caller's
 * transaction back) if any credential does not exist in its organization.
 */
export async function writeCredentialSecretsBatch(
  tx: BatchDb,
  items: ReadonlyArray<{ organizationId: string; credentialId: string; secrets: Record<string, Buffer | string> }>,
): Promise<void> {
  if (items.length === 0) return;
  const orgIds = [...new Set(items.map((i) => i.organizationId))].sort();
  const orgRows = await tx.$queryRaw<Array<{ id: string; activeKeyVersion: number }>>`
    SELECT id::text AS id, "activeKeyVersion" FROM "Organization" WHERE id = ANY(${orgIds}::uuid[]) ORDER BY id FOR SHARE`;
  const versions = new Map(orgRows.map((r) => [r.id, r.activeKeyVersion]));
  const credentialIds: string[] = [];
  const organizationIds: string[] = [];
  const fields: string[] = [];
  const ciphertexts: Buffer[] = [];
  const keyVersions: number[] = [];
  for (const item of items) {
    const keyVersion = versions.get(item.organizationId);
    if (keyVersion === undefined) throw new BatchVaultError('not_found', 'Organization not found');
    for (const [field, plaintext] of Object.entries(item.secrets)) {
      const location = { organizationId: item.organizationId, credentialId: item.credentialId, field };
      const { ciphertext } = await sealSecretWithVersion(location, plaintext, keyVersion, tx);
      credentialIds.push(item.credentialId);
      organizationIds.push(item.organizationId);
      fields.push(field);
      ciphertexts.push(ciphertext);
      keyVersions.push(keyVersion);
    }
  }
  // bytea[] travels as hex text: the driver sends arrays of strings reliably.
  const hex = ciphertexts.map((c) => `\\x${c.toString('hex')}`);
  const written = await tx.$queryRaw<Array<{ n: number }>>`
    WITH ins AS (
      INSERT INTO "CredentialSecret" ("credentialId", field, ciphertext, "keyVersion", "updatedAt")
      SELECT v.id, v.field, v.ct, v.kv, ${new Date().toISOString()}::timestamp
        FROM unnest(${credentialIds}::uuid[], ${organizationIds}::uuid[], ${fields}::text[], ${hex}::bytea[], ${keyVersions}::int[]) AS v(id, org, field, ct, kv)
        JOIN "Credential" c ON c.id = v.id AND c."organizationId" = v.org
      ON CONFLICT ("credentialId", field) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, "keyVersion" = EXCLUDED."keyVersion", "updatedAt" = EXCLUDED."updatedAt"
      RETURNING 1)
    SELECT count(*)::int AS n FROM ins`;
  if ((written[0]?.n ?? 0) !== credentialIds.length) throw new BatchVaultError('not_found', 'Credential not found');
}
