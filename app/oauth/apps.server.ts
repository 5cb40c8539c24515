// OAuth apps (clients): an organization's own per provider, the platform's from configuration, and resolving which one a credential uses.
import { z } from 'zod';
import { recordAudit } from '~/audit/audit.server';
import { getEnv } from '~/config/env.server';
import type { CredentialActor } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { Prisma } from '~/generated/prisma/client';
import { hasRole } from '~/orgs/roles';
import { openSecret, readCredentialSecret, sealSecret, type Db } from '~/vault/vault.server';
import { OAUTH_APP_CLIENT_SECRET_FIELD } from '~/vault/sealed-fields';
import { platformApp } from './config.server';
import { OAuthError } from './errors';
import { getProvider, isOAuthProviderId, OAUTH_PROVIDERS, type OAuthProviderId, type ProviderEndpoints } from './providers.server';
import type { ClientCredentials } from './token-endpoint.server';

export const CLIENT_SECRET_FIELD = OAUTH_APP_CLIENT_SECRET_FIELD;
/** Pasted tokens keep their own client credentials as sealed credential secrets. */
export const PASTED_CLIENT_ID_FIELD = 'oauth_client_id';
export const PASTED_CLIENT_SECRET_FIELD = 'oauth_client_secret';

/** The one redirect URI to register at every provider. */
export function oauthRedirectUri(): string {
  return `${getEnv().PUBLIC_URL.replace(/\/+$/, '')}/oauth/callback`;
}

/** Everything needed to talk to a provider for one credential or connect. Holds a secret: never return it to a route. */
export interface ResolvedClient extends ClientCredentials {
  provider: OAuthProviderId;
  appId: string | null;
  endpoints: ProviderEndpoints;
  pkce: boolean;
  /** Custom apps' default scopes (built-in providers take theirs from the service catalog). */
  scopes: string[];
}

const appSelect = {
  id: true,
  organizationId: true,
  provider: true,
  name: true,
  clientId: true,
  clientSecret: true,
  clientSecretKeyVersion: true,
  authorizationUrl: true,
  tokenUrl: true,
  revocationUrl: true,
  userinfoUrl: true,
  scopes: true,
  clientAuth: true,
  pkce: true,
} as const satisfies Prisma.OAuthAppSelect;

type AppRow = Prisma.OAuthAppGetPayload<{ select: typeof appSelect }>;

/** What Settings shows about an app: no secret, only whether one is stored. */
export interface OAuthAppView {
  id: string;
  provider: string;
  name: string;
  clientId: string;
  hasClientSecret: boolean;
  authorizationUrl: string | null;
  tokenUrl: string | null;
  revocationUrl: string | null;
  userinfoUrl: string | null;
  scopes: string[];
  clientAuth: string;
  pkce: boolean;
  createdAt: Date;
}

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'Enter a full http(s) URL' })
  .refine((u) => {
    // Plain http only for local development servers; real providers speak https.
    if (!/^https?:\/\//i.test(u)) return true;
    const parsed = new URL(u);
    return parsed.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  }, 'Use https (http only for localhost)');
const optionalUrl = z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), httpUrl.optional());

export const oauthAppSchema = z
  .object({
    provider: z.enum(OAUTH_PROVIDERS, { error: 'Choose a provider' }),
    name: z.string({ error: 'Name is required' }).trim().min(1, 'Name is required').max(80, 'At most 80 characters').default('Default'),
    clientId: z.string({ error: 'Client ID is required' }).trim().min(1, 'Client ID is required').max(500),
    clientSecret: z.preprocess((v) => (typeof v === 'string' && v === '' ? undefined : v), z.string().max(2000).optional()),
    authorizationUrl: optionalUrl,
    tokenUrl: optionalUrl,
    revocationUrl: optionalUrl,
    userinfoUrl: optionalUrl,
    scopes: z.preprocess(
      (v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : v),
      z.array(z.string().max(200)).max(50).default([]),
    ),
    clientAuth: z.enum(['basic', 'post']).default('basic'),
    pkce: z.preprocess((v) => v === undefined || v === true || v === 'on' || v === 'true', z.boolean()),
  })
  .superRefine((v, ctx) => {
    if (v.provider !== 'custom') return;
    if (!v.authorizationUrl) ctx.addIssue({ code: 'custom', path: ['authorizationUrl'], message: 'Authorization URL is required' });
    if (!v.tokenUrl) ctx.addIssue({ code: 'custom', path: ['tokenUrl'], message: 'Token URL is required' });
  });

function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) (out[issue.path.join('.') || 'form'] ??= []).push(issue.message);
  return out;
}

function toView(row: AppRow & { createdAt: Date }): OAuthAppView {
  const { clientSecret, clientSecretKeyVersion: _v, organizationId: _o, ...rest } = row;
  return { ...rest, hasClientSecret: clientSecret !== null };
}

function requireAdmin(actor: CredentialActor): void {
  if (!hasRole(actor.role, 'admin')) throw new OAuthError('forbidden', 'Only owners and admins can manage OAuth apps');
}

function actorContext(actor: CredentialActor) {
  return { actor: { type: 'user' as const, id: actor.userId, label: actor.userLabel }, ip: actor.ip, userAgent: actor.userAgent };
}

export async function listOAuthApps(organizationId: string): Promise<OAuthAppView[]> {
  const rows = await prisma.oAuthApp.findMany({
    where: { organizationId },
    select: { ...appSelect, createdAt: true },
    orderBy: [{ provider: 'asc' }, { name: 'asc' }],
  });
  return rows.map(toView);
}

/** Registers an organization's own app for a provider; its client secret is sealed in the vault. */
export async function createOAuthApp(actor: CredentialActor, input: Record<string, unknown>): Promise<OAuthAppView> {
  requireAdmin(actor);
  const parsed = oauthAppSchema.safeParse(input);
  if (!parsed.success) throw new OAuthError('validation', 'Check the highlighted fields', fieldErrors(parsed.error));
  const data = parsed.data;
  const custom = data.provider === 'custom';
  try {
    return await prisma.$transaction(async (tx) => {
      const row = await tx.oAuthApp.create({
        data: {
          organizationId: actor.organizationId,
          provider: data.provider,
          name: data.name,
          clientId: data.clientId,
          authorizationUrl: custom ? data.authorizationUrl : null,
          tokenUrl: custom ? data.tokenUrl : null,
          revocationUrl: custom ? (data.revocationUrl ?? null) : null,
          userinfoUrl: custom ? (data.userinfoUrl ?? null) : null,
          scopes: custom ? data.scopes : [],
          clientAuth: custom ? data.clientAuth : getProvider(data.provider).clientAuth,
          pkce: custom ? data.pkce : true,
        },
        select: { id: true },
      });
      let secret: { clientSecret: Uint8Array<ArrayBuffer>; clientSecretKeyVersion: number } | null = null;
      if (data.clientSecret) {
        const sealed = await sealSecret(
          { organizationId: actor.organizationId, credentialId: row.id, field: CLIENT_SECRET_FIELD, plaintext: data.clientSecret },
          tx,
        );
        secret = { clientSecret: new Uint8Array(sealed.ciphertext), clientSecretKeyVersion: sealed.keyVersion };
      }
      const saved = await tx.oAuthApp.update({
        where: { id: row.id },
        data: secret ?? {},
        select: { ...appSelect, createdAt: true },
      });
      await recordAudit(tx, {
        organizationId: actor.organizationId,
        context: actorContext(actor),
        action: 'oauth_app.create',
        targetType: 'oauth_app',
        targetId: row.id,
        details: { provider: data.provider, name: data.name, clientId: data.clientId, confidentialClient: secret !== null },
      });
      return toView(saved);
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new OAuthError('validation', 'An app with this name exists for this provider', { name: ['Already used for this provider'] });
    }
    throw error;
  }
}

export async function deleteOAuthApp(actor: CredentialActor, appId: string): Promise<void> {
  requireAdmin(actor);
  await prisma.$transaction(async (tx) => {
    const app = await tx.oAuthApp.findFirst({ where: { id: appId, organizationId: actor.organizationId }, select: { id: true, provider: true, name: true } });
    if (!app) throw new OAuthError('not_found', 'OAuth app not found');
    await tx.oAuthApp.delete({ where: { id: app.id } });
    await recordAudit(tx, {
      organizationId: actor.organizationId,
      context: actorContext(actor),
      action: 'oauth_app.delete',
      targetType: 'oauth_app',
      targetId: app.id,
      details: { provider: app.provider, name: app.name },
    });
  });
}

async function fromAppRow(row: AppRow, db?: Db): Promise<ResolvedClient> {
  if (!isOAuthProviderId(row.provider)) throw new OAuthError('not_configured', 'This OAuth app has an unknown provider');
  const provider = getProvider(row.provider);
  let clientSecret: string | null = null;
  if (row.clientSecret && row.clientSecretKeyVersion !== null) {
    const bytes = await openSecret(
      { organizationId: row.organizationId, credentialId: row.id, field: CLIENT_SECRET_FIELD, ciphertext: row.clientSecret, keyVersion: row.clientSecretKeyVersion },
      db,
    );
    clientSecret = bytes.toString('utf8');
    bytes.fill(0);
  }
  const endpoints: ProviderEndpoints =
    row.provider === 'custom'
      ? { authorizationUrl: row.authorizationUrl ?? '', tokenUrl: row.tokenUrl ?? '', revocationUrl: row.revocationUrl, userinfoUrl: row.userinfoUrl }
      : provider.endpoints;
  return {
    provider: row.provider,
    appId: row.id,
    clientId: row.clientId,
    clientSecret,
    clientAuth: row.clientAuth === 'post' ? 'post' : 'basic',
    endpoints,
    pkce: row.pkce,
    scopes: row.scopes,
  };
}

/**
 * The client to connect with: the organization's app (a given one, or its only/first one for the
 * provider), else the platform's. Throws 'not_configured' with what to do when there is neither.
 */
export async function resolveClientForConnect(organizationId: string, provider: OAuthProviderId, appId?: string | null): Promise<ResolvedClient> {
  const row = await prisma.oAuthApp.findFirst({
    where: { organizationId, provider, ...(appId ? { id: appId } : {}) },
    select: appSelect,
    orderBy: { createdAt: 'asc' },
  });
  if (row) return fromAppRow(row);
  if (appId) throw new OAuthError('not_found', 'OAuth app not found');
  const platform = provider === 'custom' ? null : platformApp(provider);
  if (!platform) {
    throw new OAuthError(
      'not_configured',
      `No OAuth app is set up for ${getProvider(provider).label}. An admin can register one in Settings → OAuth apps.`,
    );
  }
  const definition = getProvider(provider);
  return { provider, appId: null, ...platform, clientAuth: definition.clientAuth, endpoints: definition.endpoints, pkce: true, scopes: [] };
}

/** Which providers this organization can connect right now (its own apps or the platform's). */
export async function connectableProviders(organizationId: string): Promise<Set<OAuthProviderId>> {
  const rows = await prisma.oAuthApp.findMany({ where: { organizationId }, select: { provider: true }, distinct: ['provider'] });
  const out = new Set<OAuthProviderId>();
  for (const r of rows) if (isOAuthProviderId(r.provider)) out.add(r.provider);
  for (const p of OAUTH_PROVIDERS) if (p !== 'custom' && platformApp(p)) out.add(p);
  return out;
}

/** The client a stored credential refreshes and revokes with. */
export async function resolveClientForCredential(credential: {
  id: string;
  organizationId: string;
  oauthProvider: string | null;
  oauthAppId: string | null;
  oauthTokenUrl: string | null;
  settings: Prisma.JsonValue | null;
}): Promise<ResolvedClient> {
  if (credential.oauthAppId) {
    const row = await prisma.oAuthApp.findFirst({ where: { id: credential.oauthAppId, organizationId: credential.organizationId }, select: appSelect });
    if (!row) throw new OAuthError('not_configured', 'The OAuth app these tokens were issued to was removed');
    return fromAppRow(row);
  }
  const provider = credential.oauthProvider && isOAuthProviderId(credential.oauthProvider) ? credential.oauthProvider : 'custom';
  const definition = getProvider(provider);
  if (credential.oauthTokenUrl) {
    // Pasted tokens: their own token URL and (optional) client credentials.
    const read = async (field: string) => {
      try {
        const bytes = await readCredentialSecret(credential.organizationId, credential.id, field);
        const value = bytes.toString('utf8');
        bytes.fill(0);
        return value;
      } catch {
        return null;
      }
    };
    const settings = (credential.settings ?? {}) as { clientAuth?: string; revocationUrl?: string };
    return {
      provider,
      appId: null,
      clientId: (await read(PASTED_CLIENT_ID_FIELD)) ?? '',
      clientSecret: await read(PASTED_CLIENT_SECRET_FIELD),
      clientAuth: settings.clientAuth === 'post' ? 'post' : 'basic',
      endpoints: {
        authorizationUrl: '',
        tokenUrl: credential.oauthTokenUrl,
        revocationUrl: typeof settings.revocationUrl === 'string' ? settings.revocationUrl : definition.endpoints.revocationUrl,
        userinfoUrl: null,
      },
      pkce: true,
      scopes: [],
    };
  }
  const platform = provider === 'custom' ? null : platformApp(provider);
  if (!platform) throw new OAuthError('not_configured', `No OAuth app is configured for ${definition.label} any more`);
  return { provider, appId: null, ...platform, clientAuth: definition.clientAuth, endpoints: definition.endpoints, pkce: true, scopes: [] };
}
