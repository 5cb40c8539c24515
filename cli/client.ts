// The HTTP API client: one request function, errors turned into CliError with the contract's exit codes.
import { randomUUID } from 'node:crypto';
import { usageError } from './args';
import { resolveConnection } from './config';
import { CliError, EXIT_ERROR, EXIT_NOT_ALLOWED } from './exit-codes';
import type { CliIo } from './io';

export interface ApiErrorBody {
  code?: string;
  message?: string;
  fields?: Record<string, string[]>;
}

export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | null,
    message: string,
  ) {
    super(message, status === 401 || status === 403 ? EXIT_NOT_ALLOWED : EXIT_ERROR, fieldLines(body?.fields));
  }
}

/** The server's field errors as `field: message` lines. */
export function fieldLines(fields: Record<string, string[]> | undefined): string[] {
  return Object.entries(fields ?? {}).flatMap(([field, messages]) => messages.map((message) => `${field}: ${message}`));
}

export interface ApiClient {
  url: string;
  token: string;
  request<T>(method: string, path: string, options?: { json?: unknown; form?: FormData; query?: Record<string, string | undefined> }): Promise<T>;
  /** Every page of a list endpoint, following nextCursor. */
  list<T>(path: string, key: string, query?: Record<string, string | undefined>, onPage?: (count: number) => void): Promise<T[]>;
}

export function createClient(url: string, token: string | null): ApiClient {
  if (!token) throw new CliError('Not logged in: run latchkey login, or set LATCHKEY_TOKEN.');
  const request = async <T>(method: string, path: string, options: { json?: unknown; form?: FormData; query?: Record<string, string | undefined> } = {}): Promise<T> => {
    const target = new URL(`${url}/api/v1${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined && value !== '') target.searchParams.set(key, value);
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      body = options.form;
    }
    // A retried POST (a dropped connection, a timeout) must not create twice: the server replays the first answer.
    if (method === 'POST') headers['idempotency-key'] = randomUUID();
    let response: Response;
    try {
      response = await fetch(target, { method, headers, body });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`Could not reach Latchkey at ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const errorBody = (parsed && typeof parsed === 'object' ? ((parsed as { error?: ApiErrorBody }).error ?? parsed) : null) as ApiErrorBody | null;
      throw new ApiError(response.status, errorBody, `Latchkey answered ${response.status}${errorBody?.code ? ` ${errorBody.code}` : ''}: ${errorBody?.message ?? response.statusText}`);
    }
    if (parsed === null) throw new CliError(`Latchkey answered ${method} ${path} with an unexpected document.`);
    return parsed as T;
  };
  return {
    url,
    token,
    request,
    async list<T>(path: string, key: string, query: Record<string, string | undefined> = {}, onPage?: (count: number) => void) {
      const items: T[] = [];
      let cursor: string | undefined;
      do {
        const page = await request<Record<string, unknown> & { nextCursor?: string | null }>('GET', path, { query: { ...query, limit: '100', cursor } });
        const pageItems = page[key];
        if (!Array.isArray(pageItems)) throw new CliError(`Latchkey answered GET ${path} with an unexpected document.`);
        items.push(...(pageItems as T[]));
        onPage?.(items.length);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return items;
    },
  };
}

/** A client for the token in use (flags, then LATCHKEY_URL / LATCHKEY_TOKEN, then the stored login); a usage error without one. */
export function agentClient(io: CliIo, flags: { url?: string; token?: string }, usage: string): ApiClient {
  const { url, token } = resolveConnection(io.env, flags);
  if (!token) throw usageError('No token: run latchkey login, pass --token lk_… or set LATCHKEY_TOKEN.', usage);
  return createClient(url, token);
}
