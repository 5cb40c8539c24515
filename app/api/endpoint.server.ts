// One API endpoint as data: method, path, who may call it, its request and response schemas and its handler. The router serves the list and the OpenAPI document describes the same list.
import type { Request as ExpressRequest, Response as ExpressResponse } from 'express';
import type { z } from 'zod';
import type { Principal, RequestOrigin } from './principal.server';

export type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface EndpointContext {
  req: ExpressRequest;
  res: ExpressResponse;
  principal: Principal;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body, or the text fields of a multipart body (see `upload`). */
  body: unknown;
  /** A multipart body's file, inspected (name, bytes) — only for endpoints with `multipart`. */
  upload: { fileName: string; bytes: Buffer } | null;
  origin: RequestOrigin;
  /** Where the portal is (for URLs a person opens). */
  publicUrl: string;
}

/** A JSON answer, or a stream the handler wrote itself (`streamed`). */
export type EndpointResult = { status: number; body: unknown; headers?: Record<string, string> } | { streamed: true };

export interface EndpointResponse {
  description: string;
  schema?: z.ZodType;
  /** Non-JSON content (CSV, NDJSON): media type → description. */
  content?: Record<string, string>;
}

export interface Endpoint {
  method: Method;
  /** Express-style path under /api/v1, e.g. /credentials/:name. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** any: an agent or management token; agent / management: only that kind (the handler checks the role). */
  auth: 'any' | 'agent' | 'management';
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Also accepts multipart/form-data with these text fields and one `file`. */
  multipart?: boolean;
  responses: Record<number, EndpointResponse>;
  /** Error statuses the endpoint can answer besides 400/401 (documented with the Error schema). */
  errors: Partial<Record<403 | 404 | 409 | 413 | 415 | 422 | 502, string>>;
  /** Replies carry a secret: never cached, never replayed from an idempotency record. */
  secret?: boolean;
  handler: (ctx: EndpointContext) => Promise<EndpointResult>;
}

export function defineEndpoint(endpoint: Endpoint): Endpoint {
  return endpoint;
}
