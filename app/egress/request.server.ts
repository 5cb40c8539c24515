// One outbound HTTP exchange under the egress policy (OAuth token, revocation and userinfo endpoints, webhooks, verification): bounded in time and size, redirects never followed.
//
// node:http(s) over the policy's keep-alive agents rather than fetch: the policy judges every address at
// connect time (after DNS resolution), and measured here node:http costs about a quarter of fetch's CPU
// per request, which matters to refresh bursts.
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { EgressRefusedError, egressAgentFor } from './egress.server';

/** Answers larger than this are abandoned (a token or userinfo answer is a few kilobytes). */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

export interface EgressRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The organization's Network setting (Settings → Network): may private, loopback and link-local addresses be dialled. */
  allowPrivateHosts: boolean;
  /** The whole exchange, from connecting to the last byte of the answer. */
  timeoutMs: number;
  maxResponseBytes?: number;
}

export interface EgressResponse {
  status: number;
  ok: boolean;
  /** A header's value (repeated headers joined with ", "), or null. */
  header(name: string): string | null;
  /** The whole answer, already decompressed. */
  body: Buffer;
}

export type EgressFailureKind = 'refused' | 'timeout' | 'network' | 'too_large';

/**
 * A request that got no usable answer. Its message never contains the URL (a webhook or token URL may carry
 * a secret in its path or query) nor anything the other side said.
 */
export class EgressRequestError extends Error {
  constructor(
    public readonly kind: EgressFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'EgressRequestError';
  }
}

export function isEgressRequestError(error: unknown): error is EgressRequestError {
  return error instanceof Error && error.name === 'EgressRequestError';
}

function decodeBody(body: Buffer, encoding: string | undefined, max: number): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case '':
    case 'identity':
      return body;
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(body, { maxOutputLength: max });
    case 'deflate':
      return zlib.inflateSync(body, { maxOutputLength: max });
    case 'br':
      return zlib.brotliDecompressSync(body, { maxOutputLength: max });
    default:
      throw new Error('unsupported content encoding');
  }
}

/** Sends one request and reads the whole answer. Redirects come back as answers (3xx); nothing is followed. */
export function egressRequest(url: string | URL, init: EgressRequestInit): Promise<EgressResponse> {
  const max = init.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  return new Promise<EgressResponse>((resolve, reject) => {
    let settled = false;
    let request: http.ClientRequest | undefined;
    let timer: NodeJS.Timeout | undefined;
    const fail = (error: EgressRequestError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request?.destroy();
      reject(error);
    };
    let target: URL;
    let transport: http.Agent;
    try {
      target = typeof url === 'string' ? new URL(url) : url;
      transport = egressAgentFor(target, init.allowPrivateHosts);
    } catch (error) {
      if (error instanceof EgressRefusedError) return fail(new EgressRequestError('refused', error.message));
      return fail(new EgressRequestError('network', 'the address is not a valid http(s) URL'));
    }
    const body = init.body === undefined ? undefined : Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body, 'utf8');
    const headers: Record<string, string> = { 'user-agent': 'latchkey', ...init.headers };
    if (body) headers['content-length'] = String(body.length);
    const onResponse = (response: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) fail(new EgressRequestError('too_large', 'the answer was larger than Latchkey accepts'));
        else chunks.push(chunk);
      });
      response.on('error', () => fail(new EgressRequestError('network', 'the connection broke while reading the answer')));
      response.on('aborted', () => fail(new EgressRequestError('network', 'the connection broke while reading the answer')));
      response.on('end', () => {
        if (settled) return;
        let decoded: Buffer;
        try {
          decoded = decodeBody(Buffer.concat(chunks, size), response.headers['content-encoding'], max);
        } catch {
          return fail(new EgressRequestError('network', 'the answer could not be decoded'));
        }
        settled = true;
        clearTimeout(timer);
        const status = response.statusCode ?? 0;
        const header = (name: string) => {
          const value = response.headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        };
        resolve({ status, ok: status >= 200 && status < 300, header, body: decoded });
      });
    };
    try {
      request = (target.protocol === 'https:' ? https : http).request(target, { method: init.method ?? 'GET', agent: transport, headers }, onResponse);
    } catch {
      // A malformed header: nothing was sent.
      return fail(new EgressRequestError('network', 'the request could not be built'));
    }
    timer = setTimeout(() => fail(new EgressRequestError('timeout', 'no answer in time')), init.timeoutMs);
    request.on('error', (error: Error) => {
      // The policy's lookup refuses private answers after resolution; that surfaces here.
      if (error instanceof EgressRefusedError || error.name === 'EgressRefusedError') fail(new EgressRequestError('refused', error.message));
      else fail(new EgressRequestError('network', 'the server could not be reached'));
    });
    request.end(body);
  });
}
