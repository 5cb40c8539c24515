// Row-level secret helpers: seal and store a credential's fields, read and open one back.
import { prisma } from '~/db.server';
import { VaultError } from './errors';
import type { Db } from './keyring.server';
import { activeKeyVersion, openSecret, sealSecretWithVersion } from './seal.server';

/**
 * Seals and upserts every given field of a credential, inside the caller's transaction
 * (the credential row must exist and belong to the organization).
 */
export async function writeCredentialSecrets(
  tx: Db,
  input: { organizationId: string; credentialId: string; secrets: Record<string, Buffer | string> },
): Promise<{ keyVersion: number; fields: string[] }> {
  const credential = await tx.credential.findFirst({
    where: { id: input.credentialId, organizationId: input.organizationId },
    select: { id: true },
  });
  if (!credential) throw new VaultError('not_found', 'Credential not found');
  const keyVersion = await activeKeyVersion(tx, input.organizationId);
  const fields = Object.keys(input.secrets);
  for (const field of fields) {
    const location = { organizationId: input.organizationId, credentialId: input.credentialId, field };
    const { ciphertext } = await sealSecretWithVersion(location, input.secrets[field]!, keyVersion, tx);
    const bytes = new Uint8Array(ciphertext);
    await tx.credentialSecret.upsert({
      where: { credentialId_field: { credentialId: input.credentialId, field } },
      create: { credentialId: input.credentialId, field, ciphertext: bytes, keyVersion },
      update: { ciphertext: bytes, keyVersion },
    });
  }
  return { keyVersion, fields };
}

/**
 * Reads and opens one secret field of an organization's credential. A credential of another
 * organization is 'not_found', exactly like a missing one. The caller should zero the result when done.
 */
export async function readCredentialSecret(organizationId: string, credentialId: string, field: string): Promise<Buffer> {
  const row = await prisma.credentialSecret.findFirst({
    where: { credentialId, field, credential: { organizationId } },
    select: { ciphertext: true, keyVersion: true },
  });
  if (!row) throw new VaultError('not_found', 'Secret not found');
  return openSecret({ organizationId, credentialId, field, ciphertext: row.ciphertext, keyVersion: row.keyVersion });
}
