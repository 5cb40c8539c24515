// Talks to a provider's token, revocation and userinfo endpoints through the egress policy, with a hard timeout, and classifies their failures.
//
// arctic builds the authorization URLs and parses token responses (OAuth2Tokens), but its token
// requests use a bare fetch: no timeout (the refresh lease must outlive the request, so the request
// has to be bounded for real), no access to Retry-After and no egress policy. So the POST itself is made
// here, in arctic's shape (form body, Accept: application/json, basic or post client authentication),
// through app/egress (keep-alive pools, every address judged after DNS resolution). Whatever the provider
// answers passes a Redactor of this request's own secrets before it becomes a message.
import { OAuth2Tokens } from 'arctic';
import { redactorFor, type Redactor } from '~/egress/redact';
import { egressRequest, isEgressRequestError, type EgressResponse } from '~/egress/request.server';

/** How long one token or revocation request may take; the refresh lease is held longer than this. */
export const TOKEN_REQUEST_TIMEOUT_MS = 10_000;

export interface ClientCredentials {
  clientId: string;
  clientSecret: string | null;
  /** RFC 6749 §2.3.1: HTTP Basic (default) or client_id/client_secret in the body. */
  clientAuth: 'basic' | 'post';
  /**
   * The organization's Network setting: may the provider's endpoints be on private addresses (Settings → Network).
   * The resolvers in apps.server.ts always set it; absent means refused (fail closed).
   */
  allowPrivateHosts?: boolean;
}

export type TokenFailure =
  | { kind: 'oauth'; status: number; code: string; description: string | null }
  | { kind: 'http'; status: number; retryAfterMs?: number }
  | { kind: 'network'; timedOut: boolean }
  /** The egress policy refused the address (private, loopback or link-local, and the organization does not allow those). */
  | { kind: 'refused'; host: string };

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
    case 'refused':
      return `Latchkey does not connect to ${failure.host}: it is a private address (loopback, private network or link-local), and this organization does not allow private hosts (Settings → Network)`;
  }
}

const PERMANENT_CODES = new Set(['invalid_grant', 'unauthorized_client', 'invalid_client', 'access_denied', 'invalid_scope', 'token_revoked', 'invalid_refresh_token', 'invalid_auth', 'token_expired']);
const TRANSIENT_CODES = new Set(['temporarily_unavailable', 'server_error', 'slow_down', 'ratelimited', 'rate_limited']);

/** Permanent (a person must reconnect) or transient (retry later), with the provider's words. */
export function classifyTokenFailure(failure: TokenFailure): { kind: 'permanent' | 'transient'; message: string; retryAfterMs?: number } {
  const message = describeFailure(failure);
  if (failure.kind === 'network') return { kind: 'transient', message };
  // A person must change the address or the Network setting; retrying changes nothing.
  if (failure.kind === 'refused') return { kind: 'permanent', message };
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

function basicCredentials(id: string, secret: string): string {
  // RFC 6749 §2.3.1: form-urlencode both before base64.
  return Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64');
}

interface FormRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

/** Body parameters whose values are secrets (everything else we send — grant_type, redirect_uri, scope, client_id — is not). */
const SECRET_PARAMS = ['refresh_token', 'code', 'code_verifier', 'client_secret', 'token', 'assertion', 'client_assertion', 'password'];

/** Everything this request carries that a provider must not be able to echo into Latchkey: the client secret and its Basic form, tokens, code, verifier. */
function redactorForRequest(client: ClientCredentials, params: Record<string, string>): Redactor {
  return redactorFor({
    secrets: [client.clientSecret, ...SECRET_PARAMS.map((name) => params[name])],
    basic: client.clientSecret ? [{ username: client.clientId, password: client.clientSecret }] : [],
  });
}

function formRequest(client: ClientCredentials, params: Record<string, string>): FormRequest {
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

/**
 * POSTs through the egress policy and reads the whole answer within `timeoutMs`. A redirect is a network
 * failure (like fetch with `redirect: 'error'`); so is anything that is not an answer (refused, reset, TLS,
 * timeout, oversized). An address the policy refuses is its own failure, so a person learns why.
 */
async function send(url: string, init: FormRequest, allowPrivateHosts: boolean, timeoutMs: number): Promise<EgressResponse> {
  let response: EgressResponse;
  try {
    response = await egressRequest(url, { method: init.method, headers: init.headers, body: init.body, allowPrivateHosts, timeoutMs });
  } catch (error) {
    if (isEgressRequestError(error) && error.kind === 'refused') throw new TokenEndpointError({ kind: 'refused', host: hostOf(url) });
    throw new TokenEndpointError({ kind: 'network', timedOut: isEgressRequestError(error) && error.kind === 'timeout' });
  }
  if (response.status >= 300 && response.status < 400 && response.status !== 304) throw new TokenEndpointError({ kind: 'network', timedOut: false });
  return response;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return 'the address';
  }
}

function readJson(response: EgressResponse): Record<string, unknown> | null {
  try {
    const data: unknown = JSON.parse(response.body.toString('utf8'));
    return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The provider's error in its own words, with everything this request sent removed (before any shortening). */
function oauthFailure(status: number, data: Record<string, unknown> | null, redactor: Redactor): TokenFailure | null {
  const code = data && typeof data.error === 'string' ? data.error : null;
  if (!code) return null;
  const description = typeof data?.error_description === 'string' ? redactor.redactShort(data.error_description, 300) : null;
  return { kind: 'oauth', status, code: redactor.redactShort(code, 80), description };
}

/**
 * POSTs a grant to a token endpoint and returns arctic's OAuth2Tokens. Throws TokenEndpointError for
 * OAuth errors (also Slack-style `{ ok: false, error }` answers), other HTTP statuses, network failures
 * and addresses the egress policy refuses.
 */
export async function requestTokens(
  tokenUrl: string,
  client: ClientCredentials,
  params: Record<string, string>,
  timeoutMs = TOKEN_REQUEST_TIMEOUT_MS,
): Promise<OAuth2Tokens> {
  const redactor = redactorForRequest(client, params);
  const response = await send(tokenUrl, formRequest(client, params), client.allowPrivateHosts ?? false, timeoutMs);
  const data = readJson(response);
  if (response.status === 200 && data) {
    if (data.ok === false || (typeof data.error === 'string' && typeof data.access_token !== 'string')) {
      throw new TokenEndpointError(oauthFailure(400, { error: data.error ?? 'invalid_grant', error_description: data.error_description }, redactor)!);
    }
    if (typeof data.access_token !== 'string' || data.access_token.length === 0) {
      throw new TokenEndpointError({ kind: 'http', status: 502 });
    }
    return new OAuth2Tokens(data);
  }
  const failure = oauthFailure(response.status, data, redactor);
  if (failure && response.status < 500 && response.status !== 429 && response.status !== 408) throw new TokenEndpointError(failure);
  throw new TokenEndpointError({
    kind: 'http',
    status: response.status === 200 ? 502 : response.status,
    retryAfterMs: parseRetryAfter(response.header('retry-after')),
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
  const params = { token, token_type_hint: tokenTypeHint };
  const response = await send(revocationUrl, formRequest(client, params), client.allowPrivateHosts ?? false, timeoutMs);
  if (response.ok) return;
  const failure = oauthFailure(response.status, readJson(response), redactorForRequest(client, params));
  // RFC 7009 §2.2: an invalid (already revoked or expired) token still answers 200; treat its error alike.
  if (failure?.kind === 'oauth' && failure.code === 'invalid_token') return;
  throw new TokenEndpointError(failure ?? { kind: 'http', status: response.status, retryAfterMs: parseRetryAfter(response.header('retry-after')) });
}

/**
 * Fetches a userinfo-style JSON document with the access token, through the egress policy; null when the
 * provider has none or fails (its answer is then never read, so nothing it says can carry the token on).
 */
export async function fetchProfile(
  url: string,
  accessToken: string,
  options: { allowPrivateHosts: boolean; timeoutMs?: number },
): Promise<Record<string, unknown> | null> {
  try {
    const response = await egressRequest(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      allowPrivateHosts: options.allowPrivateHosts,
      timeoutMs: options.timeoutMs ?? TOKEN_REQUEST_TIMEOUT_MS,
    });
    if (!response.ok) return null;
    const data: unknown = JSON.parse(response.body.toString('utf8'));
    return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
