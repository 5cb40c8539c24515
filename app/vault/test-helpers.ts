// Test fixtures for the vault: organizations with data keys and credentials, created through the real services.
import crypto from 'node:crypto';
import { prisma } from '~/db.server';
import { createOrganizationDataKey } from './keyring.server';
import { writeCredentialSecrets } from './secrets.server';

export async function createTestOrganization(): Promise<{ id: string; slug: string }> {
  const slug = `vault-${crypto.randomBytes(5).toString('hex')}`;
  return prisma.$transaction(async (tx) => {
    const org = await tx.organization.create({ data: { slug, name: slug }, select: { id: true, slug: true } });
    await createOrganizationDataKey(tx, org.id);
    return org;
  });
}

export async function createTestCredential(
  organizationId: string,
  secrets: Record<string, string | Buffer> = {},
): Promise<string> {
  return prisma.$transaction(async (tx) => {
    const credential = await tx.credential.create({
      data: { organizationId, name: `cred-${crypto.randomBytes(5).toString('hex')}`, service: 'custom', type: 'api_key' },
      select: { id: true },
    });
    if (Object.keys(secrets).length > 0) {
      await writeCredentialSecrets(tx, { organizationId, credentialId: credential.id, secrets });
    }
    return credential.id;
  });
}
