// The one status vocabulary (table, banner, detail, API, CLI, webhook) and the typed causes behind a non-active status. Browser-safe.
import { z } from 'zod';

export const CREDENTIAL_STATUSES = ['active', 'expiring', 'expired', 'needs_attention', 'disconnected'] as const;
export type CredentialStatusValue = (typeof CREDENTIAL_STATUSES)[number];
export const credentialStatusSchema = z.enum(CREDENTIAL_STATUSES);

/**
 * Why a credential is not plainly active. Each cause belongs to one status; `usable` says whether the
 * proxy may still use the credential (a warning never stops a working credential).
 */
export const STATUS_CAUSES = {
  /** Inside the organization's warning window before expiresAt. */
  expiring_soon: { status: 'expiring', usable: true },
  /** An API key, password or file past its expiresAt. */
  expired: { status: 'expired', usable: false },
  /** An OAuth access token past its expiry with no refresh token to renew it. */
  token_expired_no_refresh: { status: 'expired', usable: false },
  /** An OAuth access token past its expiry whose refresh has not happened yet (workers behind, or retrying). */
  refresh_overdue: { status: 'needs_attention', usable: true },
  /** Refreshes keep failing for a transient reason (provider down, timeouts, 5xx). */
  refresh_failing: { status: 'needs_attention', usable: true },
  /** The provider refused the refresh token for good (invalid_grant, revoked, consent withdrawn). */
  refresh_revoked: { status: 'needs_attention', usable: false },
  /** A refresh was interrupted after sending, and the provider then revoked the grant as token reuse. */
  refresh_reuse_revoked: { status: 'needs_attention', usable: false },
  /** The OAuth app (client) the tokens belong to is gone or no longer configured. */
  oauth_app_missing: { status: 'needs_attention', usable: false },
  /** The service rejected the credential (authentication failures, failed verification). */
  rejected: { status: 'needs_attention', usable: false },
  /** A person disconnected the OAuth credential; its tokens were revoked or removed. */
  disconnected: { status: 'disconnected', usable: false },
} as const satisfies Record<string, { status: Exclude<CredentialStatusValue, 'active'>; usable: boolean }>;

export type StatusCause = keyof typeof STATUS_CAUSES;
export const STATUS_CAUSE_VALUES = Object.keys(STATUS_CAUSES) as StatusCause[];
export const statusCauseSchema = z.enum(STATUS_CAUSE_VALUES as [StatusCause, ...StatusCause[]]);

export function isStatusCause(value: unknown): value is StatusCause {
  return typeof value === 'string' && Object.hasOwn(STATUS_CAUSES, value);
}
