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

/** Many credentials' fields, sealed and laid out as parallel arrays for one unnest() statement. */
export interface SealedSecretColumns {
  credentialIds: string[];
  organizationIds: string[];
  fields: string[];
  /** bytea as hex text (`\\x…`): the driver sends arrays of strings reliably. */
  ciphertexts: string[];
  keyVersions: number[];
}

/**
 * Seals every field of many credentials, each under its organization's data key of the version given
 * with it. The caller's statement must confirm that version is still the organization's active one
 * (share-locking the organization row) in the same transaction that stores the result.
 */
export async function sealCredentialSecretColumns(
  items: ReadonlyArray<{ organizationId: string; credentialId: string; keyVersion: number; secrets: Record<string, Buffer | string> }>,
  tx?: BatchDb,
): Promise<SealedSecretColumns> {
  const out: SealedSecretColumns = { credentialIds: [], organizationIds: [], fields: [], ciphertexts: [], keyVersions: [] };
  for (const item of items) {
    for (const [field, plaintext] of Object.entries(item.secrets)) {
      const location = { organizationId: item.organizationId, credentialId: item.credentialId, field };
      const { ciphertext } = await sealSecretWithVersion(location, plaintext, item.keyVersion, tx);
      out.credentialIds.push(item.credentialId);
      out.organizationIds.push(item.organizationId);
      out.fields.push(field);
      out.ciphertexts.push(`\\x${ciphertext.toString('hex')}`);
      out.keyVersions.push(item.keyVersion);
    }
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
  const withVersions = items.map((item) => {
    const keyVersion = versions.get(item.organizationId);
    if (keyVersion === undefined) throw new BatchVaultError('not_found', 'Organization not found');
    return { ...item, keyVersion };
  });
  const sealed = await sealCredentialSecretColumns(withVersions, tx);
  const written = await tx.$queryRaw<Array<{ n: number }>>`
    WITH ins AS (
      INSERT INTO "CredentialSecret" ("credentialId", field, ciphertext, "keyVersion", "updatedAt")
      SELECT v.id, v.field, v.ct, v.kv, ${new Date().toISOString()}::timestamp
        FROM unnest(${sealed.credentialIds}::uuid[], ${sealed.organizationIds}::uuid[], ${sealed.fields}::text[], ${sealed.ciphertexts}::bytea[], ${sealed.keyVersions}::int[]) AS v(id, org, field, ct, kv)
        JOIN "Credential" c ON c.id = v.id AND c."organizationId" = v.org
      ON CONFLICT ("credentialId", field) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, "keyVersion" = EXCLUDED."keyVersion", "updatedAt" = EXCLUDED."updatedAt"
      RETURNING 1)
    SELECT count(*)::int AS n FROM ins`;
  if ((written[0]?.n ?? 0) !== sealed.credentialIds.length) throw new BatchVaultError('not_found', 'Credential not found');
}
