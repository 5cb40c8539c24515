// OAuth apps (clients): an organization's own per provider, the platform's from configuration, and resolving which one a credential uses.
import { credentialAuditContext } from '~/credentials/actor.server';
import { z } from 'zod';
import { recordAudit } from '~/audit/audit.server';
import { getEnv } from '~/config/env.server';
import type { CredentialActor } from '~/credentials/credentials.server';
import { parseCredentialSettings } from '~/credentials/settings';
import { prisma } from '~/db.server';
import { PRIVATE_HOSTS_HINT, urlRefusal } from '~/egress/egress.server';
import { Prisma } from '~/generated/prisma/client';
import { allows, deniedMessage } from '~/orgs/permissions';
import { openSecret, readCredentialSecret, sealSecret, type Db } from '~/vault/vault.server';
import { OAUTH_APP_CLIENT_SECRET_FIELD } from '~/vault/sealed-fields';
import { platformApp } from './config.server';
import { DiscoveryError, discoverAuthorizationServer } from './discovery.server';
import { OAuthError } from './errors';
import {
  getProvider,
  isOAuthProviderId,
  OAUTH_PROVIDERS,
  type IssuerIdentification,
  type OAuthProviderId,
  type OfflineAccess,
  type ProviderEndpoints,
  type RevocationMethod,
} from './providers.server';
import type { ClientCredentials } from './token-endpoint.server';

export const CLIENT_SECRET_FIELD = OAUTH_APP_CLIENT_SECRET_FIELD;
/** Pasted tokens keep their own client credentials as sealed credential secrets. */
export const PASTED_CLIENT_ID_FIELD = 'oauth_client_id';
export const PASTED_CLIENT_SECRET_FIELD = 'oauth_client_secret';

/** The one redirect URI to register at every provider. */
export function oauthRedirectUri(): string {
  return `${getEnv().PUBLIC_URL.replace(/\/+$/, '')}/oauth/callback`;
}

/** The id a connect form sends for the platform's own app (configured by the operator, not a row). */
export const PLATFORM_APP_ID = 'platform';

/** Everything needed to talk to a provider for one credential or connect. Holds a secret: never return it to a route. */
export interface ResolvedClient extends ClientCredentials {
  provider: OAuthProviderId;
  appId: string | null;
  /** Who a person reads in messages: a Custom app's own name ("Strict peer"), else the provider ("GitHub"). */
  label: string;
  endpoints: ProviderEndpoints;
  pkce: boolean;
  /** Custom apps' default scopes (built-in providers take theirs from the service catalog). */
  scopes: string[];
  revocation: RevocationMethod;
  revocationEndsGrant: boolean;
  offlineAccess: OfflineAccess;
  issuerIdentification: IssuerIdentification;
}

/** The provider's data, for a client whose endpoints are the provider's own (platform apps, built-in providers). */
function providerClient(provider: OAuthProviderId, credentials: ClientCredentials, appId: string | null, label?: string): ResolvedClient {
  const definition = getProvider(provider);
  return {
    provider,
    appId,
    label: label ?? definition.label,
    ...credentials,
    endpoints: definition.endpoints,
    pkce: true,
    scopes: [],
    revocation: definition.revocation,
    revocationEndsGrant: definition.revocationEndsGrant,
    offlineAccess: definition.offlineAccess,
    issuerIdentification: definition.issuerIdentification,
  };
}

/**
 * The client of tokens pasted with their own token URL: the provider's data (userinfo, revocation API) for a catalog
 * provider, RFC 7009 only where a revocation URL was given; a Custom one is named by its token URL's host.
 */
export function pastedClient(
  provider: OAuthProviderId,
  credentials: ClientCredentials,
  tokenUrl: string,
  revocationUrl: string | null = null,
): ResolvedClient {
  const definition = getProvider(provider);
  const custom = provider === 'custom';
  const base = providerClient(provider, credentials, null, custom ? (hostOf(tokenUrl) ?? 'the provider') : undefined);
  const revokeAt = revocationUrl ?? (custom ? null : definition.endpoints.revocationUrl);
  return {
    ...base,
    endpoints: { authorizationUrl: '', tokenUrl, revocationUrl: revokeAt, userinfoUrl: custom ? null : definition.endpoints.userinfoUrl },
    revocation: revocationUrl || custom ? customRevocation(revokeAt) : definition.revocation,
  };
}

/** A revocation URL is RFC 7009; without one a Custom provider offers nothing we know of. */
function customRevocation(revocationUrl: string | null): RevocationMethod {
  return revocationUrl ? { kind: 'rfc7009' } : { kind: 'none', removeAccessAt: null };
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
  issuer: true,
  issParameterRequired: true,
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
  issuer: string | null;
  issParameterRequired: boolean;
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
    /** Custom apps: the server's issuer identifier; its metadata fills the endpoints left empty. */
    issuer: optionalUrl,
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
    /** Empty: from the server's metadata when an issuer is given, else HTTP Basic. */
    clientAuth: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['basic', 'post']).optional()),
    pkce: z.preprocess((v) => v === undefined || v === true || v === 'on' || v === 'true', z.boolean()),
  })
  .superRefine((v, ctx) => {
    // With an issuer, discovery fills what is left empty.
    if (v.provider !== 'custom' || v.issuer) return;
    if (!v.authorizationUrl) ctx.addIssue({ code: 'custom', path: ['authorizationUrl'], message: 'Authorization URL is required (or give the issuer URL)' });
    if (!v.tokenUrl) ctx.addIssue({ code: 'custom', path: ['tokenUrl'], message: 'Token URL is required (or give the issuer URL)' });
  });

/** Discovery for the Settings form: its failure is a field error on the issuer, and nothing is saved. */
async function discoverForForm(organizationId: string, issuer: string) {
  const org = await prisma.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { allowPrivateHosts: true } });
  try {
    return await discoverAuthorizationServer(issuer, org.allowPrivateHosts);
  } catch (error) {
    if (!(error instanceof DiscoveryError)) throw error;
    throw new OAuthError('validation', 'Check the highlighted fields', { issuer: [error.message] });
  }
}

/**
 * A Custom app's endpoints go through the egress policy when it is saved, so a private address is refused with a
 * field error naming Settings → Network now, not at the first refresh. `reportOn` puts every error on one field
 * (endpoints read from the issuer's metadata have no field of their own).
 */
async function refusePrivateEndpoints(organizationId: string, urls: Record<string, string | null | undefined>, reportOn?: string): Promise<void> {
  const org = await prisma.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { allowPrivateHosts: true } });
  const errors: Record<string, string[]> = {};
  for (const [field, url] of Object.entries(urls)) {
    if (!url) continue;
    const refusal = await urlRefusal(url, org.allowPrivateHosts, { brief: true });
    if (refusal) (errors[reportOn ?? field] ??= []).push(reportOn ? `Its metadata names ${url}: ${refusal}` : refusal);
  }
  // The form says once what to do; each field says what is wrong with it.
  if (Object.keys(errors).length > 0) throw new OAuthError('validation', PRIVATE_HOSTS_HINT, errors);
}

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
  if (!allows(actor.role, 'oauth_app.manage')) throw new OAuthError('forbidden', deniedMessage(actor.role, 'oauth_app.manage'));
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
  if (custom) {
    await refusePrivateEndpoints(actor.organizationId, {
      issuer: data.issuer,
      authorizationUrl: data.authorizationUrl,
      tokenUrl: data.tokenUrl,
      revocationUrl: data.revocationUrl,
      userinfoUrl: data.userinfoUrl,
    });
  }
  const discovered = custom && data.issuer ? await discoverForForm(actor.organizationId, data.issuer) : null;
  if (discovered) {
    // The metadata may name endpoints elsewhere than the issuer: those the form left empty are judged too.
    await refusePrivateEndpoints(
      actor.organizationId,
      {
        authorizationUrl: data.authorizationUrl ? undefined : discovered.authorizationUrl,
        tokenUrl: data.tokenUrl ? undefined : discovered.tokenUrl,
        revocationUrl: data.revocationUrl ? undefined : discovered.revocationUrl,
        userinfoUrl: data.userinfoUrl ? undefined : discovered.userinfoUrl,
      },
      'issuer',
    );
  }
  const scopes = [...data.scopes];
  // A server that grants offline access only when asked: ask, or Latchkey gets no refresh token to keep the credential fresh.
  if (discovered?.offlineAccessSupported && !scopes.includes('offline_access')) scopes.push('offline_access');
  try {
    return await prisma.$transaction(async (tx) => {
      const row = await tx.oAuthApp.create({
        data: {
          organizationId: actor.organizationId,
          provider: data.provider,
          name: data.name,
          clientId: data.clientId,
          authorizationUrl: custom ? (data.authorizationUrl ?? discovered?.authorizationUrl ?? null) : null,
          tokenUrl: custom ? (data.tokenUrl ?? discovered?.tokenUrl ?? null) : null,
          revocationUrl: custom ? (data.revocationUrl ?? discovered?.revocationUrl ?? null) : null,
          userinfoUrl: custom ? (data.userinfoUrl ?? discovered?.userinfoUrl ?? null) : null,
          scopes: custom ? scopes : [],
          clientAuth: custom ? (data.clientAuth ?? discovered?.clientAuth ?? 'basic') : getProvider(data.provider).clientAuth,
          pkce: custom ? data.pkce && (discovered?.pkce ?? true) : true,
          issuer: discovered?.issuer ?? null,
          issParameterRequired: discovered?.issParameterRequired ?? false,
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
        context: credentialAuditContext(actor),
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
      context: credentialAuditContext(actor),
      action: 'oauth_app.delete',
      targetType: 'oauth_app',
      targetId: app.id,
      details: { provider: app.provider, name: app.name },
    });
  });
}

async function fromAppRow(row: AppRow, db?: Db): Promise<ResolvedClient> {
  if (!isOAuthProviderId(row.provider)) throw new OAuthError('not_configured', 'This OAuth app has an unknown provider');
  let clientSecret: string | null = null;
  if (row.clientSecret && row.clientSecretKeyVersion !== null) {
    const bytes = await openSecret(
      { organizationId: row.organizationId, credentialId: row.id, field: CLIENT_SECRET_FIELD, ciphertext: row.clientSecret, keyVersion: row.clientSecretKeyVersion },
      db,
    );
    clientSecret = bytes.toString('utf8');
    bytes.fill(0);
  }
  const credentials: ClientCredentials = { clientId: row.clientId, clientSecret, clientAuth: row.clientAuth === 'post' ? 'post' : 'basic' };
  if (row.provider !== 'custom') return providerClient(row.provider, credentials, row.id);
  const custom = getProvider('custom');
  return {
    provider: 'custom',
    appId: row.id,
    label: row.name,
    ...credentials,
    endpoints: { authorizationUrl: row.authorizationUrl ?? '', tokenUrl: row.tokenUrl ?? '', revocationUrl: row.revocationUrl, userinfoUrl: row.userinfoUrl },
    pkce: row.pkce,
    scopes: row.scopes,
    revocation: customRevocation(row.revocationUrl),
    revocationEndsGrant: custom.revocationEndsGrant,
    offlineAccess: custom.offlineAccess,
    issuerIdentification: { issuer: row.issuer, issParameterRequired: row.issParameterRequired },
  };
}

/** One app a person can connect with: the organization's own (by name) or the platform's. */
export interface ConnectOption {
  /** An OAuthApp id, or PLATFORM_APP_ID. */
  id: string;
  name: string;
  /** What tells it apart: the client id and, for Custom apps, the server. */
  detail: string;
}

function hostOf(url: string | null): string | null {
  try {
    return url ? new URL(url).host : null;
  } catch {
    return null;
  }
}

/** The apps this organization can connect a provider with, oldest first, the platform's last. */
export async function connectOptions(organizationId: string, provider: OAuthProviderId): Promise<ConnectOption[]> {
  const rows = await prisma.oAuthApp.findMany({
    where: { organizationId, provider },
    select: { id: true, name: true, clientId: true, issuer: true, authorizationUrl: true },
    orderBy: [{ createdAt: 'asc' }, { name: 'asc' }],
  });
  const options: ConnectOption[] = rows.map((r) => {
    const host = provider === 'custom' ? hostOf(r.issuer ?? r.authorizationUrl) : null;
    return { id: r.id, name: r.name, detail: host ? `${host} · client ${r.clientId}` : `Client ${r.clientId}` };
  });
  const platform = provider === 'custom' ? null : platformApp(provider);
  if (platform) options.push({ id: PLATFORM_APP_ID, name: `Latchkey’s ${getProvider(provider).label} app`, detail: 'Set up by the operator of this Latchkey' });
  return options;
}

/**
 * The client to connect with: the app the person chose (an organization's app or the platform's), or the only one
 * there is. With several and no choice it refuses with a field error, so Connect never silently picks one.
 */
export async function resolveClientForConnect(organizationId: string, provider: OAuthProviderId, appId?: string | null): Promise<ResolvedClient> {
  return withNetworkPolicy(organizationId, await connectClient(organizationId, provider, appId));
}

/**
 * Every resolved client carries its organization's Network setting, so its token, revocation and userinfo
 * requests follow the same egress policy as the proxy (private addresses only where the organization allows them).
 */
async function withNetworkPolicy(organizationId: string, client: ResolvedClient): Promise<ResolvedClient> {
  const org = await prisma.organization.findUnique({ where: { id: organizationId }, select: { allowPrivateHosts: true } });
  return { ...client, allowPrivateHosts: org?.allowPrivateHosts ?? false };
}

async function connectClient(organizationId: string, provider: OAuthProviderId, appId?: string | null): Promise<ResolvedClient> {
  const label = getProvider(provider).label;
  if (appId === PLATFORM_APP_ID) {
    const platform = provider === 'custom' ? null : platformApp(provider);
    if (!platform) throw new OAuthError('not_found', 'OAuth app not found');
    return providerClient(provider, { ...platform, clientAuth: getProvider(provider).clientAuth }, null);
  }
  if (appId) {
    const row = await prisma.oAuthApp.findFirst({ where: { organizationId, provider, id: appId }, select: appSelect });
    if (!row) throw new OAuthError('not_found', 'OAuth app not found');
    return fromAppRow(row);
  }
  const options = await connectOptions(organizationId, provider);
  if (options.length === 0) {
    throw new OAuthError('not_configured', `No OAuth app is set up for ${label}. An admin can register one in Settings → OAuth apps.`);
  }
  if (options.length > 1) {
    const message = `Choose which ${provider === 'custom' ? 'OAuth app' : `${label} app`} to connect with`;
    throw new OAuthError('validation', message, { appId: [message] });
  }
  return connectClient(organizationId, provider, options[0]!.id);
}

/** Which providers this organization can connect right now (its own apps or the platform's). */
export async function connectableProviders(organizationId: string): Promise<Set<OAuthProviderId>> {
  const rows = await prisma.oAuthApp.findMany({ where: { organizationId }, select: { provider: true }, distinct: ['provider'] });
  const out = new Set<OAuthProviderId>();
  for (const r of rows) if (isOAuthProviderId(r.provider)) out.add(r.provider);
  for (const p of OAUTH_PROVIDERS) if (p !== 'custom' && platformApp(p)) out.add(p);
  return out;
}

/** The name of the app a credential's tokens were issued to, for its detail page (null: pasted with its own token URL). */
export async function credentialAppName(credential: { organizationId: string; oauthProvider: string | null; oauthAppId: string | null; oauthTokenUrl: string | null }): Promise<string | null> {
  if (credential.oauthAppId) {
    const row = await prisma.oAuthApp.findFirst({ where: { id: credential.oauthAppId, organizationId: credential.organizationId }, select: { name: true } });
    return row?.name ?? null;
  }
  if (credential.oauthTokenUrl || !credential.oauthProvider || !isOAuthProviderId(credential.oauthProvider) || credential.oauthProvider === 'custom') return null;
  return platformApp(credential.oauthProvider) ? `Latchkey’s ${getProvider(credential.oauthProvider).label} app` : null;
}

/** Who revokes a credential's tokens and how, read without opening any secret (for the confirmation dialogs). */
export async function revocationFor(credential: {
  organizationId: string;
  oauthProvider: string | null;
  oauthAppId: string | null;
  oauthTokenUrl: string | null;
  settings: Prisma.JsonValue | null;
}): Promise<Pick<ResolvedClient, 'label' | 'revocation' | 'revocationEndsGrant'>> {
  const provider = credential.oauthProvider && isOAuthProviderId(credential.oauthProvider) ? credential.oauthProvider : 'custom';
  const definition = getProvider(provider);
  if (credential.oauthAppId) {
    const row = await prisma.oAuthApp.findFirst({
      where: { id: credential.oauthAppId, organizationId: credential.organizationId },
      select: { provider: true, name: true, revocationUrl: true },
    });
    if (row?.provider === 'custom') return { label: row.name, revocation: customRevocation(row.revocationUrl), revocationEndsGrant: definition.revocationEndsGrant };
  } else if (credential.oauthTokenUrl) {
    const settings = parseCredentialSettings(credential.settings);
    if (settings.revocationUrl || provider === 'custom') {
      const label = provider === 'custom' ? (hostOf(credential.oauthTokenUrl) ?? 'the provider') : definition.label;
      return { label, revocation: customRevocation(settings.revocationUrl ?? null), revocationEndsGrant: definition.revocationEndsGrant };
    }
  }
  return { label: definition.label, revocation: definition.revocation, revocationEndsGrant: definition.revocationEndsGrant };
}

type StoredOAuthCredential = {
  id: string;
  organizationId: string;
  oauthProvider: string | null;
  oauthAppId: string | null;
  oauthTokenUrl: string | null;
  settings: Prisma.JsonValue | null;
};

/** The client a stored credential refreshes and revokes with. */
export async function resolveClientForCredential(credential: StoredOAuthCredential): Promise<ResolvedClient> {
  return withNetworkPolicy(credential.organizationId, await credentialClient(credential));
}

async function credentialClient(credential: StoredOAuthCredential): Promise<ResolvedClient> {
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
    const settings = parseCredentialSettings(credential.settings);
    const credentials: ClientCredentials = {
      clientId: (await read(PASTED_CLIENT_ID_FIELD)) ?? '',
      clientSecret: await read(PASTED_CLIENT_SECRET_FIELD),
      clientAuth: settings.clientAuth === 'post' ? 'post' : 'basic',
    };
    // Tokens pasted with their own token URL: RFC 7009 where a revocation URL is known, else the provider's own API.
    return pastedClient(provider, credentials, credential.oauthTokenUrl, settings.revocationUrl ?? null);
  }
  const platform = provider === 'custom' ? null : platformApp(provider);
  if (!platform) throw new OAuthError('not_configured', `No OAuth app is configured for ${definition.label} any more`);
  return providerClient(provider, { ...platform, clientAuth: definition.clientAuth }, null);
}
