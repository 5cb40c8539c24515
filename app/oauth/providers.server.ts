// OAuth providers as data (endpoints, client authentication, how to name the account) with arctic building the authorization URLs.
import crypto from 'node:crypto';
import {
  Atlassian,
  CodeChallengeMethod,
  Discord,
  GitHub,
  GitLab,
  Google,
  Linear,
  MicrosoftEntraId,
  Notion,
  OAuth2Client,
  Salesforce,
} from 'arctic';
import { OAUTH_PROVIDERS, type OAuthProviderId } from '~/credentials/catalog';

export { OAUTH_PROVIDERS, type OAuthProviderId };

export interface ProviderEndpoints {
  authorizationUrl: string;
  tokenUrl: string;
  revocationUrl: string | null;
  userinfoUrl: string | null;
}

export interface AuthorizationRequest {
  clientId: string;
  clientSecret: string | null;
  redirectUri: string;
  state: string;
  codeVerifier: string | null;
  scopes: string[];
}

/**
 * How an app gives back what it was granted. `rfc7009` posts to `endpoints.revocationUrl`; `github` and `slack` are
 * those providers' own APIs; `none` means the provider offers apps no way to revoke, and says where the person
 * removes the app's access instead.
 */
export type RevocationMethod =
  | { kind: 'rfc7009' }
  /** DELETE {url with {client_id}} with HTTP Basic client_id:client_secret and JSON { access_token }: revokes that one token. */
  | { kind: 'github'; url: string }
  /** POST {url} with the token as Bearer (Slack's auth.revoke): answers { ok, revoked }. */
  | { kind: 'slack'; url: string }
  | { kind: 'none'; removeAccessAt: { where: string; url: string } | null };

/** What the authorization request needs so the provider issues a refresh token (data, read by one function). */
export interface OfflineAccess {
  /** Scopes added to every request (Microsoft, Atlassian: offline_access). */
  scopes: readonly string[];
  /** Parameters added (Google: access_type=offline&prompt=consent). */
  params: Readonly<Record<string, string>>;
  /** Only when the request carries this scope (generic OpenID Connect: prompt=consent with offline_access). */
  onlyWithScope?: string;
}

/** RFC 9207 for a provider: its issuer identifier and whether a callback without `iss` must be refused. */
export interface IssuerIdentification {
  /** Null when the provider's issuer is not one fixed string (Microsoft's is per tenant). */
  issuer: string | null;
  /** The provider's metadata says authorization_response_iss_parameter_supported: true. */
  issParameterRequired: boolean;
}

export interface ProviderDefinition {
  id: OAuthProviderId;
  label: string;
  endpoints: ProviderEndpoints;
  clientAuth: 'basic' | 'post';
  /** Where people create an app for this provider (shown in Settings). */
  consoleUrl: string | null;
  /** The authorization URL, built by arctic's provider class, always with PKCE S256. */
  authorizationUrl(request: AuthorizationRequest, endpoints: ProviderEndpoints): URL;
  /** The account the tokens belong to, from the userinfo document or the token response. */
  account(profile: Record<string, unknown> | null, tokenData: Record<string, unknown>): string | null;
  revocation: RevocationMethod;
  /**
   * Whether revoking one credential's tokens ends the grant, and with it every credential connected with the same
   * account and app (RFC 7009 servers such as Google revoke the whole grant; GitHub's token API revokes one token).
   */
  revocationEndsGrant: boolean;
  offlineAccess: OfflineAccess;
  issuerIdentification: IssuerIdentification;
}

const NO_OFFLINE_PARAMS: OfflineAccess = { scopes: [], params: {} };
const UNKNOWN_ISSUER: IssuerIdentification = { issuer: null, issParameterRequired: false };

/** Adds what the provider needs to grant offline access: its scopes (once) and its parameters. */
export function withOfflineAccess(scopes: readonly string[], offline: OfflineAccess): { scopes: string[]; params: Record<string, string> } {
  const all = [...scopes];
  for (const scope of offline.scopes) if (!all.includes(scope)) all.push(scope);
  const applies = offline.onlyWithScope === undefined || all.includes(offline.onlyWithScope);
  return { scopes: all, params: applies ? { ...offline.params } : {} };
}

/** RFC 7636 S256 challenge, for arctic classes that build URLs without PKCE. */
export function withPkce(url: URL, codeVerifier: string | null): URL {
  if (codeVerifier && !url.searchParams.has('code_challenge')) {
    url.searchParams.set('code_challenge', crypto.createHash('sha256').update(codeVerifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** Email first (what people recognise), then a login name, then the subject. */
function standardAccount(profile: Record<string, unknown> | null): string | null {
  if (!profile) return null;
  return str(profile.email) ?? str(profile.login) ?? str(profile.username) ?? str(profile.preferred_username) ?? str(profile.name) ?? str(profile.sub);
}

function genericUrl(request: AuthorizationRequest, endpoints: ProviderEndpoints): URL {
  const client = new OAuth2Client(request.clientId, request.clientSecret, request.redirectUri);
  return request.codeVerifier
    ? client.createAuthorizationURLWithPKCE(endpoints.authorizationUrl, request.state, CodeChallengeMethod.S256, request.codeVerifier, request.scopes)
    : client.createAuthorizationURL(endpoints.authorizationUrl, request.state, request.scopes);
}

const secretOf = (r: AuthorizationRequest) => r.clientSecret ?? '';

const definitions: Record<Exclude<OAuthProviderId, 'custom'>, Omit<ProviderDefinition, 'id'>> = {
  github: {
    label: 'GitHub',
    endpoints: {
      authorizationUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      revocationUrl: null,
      userinfoUrl: 'https://api.github.com/user',
    },
    clientAuth: 'post',
    consoleUrl: 'https://github.com/settings/developers',
    authorizationUrl: (r) => withPkce(new GitHub(r.clientId, secretOf(r), r.redirectUri).createAuthorizationURL(r.state, r.scopes), r.codeVerifier),
    account: (p) => str(p?.login) ?? standardAccount(p),
    // No RFC 7009 endpoint. "Delete an app token" revokes exactly this credential's token; "delete an app
    // authorization" (/grant) would also end every other credential the same person connected with the app.
    revocation: { kind: 'github', url: 'https://api.github.com/applications/{client_id}/token' },
    revocationEndsGrant: false,
    // OAuth apps issue no refresh token; GitHub Apps with expiring tokens always do.
    offlineAccess: NO_OFFLINE_PARAMS,
    issuerIdentification: UNKNOWN_ISSUER,
  },
  google: {
    label: 'Google',
    endpoints: {
      authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      revocationUrl: 'https://oauth2.googleapis.com/revoke',
      userinfoUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
    },
    clientAuth: 'post',
    consoleUrl: 'https://console.cloud.google.com/apis/credentials',
    authorizationUrl: (r) => new Google(r.clientId, secretOf(r), r.redirectUri).createAuthorizationURL(r.state, r.codeVerifier ?? '', r.scopes),
    account: standardAccount,
    revocation: { kind: 'rfc7009' },
    // Google's revoke ends the grant: every token issued to the app for that account.
    revocationEndsGrant: true,
    // Without these Google issues no refresh token (or only on the very first consent).
    offlineAccess: { scopes: [], params: { access_type: 'offline', prompt: 'consent' } },
    issuerIdentification: { issuer: 'https://accounts.google.com', issParameterRequired: false },
  },
  slack: {
    label: 'Slack',
    endpoints: {
      authorizationUrl: 'https://slack.com/oauth/v2/authorize',
      tokenUrl: 'https://slack.com/api/oauth.v2.access',
      revocationUrl: null,
      userinfoUrl: null,
    },
    clientAuth: 'post',
    consoleUrl: 'https://api.slack.com/apps',
    // arctic's Slack class is "Sign in with Slack" (OpenID scopes only); workspace scopes need oauth/v2.
    authorizationUrl: genericUrl,
    account: (_p, t) => {
      const team = t.team as Record<string, unknown> | undefined;
      return str(team?.name) ?? str((t.authed_user as Record<string, unknown> | undefined)?.id);
    },
    revocation: { kind: 'slack', url: 'https://slack.com/api/auth.revoke' },
    // Without token rotation Slack hands the same token to every install by the same person: revoking it ends them all.
    revocationEndsGrant: true,
    offlineAccess: NO_OFFLINE_PARAMS,
    issuerIdentification: UNKNOWN_ISSUER,
  },
  discord: {
    label: 'Discord',
    endpoints: {
      authorizationUrl: 'https://discord.com/oauth2/authorize',
      tokenUrl: 'https://discord.com/api/oauth2/token',
      revocationUrl: 'https://discord.com/api/oauth2/token/revoke',
      userinfoUrl: 'https://discord.com/api/users/@me',
    },
    clientAuth: 'basic',
    consoleUrl: 'https://discord.com/developers/applications',
    authorizationUrl: (r) => new Discord(r.clientId, r.clientSecret, r.redirectUri).createAuthorizationURL(r.state, r.codeVerifier, r.scopes),
    account: (p) => str(p?.username) ?? standardAccount(p),
    revocation: { kind: 'rfc7009' },
    revocationEndsGrant: true,
    offlineAccess: NO_OFFLINE_PARAMS,
    issuerIdentification: UNKNOWN_ISSUER,
  },
  microsoft: {
    label: 'Microsoft Entra ID',
    endpoints: {
      authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
      revocationUrl: null,
      userinfoUrl: 'https://graph.microsoft.com/oidc/userinfo',
    },
    clientAuth: 'post',
    consoleUrl: 'https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps',
    authorizationUrl: (r) =>
      new MicrosoftEntraId('common', r.clientId, r.clientSecret, r.redirectUri).createAuthorizationURL(r.state, r.codeVerifier ?? '', r.scopes),
    account: standardAccount,
    // The identity platform has no token revocation for apps (Graph's revokeSignInSessions signs the person out of every app).
    revocation: {
      kind: 'none',
      removeAccessAt: { where: 'myapps.microsoft.com (work or school accounts) or account.live.com/consent/Manage (personal accounts)', url: 'https://myapps.microsoft.com' },
    },
    revocationEndsGrant: false,
    offlineAccess: { scopes: ['offline_access'], params: {} },
    // The issuer names the tenant (https://login.microsoftonline.com/{tenant}/v2.0), unknown before sign-in on /common.
    issuerIdentification: UNKNOWN_ISSUER,
  },
  linear: {
    label: 'Linear',
    endpoints: {
      authorizationUrl: 'https://linear.app/oauth/authorize',
      tokenUrl: 'https://api.linear.app/oauth/token',
      revocationUrl: 'https://api.linear.app/oauth/revoke',
      userinfoUrl: null,
    },
    clientAuth: 'post',
    consoleUrl: 'https://linear.app/settings/api/applications/new',
    authorizationUrl: (r) => withPkce(new Linear(r.clientId, secretOf(r), r.redirectUri).createAuthorizationURL(r.state, r.scopes), r.codeVerifier),
    account: () => null,
    revocation: { kind: 'rfc7009' },
    revocationEndsGrant: true,
    offlineAccess: NO_OFFLINE_PARAMS,
    issuerIdentification: UNKNOWN_ISSUER,
  },
  notion: {
    label: 'Notion',
    endpoints: {
      authorizationUrl: 'https://api.notion.com/v1/oauth/authorize',
      tokenUrl: 'https://api.notion.com/v1/oauth/token',
      revocationUrl: 'https://api.notion.com/v1/oauth/revoke',
      userinfoUrl: null,
    },
    clientAuth: 'basic',
    consoleUrl: 'https://www.notion.so/profile/integrations',
    authorizationUrl: (r) => withPkce(new Notion(r.clientId, secretOf(r), r.redirectUri).createAuthorizationURL(r.state), r.codeVerifier),
    // Notion names the person and workspace in the token response itself.
    account: (_p, t) => {
      const owner = t.owner as { user?: { person?: { email?: unknown }; name?: unknown } } | undefined;
      return str(owner?.user?.person?.email) ?? str(owner?.user?.name) ?? str(t.workspace_name);
    },
    revocation: { kind: 'rfc7009' },
    revocationEndsGrant: true,
    offlineAccess: NO_OFFLINE_PARAMS,
    issuerIdentification: UNKNOWN_ISSUER,
  },
  gitlab: {
    label: 'GitLab',
    endpoints: {
      authorizationUrl: 'https://gitlab.com/oauth/authorize',
      tokenUrl: 'https://gitlab.com/oauth/token',
      revocationUrl: 'https://gitlab.com/oauth/revoke',
      userinfoUrl: 'https://gitlab.com/api/v4/user',
    },
    clientAuth: 'basic',
    consoleUrl: 'https://gitlab.com/-/user_settings/applications',
    authorizationUrl: (r) =>
      withPkce(new GitLab('https://gitlab.com', r.clientId, r.clientSecret, r.redirectUri).createAuthorizationURL(r.state, r.scopes), r.codeVerifier),
    account: (p) => str(p?.email) ?? str(p?.username) ?? standardAccount(p),
    revocation: { kind: 'rfc7009' },
    revocationEndsGrant: true,
    // GitLab always issues a refresh token.
    offlineAccess: NO_OFFLINE_PARAMS,
    issuerIdentification: { issuer: 'https://gitlab.com', issParameterRequired: false },
  },
  atlassian: {
    label: 'Atlassian',
    endpoints: {
      authorizationUrl: 'https://auth.atlassian.com/authorize',
      tokenUrl: 'https://auth.atlassian.com/oauth/token',
      revocationUrl: null,
      userinfoUrl: 'https://api.atlassian.com/me',
    },
    clientAuth: 'post',
    consoleUrl: 'https://developer.atlassian.com/console/myapps/',
    authorizationUrl: (r) => withPkce(new Atlassian(r.clientId, secretOf(r), r.redirectUri).createAuthorizationURL(r.state, r.scopes), r.codeVerifier),
    account: standardAccount,
    // Atlassian's OAuth 2.0 (3LO) has no revocation endpoint: the person revokes the app on their Connected apps page.
    revocation: { kind: 'none', removeAccessAt: { where: 'the Connected apps page of the Atlassian account (id.atlassian.com)', url: 'https://id.atlassian.com/manage-profile/apps' } },
    revocationEndsGrant: false,
    offlineAccess: { scopes: ['offline_access'], params: { prompt: 'consent' } },
    issuerIdentification: UNKNOWN_ISSUER,
  },
  salesforce: {
    label: 'Salesforce',
    endpoints: {
      authorizationUrl: 'https://login.salesforce.com/services/oauth2/authorize',
      tokenUrl: 'https://login.salesforce.com/services/oauth2/token',
      revocationUrl: 'https://login.salesforce.com/services/oauth2/revoke',
      userinfoUrl: 'https://login.salesforce.com/services/oauth2/userinfo',
    },
    clientAuth: 'post',
    consoleUrl: 'https://login.salesforce.com/lightning/setup/NavigationMenus/home',
    authorizationUrl: (r) =>
      new Salesforce('login.salesforce.com', r.clientId, r.clientSecret, r.redirectUri).createAuthorizationURL(r.state, r.codeVerifier ?? '', r.scopes),
    account: standardAccount,
    revocation: { kind: 'rfc7009' },
    revocationEndsGrant: true,
    offlineAccess: { scopes: ['refresh_token'], params: {} },
    issuerIdentification: { issuer: 'https://login.salesforce.com', issParameterRequired: false },
  },
};

const custom: ProviderDefinition = {
  id: 'custom',
  label: 'Custom',
  endpoints: { authorizationUrl: '', tokenUrl: '', revocationUrl: null, userinfoUrl: null },
  clientAuth: 'basic',
  consoleUrl: null,
  // arctic's generic client, pointed at the app's own endpoints.
  authorizationUrl: genericUrl,
  account: standardAccount,
  // A Custom app without a revocation URL gets `none` from resolveClient*.
  revocation: { kind: 'rfc7009' },
  revocationEndsGrant: true,
  // OpenID Connect Core §11: offline_access is granted only with prompt=consent.
  offlineAccess: { scopes: [], params: { prompt: 'consent' }, onlyWithScope: 'offline_access' },
  issuerIdentification: UNKNOWN_ISSUER,
};

export function isOAuthProviderId(id: string): id is OAuthProviderId {
  return (OAUTH_PROVIDERS as readonly string[]).includes(id);
}

export function getProvider(id: OAuthProviderId): ProviderDefinition {
  return id === 'custom' ? custom : { id, ...definitions[id] };
}

export function listProviders(): ProviderDefinition[] {
  return OAUTH_PROVIDERS.map(getProvider);
}
