// The credential-injecting proxy: /api/v1/proxy/:credentialName/* forwarded, streaming both ways, to the credential's own host only.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { LRUCache } from 'lru-cache';
import { authenticateAgent, bearerToken, TOKEN_PREFIX, type AuthenticatedAgent } from '~/agents/agents.server';
import { onInvalidation } from '~/cluster/invalidation.server';
import { registerStatefulModule } from '~/cluster/stateful-modules.server';
import { getEnv } from '~/config/env.server';
import { getService, injectionFor, type Injection } from '~/credentials/catalog';
import { parseCredentialSettings, type CredentialSettings } from '~/credentials/settings';
import { Redactor } from '~/egress/redact';
import { upstreamTimeouts, type UpstreamTimeouts } from '~/egress/timeouts';
import { logger } from '~/logger.server';
import { accessTokenForUse } from '~/oauth/refresh.server';
import { recordCredentialUse } from '~/usage/usage.server';
import { prisma } from '~/db.server';
import { openSecret, VaultError } from '~/vault/vault.server';
import { assertUsable, credentialForAgent, type AgentCredential } from './credentials.server';
import { EgressRefusedError, egressAgentFor } from '~/egress/egress.server';
import { ApiError, writeApiError } from './errors.server';

export interface ProxyOptions {
  /** Largest request body forwarded (declared or streamed); over it the agent gets 413. */
  maxBodyBytes?: number;
  /** Time to the upstream's response headers (default UPSTREAM_TIMEOUT_MS; a credential's upstreamTimeoutMs overrides it). */
  headersTimeoutMs?: number;
  /** The same for the catalog's AI services (default UPSTREAM_AI_TIMEOUT_MS). */
  longRunningHeadersTimeoutMs?: number;
  /** Longest silence on an open upstream response, a quiet SSE stream included (default UPSTREAM_IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number;
  /**
   * OAuth requests whose body is at most this size are buffered, so that after an upstream 401 the proxy can
   * force one token refresh and replay the request once. Larger or chunked bodies stream and are never replayed.
   */
  replayableBodyBytes?: number;
  /** Refresh an OAuth token first when it expires within this window. */
  oauthLeadMs?: number;
}

const DEFAULTS = {
  maxBodyBytes: 10 * 1024 * 1024,
  replayableBodyBytes: 256 * 1024,
  oauthLeadMs: 60_000,
};

/** The options with the environment's upstream time limits (read once, when the proxy is created). */
function resolveOptions(opts: ProxyOptions): Required<ProxyOptions> {
  const env = getEnv();
  return {
    ...DEFAULTS,
    headersTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    longRunningHeadersTimeoutMs: env.UPSTREAM_AI_TIMEOUT_MS,
    idleTimeoutMs: env.UPSTREAM_IDLE_TIMEOUT_MS,
    ...opts,
  };
}

/** Never forwarded upstream: hop-by-hop headers, the agent's own credentials, and anything that could redirect or spoof origin. */
const DROPPED_REQUEST_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
  'cookie',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
  'x-original-url',
  'x-rewrite-url',
]);

/**
 * Never passed back to the agent: hop-by-hop headers, and cookies. The proxy answers on Latchkey's own origin,
 * so a cookie the service sets would land on Latchkey's domain (and next to the portal's session cookie).
 */
const DROPPED_RESPONSE_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'set-cookie',
  'set-cookie2',
]);

// Credential rows are cached (and so the same object) for about a second: parse their settings once per row, not per request.
const parsedSettings = new WeakMap<AgentCredential, CredentialSettings>();

function settingsOf(credential: AgentCredential): CredentialSettings {
  let settings = parsedSettings.get(credential);
  if (!settings) {
    settings = parseCredentialSettings(credential.settings);
    parsedSettings.set(credential, settings);
  }
  return settings;
}

const baseUrls = new WeakMap<AgentCredential, URL>();

/** The credential's base URL (parsed once per cached row; callers never modify it). */
function baseUrlOf(credential: AgentCredential): URL {
  let url = baseUrls.get(credential);
  if (!url) {
    const base = settingsOf(credential).baseUrl ?? getService(credential.service)?.apiBaseUrl;
    if (!base) {
      throw new ApiError(
        409,
        'no_base_url',
        `"${credential.name}" has no base URL to forward to: a member who can edit it sets one in Latchkey (the credential's page → Edit → Base URL), for example https://api.example.com/v1`,
      );
    }
    url = new URL(base);
    baseUrls.set(credential, url);
  }
  return url;
}

/** Files are never injected: checked before anything else about the request (base URL included). */
function assertNotFile(credential: AgentCredential): void {
  if (credential.type === 'file') {
    throw new ApiError(
      409,
      'credential_not_injectable',
      `"${credential.name}" is a credential file: files are not sent through the proxy. A person downloads it from its page in Latchkey; schemes that sign requests with a file (such as a service account) will use it without handing it out.`,
    );
  }
}

function timeoutsOf(credential: AgentCredential, options: Required<ProxyOptions>): UpstreamTimeouts {
  return upstreamTimeouts(credential.service, settingsOf(credential), {
    headersMs: options.headersTimeoutMs,
    longRunningHeadersMs: options.longRunningHeadersTimeoutMs,
    idleMs: options.idleTimeoutMs,
  });
}

function injectionOf(credential: AgentCredential): Injection {
  assertNotFile(credential);
  const custom = getService(credential.service)?.injectionConfigurable ? settingsOf(credential).injection : undefined;
  const injection = custom ?? injectionFor(credential.service, credential.type);
  if (injection.kind === 'none') throw new ApiError(409, 'credential_not_injectable', `"${credential.name}" cannot be injected into an HTTP request`);
  return injection;
}

const PROXY_PATH = /^(?:.*?)\/proxy\/[^/?]+(\/[^?]*)?(\?.*)?$/;

/**
 * The upstream URL: the base URL's origin and path + the rest of the agent's path + its query.
 * Whatever the agent sends ("//evil", "@evil", "..", encoded slashes), the result stays on the base origin and path.
 */
export function upstreamUrl(base: URL, originalUrl: string): URL {
  const match = PROXY_PATH.exec(originalUrl);
  if (!match) throw new ApiError(400, 'bad_path', 'The proxy path is malformed');
  const rest = match[1] ?? '';
  const basePath = base.pathname.replace(/\/+$/, '');
  const url = new URL(base.origin);
  url.pathname = basePath + rest;
  url.search = match[2] ?? '';
  const underBase = basePath === '' || url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
  if (url.origin !== base.origin || !underBase) throw new ApiError(400, 'bad_path', 'The path leaves the credential’s base URL');
  return url;
}

/** Sealed secret rows (ciphertext + key version), never plaintext: cached per credential version for a few seconds. */
const sealedCache = new LRUCache<string, { ciphertext: Uint8Array; keyVersion: number }>({ max: 5_000, ttl: 5_000 });
registerStatefulModule('api/sealed-row-cache', import.meta.url);
// A credential changed or removed, or its organization's keys rotated: no sealed row outlives the change.
onInvalidation('credentials', () => sealedCache.clear());
onInvalidation('data-keys', () => sealedCache.clear());

async function sealedRow(credential: AgentCredential, field: string, key: string) {
  const cached = sealedCache.get(key);
  if (cached) return cached;
  const row = await prisma.credentialSecret.findFirst({
    where: { credentialId: credential.id, field, credential: { organizationId: credential.organizationId } },
    select: { ciphertext: true, keyVersion: true },
  });
  if (!row) throw new VaultError('not_found', 'Secret not found');
  sealedCache.set(key, row);
  return row;
}

/**
 * A secret field of the credential, opened for this request only. The sealed row is cached by credential
 * version (a new value is a new version); the vault keeps the unwrapped organization key, so opening is one
 * AES-GCM decryption and the plaintext never outlives the request.
 */
async function secretField(credential: AgentCredential, field: string): Promise<string> {
  const key = `${credential.id}:${credential.version}:${field}`;
  const location = { organizationId: credential.organizationId, credentialId: credential.id, field };
  let bytes: Buffer;
  try {
    bytes = await openSecret({ ...location, ...(await sealedRow(credential, field, key)) });
  } catch (error) {
    if (!sealedCache.has(key)) throw error;
    // A cached row re-encrypted under a new organization key since: read it again once.
    sealedCache.delete(key);
    bytes = await openSecret({ ...location, ...(await sealedRow(credential, field, key)) });
  }
  const value = bytes.toString('utf8');
  bytes.fill(0);
  return value;
}

interface Injected {
  url: URL;
  headers: http.OutgoingHttpHeaders;
  /** Values that must never travel back to the agent, in any encoding (checked on response headers). */
  secrets: Redactor;
}

/** The injected header's name in lower case (the agent's headers arrive lower-cased from node:http). */
function injectedHeaderName(injection: Injection): string | null {
  if (injection.kind === 'header') return injection.header.toLowerCase();
  if (injection.kind === 'basic') return 'authorization';
  return null;
}

async function inject(
  credential: AgentCredential,
  injection: Injection,
  target: URL,
  headers: http.OutgoingHttpHeaders,
  options: { leadMs: number; forceRefresh?: boolean },
): Promise<Injected> {
  let url = target;
  const out = { ...headers };
  // The credential wins over any header of the same name the agent sent, whatever its case.
  const name = injectedHeaderName(injection) ?? (credential.type === 'oauth' ? 'authorization' : null);
  if (name) for (const key of Object.keys(out)) if (key.toLowerCase() === name) delete out[key];
  let value: string;
  if (credential.type === 'oauth') {
    value = await accessTokenForUse(credential.id, { leadMs: options.leadMs, forceRefresh: options.forceRefresh });
  } else if (injection.kind === 'basic') {
    const username = credential.username ?? (await secretField(credential, injection.usernameField ?? 'username'));
    const password = await secretField(credential, injection.passwordField ?? 'password');
    out.authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
    return { url, headers: out, secrets: new Redactor({ basic: [{ username, password }] }) };
  } else {
    value = await secretField(credential, ('field' in injection && injection.field) || 'key');
  }
  if (injection.kind === 'query') {
    url = new URL(target);
    url.searchParams.delete(injection.param);
    url.searchParams.set(injection.param, value);
  } else {
    const header = injection.kind === 'header' ? injection.header.toLowerCase() : 'authorization';
    const scheme = injection.kind === 'header' ? injection.scheme : 'Bearer';
    out[header] = scheme ? `${scheme} ${value}` : value;
  }
  return { url, headers: out, secrets: new Redactor({ secrets: [value] }) };
}

/** Headers the agent's Connection header names are hop-by-hop too; the usual values name none worth a set. */
function connectionListed(connection: string | undefined): Set<string> | null {
  if (connection === undefined || /^\s*(?:keep-alive|close)\s*$/i.test(connection)) return null;
  return new Set(
    connection
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * True when a header value carries the agent's token: as it is, percent-encoded, or inside an HTTP Basic
 * pair (SDKs put an "API key" wherever their service expects one: x-api-key, api-key, a Basic password …).
 */
function carriesToken(value: string, token: string): boolean {
  if (value.includes(token) || value.includes(encodeURIComponent(token))) return true;
  const basic = /^\s*Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(value);
  return basic !== null && Buffer.from(basic[1]!, 'base64').toString('utf8').includes(token);
}

/** The agent's headers that go upstream: none that is hop-by-hop, spoofs an origin, or carries the agent's own token. */
function forwardedHeaders(req: IncomingMessage, agentToken: string): http.OutgoingHttpHeaders {
  const listed = connectionListed(req.headers.connection);
  const out: http.OutgoingHttpHeaders = {};
  const incoming = req.headers;
  for (const name in incoming) {
    const value = incoming[name];
    if (value === undefined || DROPPED_REQUEST_HEADERS.has(name) || listed?.has(name)) continue;
    if ((Array.isArray(value) ? value : [value]).some((v) => carriesToken(v, agentToken))) continue;
    out[name] = value;
  }
  return out;
}

/** The agent's token never reaches the service in the query either (an SDK may send its "key" as ?key=…). */
function withoutTokenInQuery(url: URL, agentToken: string): URL {
  if (!url.search.includes(agentToken) && !url.search.includes(encodeURIComponent(agentToken))) return url;
  const clean = new URL(url);
  for (const [name, value] of url.searchParams) if (value.includes(agentToken)) clean.searchParams.delete(name);
  return clean;
}

class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
}
class UpstreamTimeoutError extends Error {
  override name = 'UpstreamTimeoutError';
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > max) {
        req.pause();
        return reject(new PayloadTooLargeError());
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Sends one upstream request; the body is a buffer, null, or the agent's request streamed with a byte limit. */
function send(
  req: IncomingMessage,
  injected: Injected,
  body: Buffer | null | 'stream',
  transport: http.Agent,
  options: Required<ProxyOptions>,
  limits: UpstreamTimeouts,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = Buffer.isBuffer(body) ? { ...injected.headers, 'content-length': String(body.length) } : injected.headers;
    const client = injected.url.protocol === 'https:' ? https : http;
    const upstream = client.request(injected.url, { method: req.method, headers, agent: transport });
    // Until the headers arrive only the time-to-headers limit applies (a long model call is silent all that time);
    // from then on, the idle limit.
    const headersTimer = setTimeout(() => upstream.destroy(new UpstreamTimeoutError()), limits.headersMs);
    upstream.on('response', (response) => {
      clearTimeout(headersTimer);
      upstream.setTimeout(limits.idleMs, () => upstream.destroy(new UpstreamTimeoutError()));
      resolve(response);
    });
    upstream.on('error', (error) => {
      clearTimeout(headersTimer);
      reject(error);
    });
    // The agent went away: stop the upstream request too.
    req.on('aborted', () => upstream.destroy());
    if (body !== 'stream') {
      upstream.end(body ?? undefined);
      return;
    }
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > options.maxBodyBytes) {
        req.unpipe();
        req.pause();
        upstream.destroy(new PayloadTooLargeError());
        return;
      }
      if (!upstream.write(chunk)) req.pause();
    });
    upstream.on('drain', () => req.resume());
    req.on('end', () => upstream.end());
  });
}

function proxyPrefix(originalUrl: string): string {
  const match = /^(.*?\/proxy\/[^/?]+)/.exec(originalUrl);
  return match?.[1] ?? '';
}

function responseHeaders(
  originalUrl: string,
  upstream: http.IncomingMessage,
  target: URL,
  base: URL,
  secrets: Redactor,
): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined || DROPPED_RESPONSE_HEADERS.has(name)) continue;
    const text = Array.isArray(value) ? value.join('\n') : value;
    // An upstream that echoes the injected secret in a header (in any encoding) must not hand it to the agent.
    if (secrets.matches(text)) continue;
    out[name] = value;
  }
  const status = upstream.statusCode ?? 502;
  const location = upstream.headers.location;
  if (status >= 300 && status < 400 && location) {
    let next: URL;
    try {
      next = new URL(location, target);
    } catch {
      throw new ApiError(502, 'redirect_refused', 'The service answered with an invalid redirect');
    }
    if (next.origin !== base.origin) {
      throw new ApiError(502, 'redirect_refused', `The service redirected to another host (${next.host}); Latchkey does not follow redirects off ${base.host}`);
    }
    // Same host: point the agent back through the proxy when the target stays under the base path.
    const basePath = base.pathname.replace(/\/+$/, '');
    if (basePath === '' || next.pathname.startsWith(`${basePath}/`) || next.pathname === basePath) {
      out.location = `${proxyPrefix(originalUrl)}${next.pathname.slice(basePath.length)}${next.search}`;
    } else {
      delete out.location;
    }
  }
  return out;
}

function relay(res: ServerResponse, upstream: http.IncomingMessage, headers: http.OutgoingHttpHeaders): void {
  res.writeHead(upstream.statusCode ?? 502, upstream.statusMessage, headers);
  // Streams (server-sent events, chunked bodies): send the headers now, then every chunk as it comes. A body of
  // known length goes out with the headers in one write instead (a separate header packet costs a round trip).
  if (upstream.headers['content-length'] === undefined) res.flushHeaders();
  upstream.on('error', () => res.destroy());
  res.on('close', () => {
    if (!upstream.complete) upstream.destroy();
  });
  upstream.pipe(res);
}

function mapError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof EgressRefusedError || (error as Error)?.name === 'EgressRefusedError') {
    return new ApiError(403, 'egress_refused', `Latchkey refused to connect: ${(error as Error).message}`);
  }
  if (error instanceof PayloadTooLargeError) return new ApiError(413, 'payload_too_large', 'The request body is over the proxy limit');
  if (error instanceof UpstreamTimeoutError) return new ApiError(504, 'upstream_timeout', 'The service did not answer in time');
  const kind = (error as { kind?: string; name?: string })?.kind;
  if ((error as Error)?.name === 'RefreshError') {
    return kind === 'permanent'
      ? new ApiError(409, 'credential_needs_attention', 'The OAuth connection could not be refreshed and needs attention')
      : new ApiError(502, 'token_unavailable', 'A fresh OAuth access token could not be obtained; try again shortly');
  }
  if ((error as Error)?.name === 'VaultError') return new ApiError(502, 'internal_error', 'The credential’s value could not be read');
  return new ApiError(502, 'upstream_unreachable', 'The service could not be reached');
}

/** What the proxy needs to know about a request besides the request itself. */
export interface ProxyRoute {
  /** The credential name, already percent-decoded. */
  credentialName: string;
  /** The path and query as the agent sent them (…/proxy/<name>/<rest>?<query>). */
  originalUrl: string;
  requestId?: string;
}

type ProxyCore = (req: IncomingMessage, res: ServerResponse, route: ProxyRoute) => Promise<void>;

/** Headers in which SDKs send their "API key": an agent that hands its SDK the lk_ token as the key authenticates with it. */
const SDK_KEY_HEADERS = ['x-api-key', 'api-key', 'x-goog-api-key'] as const;

/**
 * The agent's credentials as an Authorization value: Proxy-Authorization or Authorization (Bearer/token lk_…),
 * else an lk_ token in an SDK's key header (the Anthropic SDK sends only x-api-key, Azure OpenAI api-key).
 * Whichever header carried it, forwardedHeaders drops it, so it never reaches the service.
 */
export function agentAuthorization(headers: IncomingMessage['headers']): string | undefined {
  for (const value of [headers['proxy-authorization'], headers.authorization]) {
    if (bearerToken(value)) return value;
  }
  for (const name of SDK_KEY_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string' && value.trim().startsWith(TOKEN_PREFIX)) return `Bearer ${value.trim()}`;
  }
  return headers['proxy-authorization'] ?? headers.authorization;
}

function proxyCore(opts: ProxyOptions = {}): ProxyCore {
  const options = resolveOptions(opts);
  return async (req, res, route) => {
    let agent: AuthenticatedAgent | null = null;
    let credential: AgentCredential | undefined;
    try {
      const authorization = agentAuthorization(req.headers);
      agent = await authenticateAgent(authorization);
      const agentToken = bearerToken(authorization);
      if (!agent || !agentToken) throw new ApiError(401, 'unauthorized', 'A valid agent token is required (Authorization: Bearer lk_…, or an SDK’s x-api-key / api-key header)');
      credential = await credentialForAgent(agent, route.credentialName);
      assertNotFile(credential);
      assertUsable(credential);
      const base = baseUrlOf(credential);
      const injection = injectionOf(credential);
      const target = withoutTokenInQuery(upstreamUrl(base, route.originalUrl), agentToken);
      const transport = egressAgentFor(target, agent.allowPrivateHosts);
      const limits = timeoutsOf(credential, options);

      const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
      if (declared !== undefined && declared > options.maxBodyBytes) throw new PayloadTooLargeError();
      const chunked = /\bchunked\b/i.test(req.headers['transfer-encoding'] ?? '');
      const hasBody = chunked || (declared !== undefined && declared > 0);
      const replayable = credential.type === 'oauth' && (!hasBody || (!chunked && declared !== undefined && declared <= options.replayableBodyBytes));
      const body: Buffer | null | 'stream' = !hasBody ? null : replayable ? await readBody(req, options.replayableBodyBytes) : 'stream';

      const headers = forwardedHeaders(req, agentToken);
      let injected = await inject(credential, injection, target, headers, { leadMs: options.oauthLeadMs });
      let upstream = await send(req, injected, body, transport, options, limits);
      if (upstream.statusCode === 401 && credential.type === 'oauth' && replayable) {
        // One forced refresh and one retry: the provider may have revoked the token before its expiry.
        upstream.resume();
        injected = await inject(credential, injection, target, headers, { leadMs: options.oauthLeadMs, forceRefresh: true });
        upstream = await send(req, injected, body, transport, options, limits);
      }
      // The request's origin goes with the use into the per-window audit row (ADR 005).
      void recordCredentialUse(credential, agent, { ip: req.socket.remoteAddress ?? null }).catch((error: unknown) =>
        logger.warn({ err: { message: (error as Error).message }, credentialId: credential!.id }, 'recording a credential use failed'),
      );
      let outHeaders: http.OutgoingHttpHeaders;
      try {
        outHeaders = responseHeaders(route.originalUrl, upstream, target, base, injected.secrets);
      } catch (error) {
        upstream.resume();
        throw error;
      }
      relay(res, upstream, outHeaders);
    } catch (error) {
      const apiError = mapError(error);
      if (apiError.status >= 500 && !(error instanceof ApiError)) {
        // Only the error's class and code: messages from sockets or providers could echo a URL with a query key.
        logger.warn(
          { requestId: route.requestId, credentialId: credential?.id, agentId: agent?.id, errorName: (error as Error)?.name, errorCode: (error as { code?: string })?.code },
          'proxy request failed',
        );
      }
      if (!req.complete) {
        // Do not leave the agent's body half-read on a keep-alive socket.
        res.setHeader('Connection', 'close');
        req.resume();
      }
      writeApiError(res, apiError.status, apiError.code, apiError.message);
    }
  };
}

/** The Express handler for ALL /proxy/:credentialName and /proxy/:credentialName/* requests. */
export function proxyHandler(opts: ProxyOptions = {}): RequestHandler {
  const core = proxyCore(opts);
  return (req: Request, res: Response) =>
    core(req, res, { credentialName: req.params.credentialName ?? '', originalUrl: req.originalUrl, requestId: typeof req.id === 'string' ? req.id : undefined });
}

const FAST_PREFIX = '/api/v1/proxy/';

/**
 * The proxy as a plain Node handler for /api/v1/proxy/<name>[/<rest>][?query], to mount ahead of Express's
 * middleware (see createApp). `match` answers the route for a request URL, or null for anything else (which
 * then goes through Express, where the same proxy is mounted too).
 */
export interface FastProxy {
  match(url: string): ProxyRoute | null;
  handle(req: IncomingMessage, res: ServerResponse, route: ProxyRoute): void;
}

export function fastProxy(opts: ProxyOptions = {}): FastProxy {
  const core = proxyCore(opts);
  return {
    match(url) {
      if (!url.startsWith(FAST_PREFIX)) return null;
      const end = url.slice(FAST_PREFIX.length).search(/[/?#]/);
      const raw = end === -1 ? url.slice(FAST_PREFIX.length) : url.slice(FAST_PREFIX.length, FAST_PREFIX.length + end);
      if (raw === '') return null;
      let credentialName: string;
      try {
        credentialName = decodeURIComponent(raw);
      } catch {
        return null;
      }
      return { credentialName, originalUrl: url };
    },
    handle(req, res, route) {
      res.setHeader('Cache-Control', 'no-store');
      void core(req, res, route);
    },
  };
}
