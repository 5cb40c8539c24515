// Talks to a provider's token and revocation endpoints with a hard timeout, and classifies their failures.
//
// arctic builds the authorization URLs and parses token responses (OAuth2Tokens), but its token
// requests use a bare fetch: no timeout (the refresh lease must outlive the request, so the request
// has to be bounded for real) and no access to Retry-After. So the POST itself is made here, in
// arctic's shape (form body, Accept: application/json, basic or post client authentication), over
// node:http(s) with keep-alive connection pools.
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { OAuth2Tokens } from 'arctic';

/** How long one token or revocation request may take; the refresh lease is held longer than this. */
export const TOKEN_REQUEST_TIMEOUT_MS = 10_000;

export interface ClientCredentials {
  clientId: string;
  clientSecret: string | null;
  /** RFC 6749 §2.3.1: HTTP Basic (default) or client_id/client_secret in the body. */
  clientAuth: 'basic' | 'post';
}

export type TokenFailure =
  | { kind: 'oauth'; status: number; code: string; description: string | null }
  | { kind: 'http'; status: number; retryAfterMs?: number }
  | { kind: 'network'; timedOut: boolean };

/** A token-endpoint failure; its message is built from the provider's words, never from what we sent. */
export class TokenEndpointError extends Error {
  constructor(public readonly failure: TokenFailure) {
    super(describeFailure(failure));
    this.name = 'TokenEndpointError';
  }
}

function describeFailure(failure: TokenFailure): string {
  switch (failure.kind) {
    case 'oauth':
      return failure.description ? `${failure.description} (${failure.code})` : failure.code;
    case 'http':
      return `the provider answered HTTP ${failure.status}`;
    case 'network':
      return failure.timedOut ? 'the provider did not answer in time' : 'the provider could not be reached';
  }
}

const PERMANENT_CODES = new Set(['invalid_grant', 'unauthorized_client', 'invalid_client', 'access_denied', 'invalid_scope', 'token_revoked', 'invalid_refresh_token', 'invalid_auth', 'token_expired']);
const TRANSIENT_CODES = new Set(['temporarily_unavailable', 'server_error', 'slow_down', 'ratelimited', 'rate_limited']);

/** Permanent (a person must reconnect) or transient (retry later), with the provider's words. */
export function classifyTokenFailure(failure: TokenFailure): { kind: 'permanent' | 'transient'; message: string; retryAfterMs?: number } {
  const message = describeFailure(failure);
  if (failure.kind === 'network') return { kind: 'transient', message };
  if (failure.kind === 'oauth') {
    if (TRANSIENT_CODES.has(failure.code) || failure.status >= 500 || failure.status === 429) return { kind: 'transient', message };
    // invalid_grant, unauthorized_client, revoked and any other OAuth error the provider states plainly.
    return { kind: PERMANENT_CODES.has(failure.code) || failure.status < 500 ? 'permanent' : 'transient', message };
  }
  if (failure.status === 408 || failure.status === 429 || failure.status >= 500) {
    return { kind: 'transient', message, retryAfterMs: failure.retryAfterMs };
  }
  return { kind: 'permanent', message };
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Removes values we sent (tokens, secrets) from text a provider might echo back. */
export function scrub(text: string, secrets: ReadonlyArray<string | null | undefined>): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out.slice(0, 300);
}

function basicCredentials(id: string, secret: string): string {
  // RFC 6749 §2.3.1: form-urlencode both before base64.
  return Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
}

interface FormRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

function formRequest(url: string, client: ClientCredentials, params: Record<string, string>): FormRequest {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
    'user-agent': 'latchkey',
  };
  if (client.clientSecret !== null && client.clientAuth === 'basic') {
    headers.authorization = `Basic ${basicCredentials(client.clientId, client.clientSecret)}`;
  } else {
    body.set('client_id', client.clientId);
    if (client.clientSecret !== null) body.set('client_secret', client.clientSecret);
  }
  return { method: 'POST', headers, body: body.toString() };
}

/** What a token or revocation endpoint answered (the whole body, already read). */
interface EndpointResponse {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  body: Buffer;
}

/** Answers larger than this are not token responses; the request is abandoned as a network failure. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

// Keep-alive pools: a refresh burst reuses connections to the provider instead of a handshake each.
// node:http(s) rather than fetch: measured here at about a quarter of fetch's CPU per request.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' }),
  https: new https.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' }),
};

/** fetch decoded compressed answers by itself; a provider compressing anyway still works. */
function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case '':
    case 'identity':
      return body;
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(body, { maxOutputLength: MAX_RESPONSE_BYTES });
    case 'deflate':
      return zlib.inflateSync(body, { maxOutputLength: MAX_RESPONSE_BYTES });
    case 'br':
      return zlib.brotliDecompressSync(body, { maxOutputLength: MAX_RESPONSE_BYTES });
    default:
      throw new Error('unsupported content encoding');
  }
}

/**
 * POSTs and reads the whole answer within `timeoutMs`. Like fetch with `redirect: 'error'`, a redirect
 * is a network failure; so is anything that is not an answer (refused, reset, TLS, timeout, oversized).
 */
function send(url: string, init: FormRequest, timeoutMs: number): Promise<EndpointResponse> {
  return new Promise<EndpointResponse>((resolve, reject) => {
    let settled = false;
    let request: http.ClientRequest | undefined;
    let timer: NodeJS.Timeout | undefined;
    const fail = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request?.destroy();
      reject(new TokenEndpointError({ kind: 'network', timedOut }));
    };
    const onResponse = (response: http.IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && status !== 304) {
        response.resume();
        fail(false);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) fail(false);
        else chunks.push(chunk);
      });
      response.on('error', () => fail(false));
      response.on('aborted', () => fail(false));
      response.on('end', () => {
        if (settled) return;
        let body: Buffer;
        try {
          body = decodeBody(Buffer.concat(chunks, size), response.headers['content-encoding']);
        } catch {
          fail(false);
          return;
        }
        settled = true;
        clearTimeout(timer);
        const headers = response.headers;
        const get = (name: string) => {
          const value = headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        };
        resolve({ status, ok: status >= 200 && status < 300, headers: { get }, body });
      });
    };
    const body = Buffer.from(init.body, 'utf8');
    try {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      if (!secure && target.protocol !== 'http:') throw new Error('not an http(s) URL');
      request = (secure ? https : http).request(
        target,
        { method: init.method, agent: secure ? agents.https : agents.http, headers: { ...init.headers, 'content-length': String(body.length) } },
        onResponse,
      );
    } catch {
      // A malformed URL or header: nothing was sent.
      fail(false);
      return;
    }
    timer = setTimeout(() => fail(true), timeoutMs);
    request.on('error', () => fail(false));
    request.end(body);
  });
}

function readJson(response: EndpointResponse): Record<string, unknown> | null {
  try {
    const data: unknown = JSON.parse(response.body.toString('utf8'));
    return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function oauthFailure(status: number, data: Record<string, unknown> | null, secrets: ReadonlyArray<string | null | undefined>): TokenFailure | null {
  const code = data && typeof data.error === 'string' ? data.error : null;
  if (!code) return null;
  const description = typeof data?.error_description === 'string' ? scrub(data.error_description, secrets) : null;
  return { kind: 'oauth', status, code: scrub(code, secrets).slice(0, 80), description };
}

/**
 * POSTs a grant to a token endpoint and returns arctic's OAuth2Tokens. Throws TokenEndpointError for
 * OAuth errors (also Slack-style `{ ok: false, error }` answers), other HTTP statuses and network failures.
 */
export async function requestTokens(
  tokenUrl: string,
  client: ClientCredentials,
  params: Record<string, string>,
  timeoutMs = TOKEN_REQUEST_TIMEOUT_MS,
): Promise<OAuth2Tokens> {
  const secrets = [client.clientSecret, params.refresh_token, params.code, params.code_verifier];
  const response = await send(tokenUrl, formRequest(tokenUrl, client, params), timeoutMs);
  const data = readJson(response);
  if (response.status === 200 && data) {
    if (data.ok === false || (typeof data.error === 'string' && typeof data.access_token !== 'string')) {
      throw new TokenEndpointError(oauthFailure(400, { error: data.error ?? 'invalid_grant', error_description: data.error_description }, secrets)!);
    }
    if (typeof data.access_token !== 'string' || data.access_token.length === 0) {
      throw new TokenEndpointError({ kind: 'http', status: 502 });
    }
    return new OAuth2Tokens(data);
  }
  const failure = oauthFailure(response.status, data, secrets);
  if (failure && response.status < 500 && response.status !== 429 && response.status !== 408) throw new TokenEndpointError(failure);
  throw new TokenEndpointError({
    kind: 'http',
    status: response.status === 200 ? 502 : response.status,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
  });
}

/** RFC 7009 revocation. Resolves when the provider accepted it (200, or 204 some providers send). */
export async function revokeAtEndpoint(
  revocationUrl: string,
  client: ClientCredentials,
  token: string,
  tokenTypeHint: 'refresh_token' | 'access_token',
  timeoutMs = TOKEN_REQUEST_TIMEOUT_MS,
): Promise<void> {
  const response = await send(revocationUrl, formRequest(revocationUrl, client, { token, token_type_hint: tokenTypeHint }), timeoutMs);
  if (response.ok) return;
  const data = readJson(response);
  const failure = oauthFailure(response.status, data, [token, client.clientSecret]);
  // RFC 7009 §2.2: an invalid (already revoked or expired) token still answers 200; treat its error alike.
  if (failure?.kind === 'oauth' && failure.code === 'invalid_token') return;
  throw new TokenEndpointError(failure ?? { kind: 'http', status: response.status, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) });
}

/** Fetches a userinfo-style JSON document with the access token; null when the provider has none or fails. */
export async function fetchProfile(url: string, accessToken: string, timeoutMs = TOKEN_REQUEST_TIMEOUT_MS): Promise<Record<string, unknown> | null> {
  try {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', 'user-agent': 'latchkey' },
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    const data: unknown = await response.json();
    return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
