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
  /** The provider's own revoke API, for providers without an RFC 7009 endpoint. */
  revokeGrant?(client: { clientId: string; clientSecret: string | null }, accessToken: string, timeoutMs: number): Promise<void>;
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
    // GitHub has no RFC 7009 endpoint: deleting the grant revokes every token of the authorization.
    revokeGrant: async (client, accessToken, timeoutMs) => {
      const basic = Buffer.from(`${client.clientId}:${client.clientSecret ?? ''}`).toString('base64');
      const response = await fetch(`https://api.github.com/applications/${encodeURIComponent(client.clientId)}/grant`, {
        method: 'DELETE',
        headers: { authorization: `Basic ${basic}`, accept: 'application/vnd.github+json', 'content-type': 'application/json', 'user-agent': 'latchkey' },
        body: JSON.stringify({ access_token: accessToken }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      if (!response.ok && response.status !== 404) throw new Error(`GitHub answered HTTP ${response.status}`);
    },
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
    authorizationUrl: (r) => {
      const url = new Google(r.clientId, secretOf(r), r.redirectUri).createAuthorizationURL(r.state, r.codeVerifier ?? '', r.scopes);
      // Without these Google issues no refresh token (or only on the very first consent).
      url.searchParams.set('access_type', 'offline');
      url.searchParams.set('prompt', 'consent');
      return url;
    },
    account: standardAccount,
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
