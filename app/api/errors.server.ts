// JSON error answers of the API: { code, message, fields? }, never with secret material.
import type { ServerResponse } from 'node:http';
import type { ApiErrorCode } from './schemas';

export type FieldErrors = Record<string, string[]>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly fields?: FieldErrors,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorBody(code: ApiErrorCode, message: string, fields?: FieldErrors): string {
  return JSON.stringify(fields && Object.keys(fields).length > 0 ? { code, message, fields } : { code, message });
}

/** Writes the error on a plain Node response (the proxy's fast path) or an Express one alike. */
export function writeApiError(res: ServerResponse, status: number, code: ApiErrorCode, message: string, fields?: FieldErrors): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(code, message, fields);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export const sendApiError = writeApiError;
