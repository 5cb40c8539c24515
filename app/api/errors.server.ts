// JSON error answers of the agent API: { error: { code, message } }, never with secret material.
import type { Response } from 'express';
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

export function sendApiError(res: Response, status: number, code: ApiErrorCode, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(status).set('Cache-Control', 'no-store').json({ error: { code, message } });
}
