// A strict, independent OpenID Connect provider for tests: the real `oidc-provider` package on 127.0.0.1.
//
// What it enforces, as a spec-following provider does (test/oauth-provider.ts is our own hand-written
// server; this one is somebody else's implementation, so it catches what we would not think to check):
// - authorization code with PKCE (S256) required for every client, single-use codes;
// - refresh tokens only for `offline_access`, and `offline_access` only with `prompt=consent`
//   (OpenID Connect Core §11; oidc-provider drops the scope otherwise and issues no refresh token);
// - RFC 9207: `iss` on every authorization response, and `authorization_response_iss_parameter_supported:
//   true` in its metadata (`/.well-known/openid-configuration`);
// - refresh-token rotation on every use (`rotateRefreshToken: true`) with reuse detection: presenting a
//   refresh token that was already rotated away makes oidc-provider destroy it and revoke the whole grant
//   (every access and refresh token of it, and the Grant itself: its built-in revokeGrantPolicy) and
//   answer `invalid_grant` / "grant request is invalid" — as Okta, Auth0 and Google do;
// - an optional reuse grace period (`reuseGraceSeconds`, like Okta's "grace period for token rotation"
//   or Auth0's "reuse interval"): oidc-provider has none, so the storage adapter below adds it — a rotated
//   refresh token replayed within the grace of its first use is found as if unused, and is rotated again;
//   after the grace, the replay is reuse and revokes the grant;
// - RFC 7009 revocation, userinfo, short configurable token lifetimes.
//
// API (everything a test needs; the oidc-provider instance is there for anything else):
//   const op = await startStrictOidcProvider({ accessTokenTtl: 20, reuseGraceSeconds: 0, redirectUris: [oauthRedirectUri()] });
//   op.issuer, op.discoveryUrl, op.authorizationUrl, op.tokenUrl, op.revocationUrl, op.userinfoUrl, op.jwksUrl
//   op.clientId, op.clientSecret            the one registered confidential client (client_secret_basic by default)
//   await op.issueTokens()                  a real code + PKCE + consent flow driven over HTTP without a browser:
//                                           { accessToken, refreshToken, expiresIn, scope, idToken }
//   op.loseNextTokenAnswers(n = 1)          the next n token requests are processed in full (a refresh token is
//                                           rotated), then the connection is destroyed before any byte of the
//                                           answer: the client sees a reset, as when it was killed mid-request;
//   op.loseNextTokenAnswers(n, { hold: true })  …or the answer is held back and the connection left open, so a
//                                           test can kill the client while it waits (the worker died mid-request)
//   op.tokenRequests                        every token request: { grantType, at, status, error?, lost }
//   op.revokedGrants                        grant ids revoked (reuse detection, or revocation of a refresh token)
//   await op.refreshTokenState(value)       'active' | 'consumed' (rotated away) | 'unknown' (revoked, expired or never issued)
//   op.options.accessTokenTtl = 5           lifetimes and the grace are read on every request, so a test can change them
//   await op.close()
// The consent page (GET /interaction/:uid) is a plain HTML page with Allow / Deny buttons for browser tests;
// `autoApprove: true` skips it. Login is implicit: the person is always `account`.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';

export interface StrictOidcProviderOptions {
  /** Access-token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Refresh-token lifetime in seconds (default 14 days). */
  refreshTokenTtl?: number;
  /** How long a rotated refresh token may still be used once more (default 0: any replay is reuse). */
  reuseGraceSeconds?: number;
  /** Delay before the token endpoint handles a request, to widen race windows (default 0). */
  tokenDelayMs?: number;
  /** Skip the consent page and approve at once (default false). */
  autoApprove?: boolean;
  /** Redirect URIs of the client besides the fixture's own (default: $PUBLIC_URL/oauth/callback). */
  redirectUris?: string[];
  /** Scopes the provider knows besides openid, offline_access, profile and email (default read, write). */
  extraScopes?: string[];
  /** RFC 6749 §2.3.1 client authentication (default client_secret_basic). */
  clientAuth?: 'client_secret_basic' | 'client_secret_post';
  clientId?: string;
  clientSecret?: string;
  /** The signed-in person: their sub and email (default ada@strict.test). */
  account?: string;
}

export interface StrictTokenRequest {
  grantType: string;
  at: number;
  /** HTTP status the provider answered with (for a lost answer: the one it would have sent). */
  status: number;
  /** The OAuth error code when it refused. */
  error?: string;
  /** The provider's detail of its refusal ("refresh token already used"): never sent to the client. */
  errorDetail?: string;
  /** The connection was destroyed before the answer reached the client. */
  lost: boolean;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  scope: string;
  idToken: string | null;
}

export interface StrictOidcProvider {
  readonly url: string;
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  readonly userinfoUrl: string;
  readonly jwksUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  readonly account: string;
  readonly tokenRequests: StrictTokenRequest[];
  readonly revokedGrants: string[];
  readonly options: { accessTokenTtl: number; refreshTokenTtl: number; reuseGraceSeconds: number; tokenDelayMs: number; autoApprove: boolean };
  readonly provider: Provider;
  issueTokens(opts?: { scope?: string }): Promise<IssuedTokens>;
  loseNextTokenAnswers(count?: number, opts?: { hold?: boolean }): void;
  refreshTokenState(value: string): Promise<'active' | 'consumed' | 'unknown'>;
  close(): Promise<void>;
}

const epoch = () => Math.floor(Date.now() / 1000);

/** Tokens that belong to a grant (revoked with it). */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

interface Stored {
  payload: AdapterPayload;
  expiresAt: number;
}

/**
 * oidc-provider's storage, in memory, per fixture (its own memory adapter is one store per process).
 * `find` is where the reuse grace lives: a refresh token consumed less than the grace ago is answered as
 * unconsumed, so oidc-provider rotates it again instead of treating the replay as reuse; `consume` keeps
 * the first consumption time so a replay within the grace does not extend it.
 */
function adapterFactory(options: { reuseGraceSeconds: number }) {
  const store = new Map<string, Stored>();
  const grants = new Map<string, Set<string>>();
  const uids = new Map<string, string>();
  const userCodes = new Map<string, string>();
  const live = (key: string) => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry;
  };

  return class StrictAdapter implements Adapter {
    constructor(private readonly model: string) {}

    private key(id: string) {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      const key = this.key(id);
      store.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
      if (GRANTABLE.has(this.model) && payload.grantId) {
        const members = grants.get(payload.grantId) ?? new Set<string>();
        members.add(key);
        grants.set(payload.grantId, members);
      }
      if (this.model === 'Session' && payload.uid) uids.set(payload.uid, id);
      if (payload.userCode) userCodes.set(payload.userCode, id);
    }

    async find(id: string) {
      const payload = live(this.key(id))?.payload;
      if (!payload) return undefined;
      if (this.model === 'RefreshToken' && typeof payload.consumed === 'number' && epoch() - payload.consumed < options.reuseGraceSeconds) {
        return { ...payload, consumed: undefined };
      }
      return payload;
    }

    async findByUid(uid: string) {
      const id = uids.get(uid);
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string) {
      const id = userCodes.get(userCode);
      return id ? this.find(id) : undefined;
    }

    async consume(id: string) {
      const entry = live(this.key(id));
      if (entry && typeof entry.payload.consumed !== 'number') entry.payload.consumed = epoch();
    }

    async destroy(id: string) {
      store.delete(this.key(id));
    }

    async revokeByGrantId(grantId: string) {
      for (const key of grants.get(grantId) ?? []) if (key.startsWith(`${this.model}:`)) store.delete(key);
    }
  };
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Header with which issueTokens (no browser) approves the consent page by itself. */
const APPROVE_HEADER = 'x-strict-provider-approve';

export async function startStrictOidcProvider(input: StrictOidcProviderOptions = {}): Promise<StrictOidcProvider> {
  const options = {
    accessTokenTtl: input.accessTokenTtl ?? 3600,
    refreshTokenTtl: input.refreshTokenTtl ?? 14 * 24 * 3600,
    reuseGraceSeconds: input.reuseGraceSeconds ?? 0,
    tokenDelayMs: input.tokenDelayMs ?? 0,
    autoApprove: input.autoApprove ?? false,
  };
  const clientId = input.clientId ?? 'strict-client';
  const clientSecret = input.clientSecret ?? `strict-secret-${crypto.randomBytes(12).toString('hex')}`;
  const account = input.account ?? 'ada@strict.test';
  const tokenRequests: StrictTokenRequest[] = [];
  const revokedGrants: string[] = [];
  /** How the next token answers are lost, in order: cut (connection destroyed) or held (never sent). */
  const losing: Array<'cut' | 'hold'> = [];

  // The issuer must be known before the provider exists: listen first, attach the handler after.
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ownRedirectUri = `${issuer}/cb`;
  const redirectUris = [...(input.redirectUris ?? [`${(process.env.PUBLIC_URL ?? 'http://localhost:3000').replace(/\/+$/, '')}/oauth/callback`]), ownRedirectUri];

  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'strict-1', use: 'sig', alg: 'RS256' };

  const configuration: Configuration = {
    adapter: adapterFactory(options),
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: input.clientAuth ?? 'client_secret_basic',
      },
    ],
    scopes: ['openid', 'offline_access', 'profile', 'email', ...(input.extraScopes ?? ['read', 'write'])],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: sub, email_verified: true, name: sub.split('@')[0] }),
    }),
    jwks: { keys: [signingKey as never] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: () => options.accessTokenTtl,
      RefreshToken: () => options.refreshTokenTtl,
      Grant: () => options.refreshTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };
  const provider = new Provider(issuer, configuration);
  provider.on('grant.revoked', (_ctx, grantId: string) => revokedGrants.push(grantId));

  // The outcome of each token request, recorded when the provider has decided (before the answer is sent).
  const pending = new WeakMap<object, StrictTokenRequest>();
  const record = (ctx: { oidc?: { params?: { grant_type?: unknown } }; req: object; status: number }, error?: { error?: string; error_detail?: string }) => {
    const entry = pending.get(ctx.req);
    if (!entry) return;
    entry.grantType = typeof ctx.oidc?.params?.grant_type === 'string' ? ctx.oidc.params.grant_type : '';
    entry.status = error ? ctx.status : 200;
    if (error?.error) entry.error = error.error;
    if (error?.error_detail) entry.errorDetail = error.error_detail;
  };
  provider.on('grant.success', (ctx) => record(ctx));
  provider.on('grant.error', (ctx, error) => record(ctx, error));
  provider.on('server_error', (ctx, error) => record(ctx, { error: 'server_error', error_detail: (error as Error).message }));

  const callback = provider.callback();

  const finishLogin = (req: http.IncomingMessage, res: http.ServerResponse) =>
    provider.interactionFinished(req, res, { login: { accountId: account } }, { mergeWithLastSubmission: false });

  const finishConsent = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: account, clientId: String(details.params.client_id) });
    if (!grant) throw new Error('the grant of this interaction is gone');
    // Everything asked for (already filtered by the provider: offline_access survives only with prompt=consent).
    if (typeof details.params.scope === 'string') grant.addOIDCScope(details.params.scope);
    const claims = (details.prompt.details as { missingOIDCClaims?: string[] }).missingOIDCClaims;
    if (claims?.length) grant.addOIDCClaims(claims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  };

  const interaction = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const [, , uid, action] = url.pathname.split('/');
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    // Login is implicit (the person is always `account`); consent is the page a person sees.
    if (details.prompt.name === 'login') return finishLogin(req, res);
    if (req.method === 'POST' && action === 'deny') {
      await readForm(req);
      return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user denied the request' }, { mergeWithLastSubmission: false });
    }
    if ((req.method === 'POST' && action === 'allow') || options.autoApprove || req.headers[APPROVE_HEADER] === '1') {
      if (req.method === 'POST') await readForm(req);
      return finishConsent(req, res);
    }
    const scope = typeof details.params.scope === 'string' ? details.params.scope : '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><html><head><title>Strict provider · Consent</title></head><body>
<h1>Strict provider</h1><p>Signed in as <strong>${escapeHtml(account)}</strong>.</p>
<p>${escapeHtml(String(details.params.client_id))} asks for: ${escapeHtml(scope || '(no scopes)')}</p>
<form method="post" action="/interaction/${escapeHtml(details.uid)}/allow"><button type="submit">Allow</button></form>
<form method="post" action="/interaction/${escapeHtml(details.uid)}/deny"><button type="submit">Deny</button></form>
</body></html>`);
  };

  handler = (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const fail = (error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(error.message);
    };
    if (url.pathname.startsWith('/interaction/')) {
      interaction(req, res, url).catch(fail);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      const entry: StrictTokenRequest = { grantType: '', at: Date.now(), status: 0, lost: false };
      tokenRequests.push(entry);
      pending.set(req, entry);
      const lose = losing.shift();
      if (lose) {
        entry.lost = true;
        // The provider finishes its work (rotation included); the answer never leaves.
        const cut = () => {
          if (lose === 'cut') req.socket.destroy();
          return res;
        };
        res.writeHead = cut as typeof res.writeHead;
        res.write = (() => (cut(), false)) as typeof res.write;
        res.end = cut as typeof res.end;
      }
      const run = () => Promise.resolve(callback(req, res)).catch(fail);
      if (options.tokenDelayMs > 0) setTimeout(run, options.tokenDelayMs);
      else run();
      return;
    }
    Promise.resolve(callback(req, res)).catch(fail);
  };

  const basic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
  const tokenUrl = `${issuer}/token`;

  const fixture: StrictOidcProvider = {
    url: issuer,
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl,
    revocationUrl: `${issuer}/token/revocation`,
    userinfoUrl: `${issuer}/me`,
    jwksUrl: `${issuer}/jwks`,
    clientId,
    clientSecret,
    redirectUris,
    account,
    tokenRequests,
    revokedGrants,
    options,
    provider,

    async issueTokens(opts = {}) {
      const verifier = crypto.randomBytes(32).toString('base64url');
      const state = crypto.randomBytes(12).toString('base64url');
      const authorize = new URL(fixture.authorizationUrl);
      authorize.search = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        redirect_uri: ownRedirectUri,
        scope: opts.scope ?? 'openid offline_access read',
        prompt: 'consent',
        state,
        code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      // Follow the redirects (authorize → login → resume → consent → resume → our redirect URI) with a cookie jar.
      const jar = new Map<string, string>();
      let next = authorize.toString();
      let code: string | null = null;
      for (let hop = 0; hop < 12 && !code; hop++) {
        const response = await fetch(next, {
          redirect: 'manual',
          headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), [APPROVE_HEADER]: '1' },
        });
        for (const cookie of response.headers.getSetCookie()) {
          const [pair] = cookie.split(';');
          const at = pair!.indexOf('=');
          jar.set(pair!.slice(0, at), pair!.slice(at + 1));
        }
        const location = response.headers.get('location');
        await response.body?.cancel();
        if (!location) throw new Error(`strict provider answered ${response.status} without a redirect`);
        const target = new URL(location, issuer);
        if (`${target.origin}${target.pathname}` === ownRedirectUri) {
          if (target.searchParams.get('state') !== state) throw new Error('state mismatch');
          code = target.searchParams.get('code');
          if (!code) throw new Error(`authorization failed: ${target.searchParams.get('error')} ${target.searchParams.get('error_description') ?? ''}`);
        } else next = target.toString();
      }
      if (!code) throw new Error('the authorization flow did not come back');
      const response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: ownRedirectUri, code_verifier: verifier }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      if (!response.ok || typeof body.refresh_token !== 'string') throw new Error(`code exchange failed: ${JSON.stringify(body)}`);
      return {
        accessToken: body.access_token as string,
        refreshToken: body.refresh_token,
        expiresIn: body.expires_in as number,
        scope: (body.scope as string | undefined) ?? '',
        idToken: (body.id_token as string | undefined) ?? null,
      };
    },

    loseNextTokenAnswers(count = 1, opts = {}) {
      for (let i = 0; i < count; i++) losing.push(opts.hold ? 'hold' : 'cut');
    },

    async refreshTokenState(value) {
      const stored = await provider.RefreshToken.adapter.find(value);
      if (!stored) return 'unknown';
      return typeof stored.consumed === 'number' ? 'consumed' : 'active';
    },

    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fixture;
}
