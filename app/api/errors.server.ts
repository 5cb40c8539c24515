// JSON error answers of the agent API: { error: { code, message } }, never with secret material.
import type { ServerResponse } from 'node:http';
import type { ApiErrorCode } from './schemas';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Writes the error on a plain Node response (the proxy's fast path) or an Express one alike. */
export function writeApiError(res: ServerResponse, status: number, code: ApiErrorCode, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export const sendApiError = writeApiError;
