// The API at /api/v1, mounted in front of Remix and before the form body limits: the endpoints of ./endpoints.server, OpenAPI, the proxy.
import { Readable } from 'node:stream';
import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { AgentError } from '~/agents/agents.server';
import { getEnv } from '~/config/env.server';
import { CredentialError } from '~/credentials/errors';
import { parseCredentialUpload } from '~/credentials/files.server';
import { logger } from '~/logger.server';
import { OAuthError } from '~/oauth/errors';
import { ManagementTokenError } from '~/tokens/management-tokens.server';
import type { Endpoint, EndpointContext } from './endpoint.server';
import { endpoints, validationError } from './endpoints.server';
import { ProposalError } from '~/proposals/proposals.server';
import { ApiError, sendApiError } from './errors.server';
import { beginIdempotent, parseIdempotencyKey, requestFingerprint } from './idempotency.server';
import { openApiDocument } from './openapi.server';
import { authenticate, organizationOf, principalKey, requireAgent, requireManagement } from './principal.server';
import { fastProxy, proxyHandler, type FastProxy, type ProxyOptions } from './proxy.server';
import type { ApiErrorCode } from './schemas';

export interface ApiRouterOptions {
  proxy?: ProxyOptions;
  /** Where the portal is, for URLs a person opens (default: PUBLIC_URL). */
  publicUrl?: string;
}

/** The largest JSON body an endpoint reads. */
const JSON_LIMIT_BYTES = 256 * 1024;

/** The domains' errors as the API's { code, message, fields }. Anything else is a 500 with no detail. */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof CredentialError) {
    const codes: Record<CredentialError['code'], [number, ApiErrorCode]> = {
      not_found: [404, 'credential_not_found'],
      forbidden: [403, 'forbidden'],
      validation: [400, 'validation_failed'],
      conflict: [409, 'conflict'],
      reauth_required: [403, 'forbidden'],
      too_large: [413, 'payload_too_large'],
    };
    const [status, code] = codes[error.code];
    return new ApiError(status, code, error.message, error.fieldErrors);
  }
  if (error instanceof AgentError) {
    const codes: Record<AgentError['code'], [number, ApiErrorCode]> = {
      not_found: [404, 'agent_not_found'],
      forbidden: [403, 'forbidden'],
      validation: [400, 'validation_failed'],
      conflict: [409, 'conflict'],
    };
    const [status, code] = codes[error.code];
    return new ApiError(status, code, error.message, error.fieldErrors);
  }
  if (error instanceof ProposalError) {
    const codes: Record<ProposalError['code'], [number, ApiErrorCode]> = {
      not_found: [404, 'proposal_not_found'],
      forbidden: [403, 'forbidden'],
      validation: [400, 'validation_failed'],
      conflict: [409, 'conflict'],
      limit: [409, 'proposal_limit_reached'],
    };
    const [status, code] = codes[error.code];
    return new ApiError(status, code, error.message, error.fieldErrors);
  }
  if (error instanceof ManagementTokenError) {
    const status = error.code === 'not_found' ? 404 : error.code === 'forbidden' ? 403 : 400;
    return new ApiError(status, error.code === 'validation' ? 'validation_failed' : error.code, error.message, error.fieldErrors);
  }
  if (error instanceof OAuthError) {
    const code: ApiErrorCode = error.code === 'validation' ? 'validation_failed' : error.code === 'forbidden' ? 'forbidden' : error.code === 'not_found' ? 'not_found' : 'oauth_failed';
    const status = error.status >= 500 ? 502 : error.status;
    return new ApiError(status, code, error.message, error.fieldErrors);
  }
  // A refusal thrown by the shared form checks (405, 413, 415) keeps its status and its plain-text sentence.
  if (error instanceof globalThis.Response && error.status < 500) {
    const code: ApiErrorCode = error.status === 415 ? 'unsupported_media_type' : error.status === 413 ? 'payload_too_large' : 'validation_failed';
    return new ApiError(error.status, code, error.statusText || 'The request was refused');
  }
  return null;
}

function mediaType(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

const jsonParser = express.json({ limit: JSON_LIMIT_BYTES, type: () => true, strict: false });

/** Reads the body the endpoint takes: JSON, or multipart (text fields + one file) where allowed; else 415. */
async function readBody(req: Request, res: Response, endpoint: Endpoint): Promise<Pick<EndpointContext, 'body' | 'upload'>> {
  if (!endpoint.body) {
    // Endpoints without a body ignore one (a client may send `{}`), but never read a large one.
    req.resume();
    return { body: undefined, upload: null };
  }
  const type = mediaType(req);
  if (endpoint.multipart && type === 'multipart/form-data') {
    const request = new globalThis.Request(`http://api.invalid${req.originalUrl}`, {
      method: 'POST',
      headers: req.headers as Record<string, string>,
      body: Readable.toWeb(req) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    const { fields, file } = await parseCredentialUpload(request);
    // Multipart text fields arrive flat: "fields.key" becomes { fields: { key } } as JSON would send it.
    const body: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(fields)) {
      if (key.startsWith('fields.')) ((body.fields ??= {}) as Record<string, string>)[key.slice(7)] = value;
      else body[key] = value;
    }
    return { body, upload: file ? { fileName: file.fileName, bytes: file.bytes } : null };
  }
  if (type !== 'application/json' && !(type === '' && req.headers['content-length'] === '0')) {
    req.resume();
    const accepted = endpoint.multipart ? 'application/json or multipart/form-data' : 'application/json';
    throw new ApiError(415, 'unsupported_media_type', `Send the body as ${accepted}${type ? `, not ${/^[a-z0-9!#$&^_.+-]{1,60}\/[a-z0-9!#$&^_.+-]{1,60}$/.test(type) ? type : 'this content type'}` : ''}`);
  }
  await new Promise<void>((resolve, reject) => jsonParser(req, res, (error?: unknown) => (error ? reject(error) : resolve())));
  const body = req.body === undefined || (typeof req.body === 'object' && req.body !== null && Object.keys(req.body).length === 0 && type === '') ? {} : req.body;
  const parsed = endpoint.body.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error, 'The body does not have the expected shape');
  return { body, upload: null };
}

/** express.json's own failures (bad JSON, too large, bad charset) as the API's errors. */
function bodyParserError(error: unknown): ApiError | null {
  const e = error as { type?: string; status?: number };
  if (e?.type === 'entity.parse.failed') return new ApiError(400, 'bad_json', 'The body is not valid JSON');
  if (e?.type === 'entity.too.large') return new ApiError(413, 'payload_too_large', `The JSON body is over ${JSON_LIMIT_BYTES / 1024} KiB`);
  if (e?.type === 'charset.unsupported' || e?.type === 'encoding.unsupported') return new ApiError(415, 'unsupported_media_type', 'Send JSON as UTF-8');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new ApiError(400, 'bad_json', 'The body could not be read');
  return null;
}

function fingerprintBody(body: unknown, upload: EndpointContext['upload']): unknown {
  return upload ? { body, file: { name: upload.fileName, sha256: crypto.createHash('sha256').update(upload.bytes).digest('hex') } } : body;
}

function serve(endpoint: Endpoint, publicUrl: string) {
  return async (req: Request, res: Response, _next: NextFunction) => {
    let finishIdempotent: ((answer: { status: number; body: unknown }) => Promise<void>) | null = null;
    let abandonIdempotent: (() => Promise<void>) | null = null;
    try {
      const principal = await authenticate(req.headers);
      if (endpoint.auth === 'management') requireManagement(principal);
      if (endpoint.auth === 'agent') requireAgent(principal);
      const origin = { ip: req.ip ?? null, userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'].slice(0, 512) : null };
      const key = endpoint.method === 'post' ? parseIdempotencyKey(req.headers['idempotency-key']) : null;
      const { body, upload } = await readBody(req, res, endpoint);
      if (key && !endpoint.secret) {
        const start = await beginIdempotent(organizationOf(principal), principalKey(principal), key, requestFingerprint(req.method, req.path, fingerprintBody(body, upload)));
        if (start.kind === 'replay') {
          res.set('Idempotent-Replayed', 'true').status(start.answer.status).json(start.answer.body);
          return;
        }
        finishIdempotent = start.finish;
        abandonIdempotent = start.abandon;
      }
      const params = Object.fromEntries(Object.entries(req.params).map(([k, v]) => [k, String(v ?? '')]));
      const query = new URL(req.originalUrl, 'http://api.invalid').searchParams;
      const result = await endpoint.handler({ req, res, principal, params, query, body, upload, origin, publicUrl });
      if ('streamed' in result) return;
      if (finishIdempotent) await finishIdempotent({ status: result.status, body: result.body });
      res.status(result.status).set(result.headers ?? {}).json(result.body);
    } catch (error) {
      const apiError = toApiError(error) ?? bodyParserError(error);
      if (apiError) {
        // A refusal is the answer to this request: a retry with the same key gets it again.
        if (finishIdempotent && apiError.status < 500) await finishIdempotent({ status: apiError.status, body: { code: apiError.code, message: apiError.message, ...(apiError.fields ? { fields: apiError.fields } : {}) } }).catch(() => undefined);
        else await abandonIdempotent?.().catch(() => undefined);
        return sendApiError(res, apiError.status, apiError.code, apiError.message, apiError.fields);
      }
      await abandonIdempotent?.().catch(() => undefined);
      logger.error({ requestId: req.id, errorName: (error as Error)?.name, endpoint: endpoint.operationId }, 'API request failed');
      sendApiError(res, 500, 'internal_error', 'Latchkey could not finish this request');
    }
  };
}

/** The API router, carrying the proxy as a plain Node handler that createApp mounts ahead of Express (the hot path). */
export type ApiRouter = Router & { fastProxy: FastProxy };

export function createApiRouter(options: ApiRouterOptions = {}): ApiRouter {
  const router = express.Router();
  const publicUrl = (options.publicUrl ?? getEnv().PUBLIC_URL).replace(/\/+$/, '');
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  // The proxy reads the raw body itself (streamed, with its own limit): nothing before it may consume it.
  // Requests under /api/v1/proxy/ normally take the fast path (fastProxy below); these routes serve the rest.
  const proxy = proxyHandler(options.proxy);
  router.all('/proxy/:credentialName', proxy);
  router.all('/proxy/:credentialName/*', proxy);

  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(openApiDocument());
  });

  // Static paths before parameterised ones (/credentials/oauth/connect before /credentials/:name/…).
  const ordered = [...endpoints].sort((a, b) => Number(a.path.includes(':')) - Number(b.path.includes(':')));
  const allowed = new Map<string, string[]>();
  for (const endpoint of ordered) {
    router[endpoint.method](endpoint.path, serve(endpoint, publicUrl));
    allowed.set(endpoint.path, [...(allowed.get(endpoint.path) ?? []), endpoint.method.toUpperCase()]);
  }
  // A known path with another method is 405 with Allow, not 404.
  for (const [path, methods] of allowed) {
    router.all(path, (_req, res) => {
      res.set('Allow', methods.join(', '));
      sendApiError(res, 405 as number, 'not_found', `This endpoint takes ${methods.join(', ')}`);
    });
  }

  router.all('*', (_req, res) => sendApiError(res, 404, 'not_found', 'No such API endpoint; GET /api/v1/openapi.json lists them'));
  return Object.assign(router, { fastProxy: fastProxy(options.proxy) });
}
