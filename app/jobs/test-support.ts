// Test fixtures for the worker tests: an organization, an OAuth app on the local provider, credentials.
import crypto from 'node:crypto';
import { createSignedUpUser } from '~/auth/test-helpers';
import type { CredentialActor } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { createOAuthApp } from '~/oauth/apps.server';
import { writeCredentialSecrets } from '~/vault/vault.server';
import type { TestOAuthProvider } from '../../test/oauth-provider';

export interface OrgFixture {
  organizationId: string;
  slug: string;
  userId: string;
  actor: CredentialActor;
}

export async function createOrg(): Promise<OrgFixture> {
  const user = await createSignedUpUser();
  const org = await prisma.organization.findUniqueOrThrow({ where: { slug: user.slug }, select: { id: true } });
  return {
    organizationId: org.id,
    slug: user.slug,
    userId: user.userId,
    actor: { organizationId: org.id, userId: user.userId, userLabel: user.email, role: 'owner', ip: '127.0.0.1', userAgent: 'vitest' },
  };
}

export async function createProviderApp(org: OrgFixture, provider: TestOAuthProvider): Promise<string> {
  const app = await createOAuthApp(org.actor, {
    provider: 'custom',
    name: `Local ${crypto.randomBytes(3).toString('hex')}`,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    authorizationUrl: provider.authorizationUrl,
    tokenUrl: provider.tokenUrl,
    revocationUrl: provider.revocationUrl,
    userinfoUrl: provider.userinfoUrl,
    scopes: 'read',
    clientAuth: 'basic',
  });
  return app.id;
}

/** An OAuth credential holding tokens the provider issued (as after a connect), expiring in `expiresInMs`. */
export async function createOAuthCredential(
  org: OrgFixture,
  provider: TestOAuthProvider,
  appId: string,
  opts: { expiresInMs: number; withRefreshToken?: boolean },
): Promise<{ id: string; refreshToken: string | null; expiresAt: Date }> {
  const tokens = provider.issueTokens(['read']);
  const expiresAt = new Date(Date.now() + opts.expiresInMs);
  const refreshToken = opts.withRefreshToken === false ? null : tokens.refreshToken;
  const id = await prisma.$transaction(async (tx) => {
    const credential = await tx.credential.create({
      data: {
        organizationId: org.organizationId,
        name: `oauth-${crypto.randomBytes(5).toString('hex')}`,
        service: 'custom',
        type: 'oauth',
        oauthProvider: 'custom',
        oauthAppId: appId,
        oauthAccount: provider.account,
        expiresAt,
        createdById: org.userId,
      },
      select: { id: true },
    });
    await writeCredentialSecrets(tx, {
      organizationId: org.organizationId,
      credentialId: credential.id,
      secrets: refreshToken ? { access_token: tokens.accessToken, refresh_token: refreshToken } : { access_token: tokens.accessToken },
    });
    return credential.id;
  });
  return { id, refreshToken, expiresAt };
}

/** An API key (or password/file-like) credential with an optional expiry. */
export async function createKeyCredential(org: OrgFixture, expiresAt: Date | null): Promise<string> {
  return prisma.$transaction(async (tx) => {
    const credential = await tx.credential.create({
      data: {
        organizationId: org.organizationId,
        name: `key-${crypto.randomBytes(5).toString('hex')}`,
        service: 'openai',
        type: 'api_key',
        expiresAt,
        createdById: org.userId,
      },
      select: { id: true },
    });
    await writeCredentialSecrets(tx, { organizationId: org.organizationId, credentialId: credential.id, secrets: { key: 'sk-test-123' } });
    return credential.id;
  });
}

export async function storedRefreshToken(organizationId: string, credentialId: string): Promise<string> {
  const { readCredentialSecret } = await import('~/vault/vault.server');
  const bytes = await readCredentialSecret(organizationId, credentialId, 'refresh_token');
  return bytes.toString('utf8');
}
