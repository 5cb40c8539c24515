// A small, real OAuth 2.0 authorization server on 127.0.0.1 for tests: consent page, PKCE S256,
// single-use codes, rotating refresh tokens with reuse rejection, RFC 7009 revocation, userinfo,
// RFC 9207 `iss`, and scripted failures (invalid_grant, 429 with Retry-After, 5xx, slow answers).
//
// oauth2-mock-server covers the happy path but accepts any code twice, never rejects a reused
// refresh token and cannot revoke; the OAuth and worker tests need all three.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestOAuthProviderOptions {
  /** Reject authorization-code requests without a valid S256 code_verifier (default true). */
  requirePkce?: boolean;
  /** Send RFC 9207 `iss` on the redirect back (default true). */
  sendIss?: boolean;
  /** Access-token lifetime in seconds (default 3600). */
  accessTokenTtl?: number;
  /** Issue a new refresh token on every refresh (default true); false = the response carries none. */
  rotateRefreshTokens?: boolean;
  /** Delay before every token response, to widen race windows. */
  tokenDelayMs?: number;
  /** Redirect at once instead of showing the consent page (for tests without a browser). */
  autoApprove?: boolean;
  /** The account the consent page signs in as. */
  account?: string;
  clientId?: string;
  clientSecret?: string;
}

export interface ScriptedResponse {
  status: number;
  body?: Record<string, unknown> | string;
  headers?: Record<string, string>;
  /** Hold the answer this long (e.g. beyond the client's timeout). */
  delayMs?: number;
}

export interface TokenRequestRecord {
  grantType: string;
  at: number;
  clientAuth: 'basic' | 'post' | 'none';
  /** Whether the request sent a code_verifier (its value is never recorded). */
  hadVerifier: boolean;
}

interface RefreshRecord {
  family: string;
  scopes: string[];
  used: boolean;
  revoked: boolean;
}

export interface TestOAuthProvider {
  readonly url: string;
  readonly issuer: string;
  readonly authorizationUrl: string;
  readonly tokenUrl: string;
  readonly revocationUrl: string;
  readonly userinfoUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Every request to the token endpoint, in order. */
  readonly tokenRequests: TokenRequestRecord[];
  /** Every refresh token issued, in order (the last one is the live one). */
  readonly issuedRefreshTokens: string[];
  readonly issuedAccessTokens: string[];
  /** Tokens revoked through the revocation endpoint. */
  readonly revokedTokens: string[];
  account: string;
  options: Required<Omit<TestOAuthProviderOptions, 'account' | 'clientId' | 'clientSecret'>>;
  /** The next `count` token requests answer with this instead. */
  failNextTokenRequests(response: ScriptedResponse, count?: number): void;
  /**
   * The next `count` token requests fail with 400 invalid_grant whose error_description (and error_uri) repeats
   * the request it received: its Authorization header and its whole form body — as careless providers do.
   */
  echoNextTokenRequests(count?: number): void;
  /** As if the user revoked the app at the provider: every refresh token stops working. */
  revokeAll(): void;
  /** Tokens issued outside a browser flow (for pasted-token tests). */
  issueTokens(scopes?: string[]): { accessToken: string; refreshToken: string };
  close(): Promise<void>;
}

function randomToken(prefix: string): string {
  return `${prefix}_${crypto.randomBytes(18).toString('base64url')}`;
}

function s256(verifier: string): string {
  return crypto.createHash('sha256').update(verifier).digest('base64url');
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startTestOAuthProvider(input: TestOAuthProviderOptions = {}): Promise<TestOAuthProvider> {
  const options = {
    requirePkce: input.requirePkce ?? true,
    sendIss: input.sendIss ?? true,
    accessTokenTtl: input.accessTokenTtl ?? 3600,
    rotateRefreshTokens: input.rotateRefreshTokens ?? true,
    tokenDelayMs: input.tokenDelayMs ?? 0,
    autoApprove: input.autoApprove ?? false,
  };
  const clientId = input.clientId ?? 'test-client';
  const clientSecret = input.clientSecret ?? 'test-client-secret';
  const codes = new Map<string, { redirectUri: string; challenge?: string; method?: string; scopes: string[]; used: boolean; family: string }>();
  const refreshTokens = new Map<string, RefreshRecord>();
  const accessTokens = new Map<string, { family: string; revoked: boolean }>();
  const revokedFamilies = new Set<string>();
  const scripted: ScriptedResponse[] = [];
  let echoes = 0;
  const tokenRequests: TokenRequestRecord[] = [];
  const issuedRefreshTokens: string[] = [];
  const issuedAccessTokens: string[] = [];
  const revokedTokens: string[] = [];

  const revokeFamily = (family: string) => {
    revokedFamilies.add(family);
    for (const record of refreshTokens.values()) if (record.family === family) record.revoked = true;
    for (const record of accessTokens.values()) if (record.family === family) record.revoked = true;
  };

  const issue = (family: string, scopes: string[], withRefresh: boolean) => {
    const accessToken = randomToken('at');
    accessTokens.set(accessToken, { family, revoked: false });
    issuedAccessTokens.push(accessToken);
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: provider.options.accessTokenTtl,
      scope: scopes.join(' '),
    };
    if (withRefresh) {
      const refreshToken = randomToken('rt');
      refreshTokens.set(refreshToken, { family, scopes, used: false, revoked: false });
      issuedRefreshTokens.push(refreshToken);
      body.refresh_token = refreshToken;
    }
    return body;
  };

  const redirectBack = (res: http.ServerResponse, redirectUri: string, params: Record<string, string | undefined>) => {
    const target = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) target.searchParams.set(k, v);
    if (provider.options.sendIss) target.searchParams.set('iss', provider.issuer);
    res.writeHead(302, { location: target.toString() });
    res.end();
  };

  const approve = (res: http.ServerResponse, q: URLSearchParams) => {
    const code = randomToken('code');
    codes.set(code, {
      redirectUri: q.get('redirect_uri')!,
      challenge: q.get('code_challenge') ?? undefined,
      method: q.get('code_challenge_method') ?? undefined,
      scopes: (q.get('scope') ?? '').split(' ').filter(Boolean),
      used: false,
      family: crypto.randomUUID(),
    });
    redirectBack(res, q.get('redirect_uri')!, { code, state: q.get('state') ?? undefined });
  };

  const handleAuthorize = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const q = url.searchParams;
    if (q.get('client_id') !== clientId || !q.get('redirect_uri')) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('Unknown client or missing redirect_uri');
      return;
    }
    if (q.get('response_type') !== 'code') {
      redirectBack(res, q.get('redirect_uri')!, { error: 'unsupported_response_type', state: q.get('state') ?? undefined });
      return;
    }
    if (provider.options.requirePkce && (!q.get('code_challenge') || q.get('code_challenge_method') !== 'S256')) {
      redirectBack(res, q.get('redirect_uri')!, {
        error: 'invalid_request',
        error_description: 'PKCE with S256 is required',
        state: q.get('state') ?? undefined,
      });
      return;
    }
    if (options.autoApprove || url.pathname === '/authorize/approve') return approve(res, q);
    if (url.pathname === '/authorize/deny') {
      redirectBack(res, q.get('redirect_uri')!, {
        error: 'access_denied',
        error_description: 'The user denied the request',
        state: q.get('state') ?? undefined,
      });
      return;
    }
    const hidden = [...q.entries()]
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
      .join('');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>Test provider · Sign in</title></head><body>
<h1>Test provider</h1><p>Signed in as <strong>${escapeHtml(provider.account)}</strong>.</p>
<p>Latchkey asks for: ${escapeHtml(q.get('scope') ?? '(no scopes)')}</p>
<form method="get" action="/authorize/approve">${hidden}<button type="submit">Allow</button></form>
<form method="get" action="/authorize/deny">${hidden}<button type="submit">Deny</button></form>
</body></html>`);
  };

  const authenticateClient = (req: http.IncomingMessage, body: URLSearchParams): 'basic' | 'post' | 'none' | null => {
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const [id, secret] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      return decodeURIComponent(id ?? '') === clientId && decodeURIComponent(secret ?? '') === clientSecret ? 'basic' : null;
    }
    if (body.get('client_secret') !== null) {
      return body.get('client_id') === clientId && body.get('client_secret') === clientSecret ? 'post' : null;
    }
    return body.get('client_id') === clientId ? 'none' : null;
  };

  const handleToken = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const raw = await readBody(req);
    const body = new URLSearchParams(raw);
    const grantType = body.get('grant_type') ?? '';
    const clientAuth = authenticateClient(req, body);
    tokenRequests.push({ grantType, at: Date.now(), clientAuth: clientAuth ?? 'none', hadVerifier: body.has('code_verifier') });
    const script = scripted.shift();
    const delay = script?.delayMs ?? provider.options.tokenDelayMs;
    if (delay > 0) await sleep(delay);
    if (echoes > 0) {
      echoes -= 1;
      return sendJson(res, 400, {
        error: 'invalid_grant',
        error_description: `Rejected request with Authorization: ${req.headers.authorization ?? '(none)'} and body ${raw}`,
        error_uri: `${provider.url}/errors?authorization=${encodeURIComponent(req.headers.authorization ?? '')}&${raw}`,
      });
    }
    if (script) {
      sendJson(res, script.status, script.body ?? '', script.headers);
      return;
    }
    if (!clientAuth) return sendJson(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });

    if (grantType === 'authorization_code') {
      const code = body.get('code') ?? '';
      const record = codes.get(code);
      if (!record) return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Unknown authorization code' });
      if (record.used) {
        // RFC 6749 §4.1.2: a reused code revokes what it issued.
        revokeFamily(record.family);
        return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Authorization code already used' });
      }
      record.used = true;
      if (body.get('redirect_uri') !== record.redirectUri) {
        return sendJson(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri does not match' });
      }
      const verifier = body.get('code_verifier');
      if (record.challenge || provider.options.requirePkce) {
        if (!verifier || !record.challenge || s256(verifier) !== record.challenge) {
          return sendJson(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
        }
      }
      return sendJson(res, 200, issue(record.family, record.scopes, true));
    }
    if (grantType === 'refresh_token') {
      const token = body.get('refresh_token') ?? '';
      const record = refreshTokens.get(token);
      if (!record || record.revoked || revokedFamilies.has(record.family)) {
        return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
      }
      if (record.used) {
        revokeFamily(record.family);
        return sendJson(res, 400, { error: 'invalid_grant', error_description: 'Refresh token reuse detected' });
      }
      if (provider.options.rotateRefreshTokens) record.used = true;
      return sendJson(res, 200, issue(record.family, record.scopes, provider.options.rotateRefreshTokens));
    }
    return sendJson(res, 400, { error: 'unsupported_grant_type' });
  };

  const handleRevoke = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const body = new URLSearchParams(await readBody(req));
    if (!authenticateClient(req, body)) return sendJson(res, 401, { error: 'invalid_client' });
    const token = body.get('token') ?? '';
    revokedTokens.push(token);
    const family = refreshTokens.get(token)?.family ?? accessTokens.get(token)?.family;
    if (family) revokeFamily(family);
    res.writeHead(200);
    res.end();
  };

  const handleUserinfo = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    const record = accessTokens.get(token);
    if (!record || record.revoked) return sendJson(res, 401, { error: 'invalid_token' });
    sendJson(res, 200, { sub: `sub-${provider.account}`, email: provider.account, name: provider.account.split('@')[0] });
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    const done = (p: Promise<void> | void) =>
      Promise.resolve(p).catch((error: Error) => {
        if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: error.message });
      });
    if (route.startsWith('GET /authorize')) return done(handleAuthorize(req, res, url));
    if (route === 'POST /token') return done(handleToken(req, res));
    if (route === 'POST /revoke') return done(handleRevoke(req, res));
    if (route === 'GET /userinfo') return done(handleUserinfo(req, res));
    sendJson(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider: TestOAuthProvider = {
    url: base,
    issuer: base,
    authorizationUrl: `${base}/authorize`,
    tokenUrl: `${base}/token`,
    revocationUrl: `${base}/revoke`,
    userinfoUrl: `${base}/userinfo`,
    clientId,
    clientSecret,
    tokenRequests,
    issuedRefreshTokens,
    issuedAccessTokens,
    revokedTokens,
    account: input.account ?? 'ada@provider.test',
    options,
    failNextTokenRequests(response, count = 1) {
      for (let i = 0; i < count; i++) scripted.push(response);
    },
    echoNextTokenRequests(count = 1) {
      echoes += count;
    },
    revokeAll() {
      for (const record of refreshTokens.values()) revokeFamily(record.family);
    },
    issueTokens(scopes = ['read']) {
      const body = issue(crypto.randomUUID(), scopes, true);
      return { accessToken: body.access_token as string, refreshToken: body.refresh_token as string };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return provider;
}

/** The fields of a Custom OAuth app for this provider, as the OAuth apps form and createOAuthApp take them. */
export function customAppFields(provider: TestOAuthProvider, name: string, clientSecret: string = provider.clientSecret) {
  return {
    provider: 'custom' as const,
    name,
    clientId: provider.clientId,
    clientSecret,
    authorizationUrl: provider.authorizationUrl,
    tokenUrl: provider.tokenUrl,
    revocationUrl: provider.revocationUrl,
    userinfoUrl: provider.userinfoUrl,
    scopes: 'read',
    clientAuth: 'basic' as const,
  };
}
