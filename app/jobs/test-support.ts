// Test fixtures for the worker tests: an organization, an OAuth app on the local provider, credentials.
import crypto from 'node:crypto';
import { createSignedUpUser } from '~/auth/test-helpers';
import type { CredentialActor } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { createOAuthApp } from '~/oauth/apps.server';
import { writeCredentialSecrets } from '~/vault/vault.server';
import { customAppFields, type TestOAuthProvider } from '../../test/oauth-provider';
import type { StrictOidcProvider } from '../../test/strict-oidc-provider';

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
  // The local provider listens on 127.0.0.1: only an organization that allows private hosts may register and reach it.
  await prisma.organization.update({ where: { id: org.organizationId }, data: { allowPrivateHosts: true } });
  const app = await createOAuthApp(org.actor, customAppFields(provider, `Local ${crypto.randomBytes(3).toString('hex')}`));
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

/**
 * The strict provider (test/strict-oidc-provider.ts) as a Custom OAuth app of the organization, which allows
 * private hosts (the provider listens on 127.0.0.1).
 */
export async function createStrictProviderApp(org: OrgFixture, op: StrictOidcProvider): Promise<string> {
  await prisma.organization.update({ where: { id: org.organizationId }, data: { allowPrivateHosts: true } });
  const app = await createOAuthApp(org.actor, {
    provider: 'custom',
    name: `Strict ${crypto.randomBytes(3).toString('hex')}`,
    clientId: op.clientId,
    clientSecret: op.clientSecret,
    authorizationUrl: op.authorizationUrl,
    tokenUrl: op.tokenUrl,
    revocationUrl: op.revocationUrl,
    userinfoUrl: op.userinfoUrl,
    scopes: 'openid offline_access read',
    clientAuth: 'basic',
  });
  return app.id;
}

/**
 * An OAuth credential holding tokens the strict provider issued through a real code + PKCE + consent flow,
 * as right after a connect: Latchkey believes the access token expires in `expiresInMs` (default: the
 * provider's lifetime), issued `issuedAgoMs` ago.
 */
export async function createStrictOAuthCredential(
  org: OrgFixture,
  op: StrictOidcProvider,
  appId: string,
  opts: { expiresInMs?: number; issuedAgoMs?: number } = {},
): Promise<{ id: string; refreshToken: string; accessToken: string; expiresAt: Date }> {
  const tokens = await op.issueTokens();
  const now = Date.now();
  const expiresAt = new Date(now + (opts.expiresInMs ?? tokens.expiresIn * 1000));
  const id = await prisma.$transaction(async (tx) => {
    const credential = await tx.credential.create({
      data: {
        organizationId: org.organizationId,
        name: `strict-${crypto.randomBytes(5).toString('hex')}`,
        service: 'custom',
        type: 'oauth',
        oauthProvider: 'custom',
        oauthAppId: appId,
        oauthAccount: op.account,
        oauthScopes: tokens.scope.split(' '),
        expiresAt,
        lastRefreshedAt: new Date(now - (opts.issuedAgoMs ?? 0)),
        createdById: org.userId,
      },
      select: { id: true },
    });
    await writeCredentialSecrets(tx, {
      organizationId: org.organizationId,
      credentialId: credential.id,
      secrets: { access_token: tokens.accessToken, refresh_token: tokens.refreshToken },
    });
    return credential.id;
  });
  return { id, refreshToken: tokens.refreshToken, accessToken: tokens.accessToken, expiresAt };
}
