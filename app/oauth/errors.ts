// OAuth domain errors: what a person reads (never a token, secret or verifier) and what a caller can branch on.

export type OAuthErrorCode =
  | 'not_found'
  | 'forbidden'
  | 'validation'
  | 'not_configured'
  | 'state_invalid'
  | 'provider_denied'
  | 'provider_error'
  | 'exchange_failed';

/** A failure of connect, callback, disconnect or pasted tokens, with a message safe to show. */
export class OAuthError extends Error {
  constructor(
    public readonly code: OAuthErrorCode,
    message: string,
    public readonly fieldErrors: Record<string, string[]> = {},
    public readonly status: number = code === 'not_found' ? 404 : code === 'forbidden' ? 403 : 400,
  ) {
    super(message);
    this.name = 'OAuthError';
  }
}

export function isOAuthError(error: unknown): error is OAuthError {
  return error instanceof OAuthError;
}

/**
 * A refresh that did not produce new tokens. `permanent` needs a person (reconnect); `transient`
 * should be retried by the caller, after `retryAfterMs` when the provider said so.
 */
export class RefreshError extends Error {
  constructor(
    public readonly kind: 'permanent' | 'transient',
    public readonly providerMessage: string,
    public readonly retryAfterMs?: number,
  ) {
    super(`${kind === 'permanent' ? 'Refresh failed' : 'Refresh failed for now'}: ${providerMessage}`);
    this.name = 'RefreshError';
  }
}

export function isRefreshError(error: unknown): error is RefreshError {
  return error instanceof RefreshError;
}

/** "2026-11-22 03:51 UTC" (or with seconds): how a status reason names a moment. */
export function humanTime(date: Date, precision: 'minute' | 'second' = 'minute'): string {
  return `${date.toISOString().slice(0, precision === 'second' ? 19 : 16).replace('T', ' ')} UTC`;
}

/**
 * The reason when a refresh token was refused after an earlier refresh sent its request and never stored
 * the answer: the provider rotated the token then, so our replay of the old one looked like token theft.
 */
export function interruptedRefreshReason(interruptedAt: Date): string {
  return `A refresh was interrupted at ${humanTime(interruptedAt, 'second')} and the provider then revoked the grant as token reuse. Reconnect to restore access.`;
}
