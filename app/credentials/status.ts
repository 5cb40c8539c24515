// The one status vocabulary (table, banner, detail, API, CLI, webhook) and the typed causes behind a non-active status. Browser-safe.
import { z } from 'zod';

export const CREDENTIAL_STATUSES = ['active', 'expiring', 'expired', 'needs_attention', 'disconnected'] as const;
export type CredentialStatusValue = (typeof CREDENTIAL_STATUSES)[number];
export const credentialStatusSchema = z.enum(CREDENTIAL_STATUSES);

/** What each status is called, wherever it is shown (table, chips, banner, detail, CLI). */
export const STATUS_LABELS: Record<CredentialStatusValue, string> = {
  active: 'Active',
  expiring: 'Expiring',
  expired: 'Expired',
  needs_attention: 'Needs attention',
  disconnected: 'Disconnected',
};

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

export const CREDENTIAL_TYPE_VALUES = ['oauth', 'api_key', 'password', 'file'] as const;
type CredentialTypeValue = (typeof CREDENTIAL_TYPE_VALUES)[number];

/** The organization's warning window when it has not chosen one (Settings → Notifications). */
export const DEFAULT_WARNING_WINDOW_DAYS = 7;
const DAY_MS = 24 * 60 * 60_000;

/** How the statuses sort, mildest first: the table's status column ascending, and the worst-first order descending. */
export const STATUS_ORDER: Record<CredentialStatusValue, number> = Object.fromEntries(
  CREDENTIAL_STATUSES.map((status, index) => [status, index]),
) as Record<CredentialStatusValue, number>;

/** The stored columns a status is read from. */
export interface StoredStatus {
  type: CredentialTypeValue;
  status: CredentialStatusValue;
  statusCause?: string | null;
  statusReason: string | null;
  expiresAt: Date | string | null;
  /** OAuth: whether a refresh token is stored. Unknown (undefined) counts as refreshable. */
  hasRefreshToken?: boolean;
}

/** What a person or an agent should be told now. */
export interface StatusNow {
  status: CredentialStatusValue;
  /** Why it is not active (null for active, and for rows from before causes whose reason says nothing typed). */
  cause: StatusCause | null;
  /** The stored reason when it still describes the status; null when the clock decided it (say it from expiresAt). */
  reason: string | null;
  /** Whether the proxy may use the credential. */
  usable: boolean;
}

/**
 * Rows written before statuses had causes: an "Expires …" needs-attention row was the sweep's warning
 * (now `expiring`); an expired or disconnected row has only one possible cause.
 */
export function storedCause(row: Pick<StoredStatus, 'type' | 'status' | 'statusCause' | 'statusReason'>): StatusCause | null {
  if (isStatusCause(row.statusCause) && STATUS_CAUSES[row.statusCause].status === row.status) return row.statusCause;
  if (row.statusCause == null && row.status === 'needs_attention' && isLegacyExpiryWarning(row.statusReason)) return 'expiring_soon';
  if (row.status === 'expiring') return 'expiring_soon';
  if (row.status === 'expired') return row.type === 'oauth' ? 'token_expired_no_refresh' : 'expired';
  if (row.status === 'disconnected') return 'disconnected';
  return null;
}

/** The sweep's old warning reason ("Expires in 3 days"), written with status needs_attention and no cause. */
export function isLegacyExpiryWarning(reason: string | null | undefined): boolean {
  return (reason ?? '').startsWith('Expires ');
}

/**
 * The status to show and to act on, read from the stored row and the clock, so that a lagging sweep or
 * refresh worker never makes a status claim more than is true. Its SQL twin is `statusNowSql`
 * (app/credentials/status-sql.server.ts); a test holds the two to the same answers.
 *
 * - Disconnected stays disconnected.
 * - OAuth: a token stored active but past its expiry is overdue for refresh (needs attention, still
 *   usable: the proxy refreshes on use) or, with no refresh token, expired.
 * - API keys, passwords, files: past expiresAt is expired; a person-must-act status (rejected …) stands;
 *   otherwise inside the warning window is expiring, and beyond it active (a renewed expiry counts at once).
 */
export function statusNow(row: StoredStatus, clock: { now: Date; warningWindowDays: number }): StatusNow {
  const status = readStatusValue(row, clock);
  if (status === row.status) {
    const cause = storedCause(row);
    const usable = status === 'active' || (cause ? STATUS_CAUSES[cause].usable : false);
    return { status, cause, reason: status === 'active' ? null : row.statusReason, usable };
  }
  const cause = derivedCause(row, status);
  return { status, cause, reason: null, usable: status === 'active' || (cause ? STATUS_CAUSES[cause].usable : false) };
}

function readStatusValue(row: StoredStatus, clock: { now: Date; warningWindowDays: number }): CredentialStatusValue {
  if (row.status === 'disconnected') return 'disconnected';
  const expiresAt = row.expiresAt === null ? null : new Date(row.expiresAt).getTime();
  const now = clock.now.getTime();
  if (row.type === 'oauth') {
    if (row.status === 'active' && expiresAt !== null && expiresAt <= now) {
      return row.hasRefreshToken === false ? 'expired' : 'needs_attention';
    }
    return row.status;
  }
  if (expiresAt !== null && expiresAt <= now) return 'expired';
  if (!expiryDecides(row)) return row.status;
  if (expiresAt !== null && expiresAt <= now + clock.warningWindowDays * DAY_MS) return 'expiring';
  return 'active';
}

/**
 * API keys, passwords, files: whether the expiry alone decides the status. Not for what a person must act
 * on (rejected …), nor for an "expired" that neither the sweep wrote nor an expiry explains.
 */
function expiryDecides(row: StoredStatus): boolean {
  if (row.status === 'active' || row.status === 'expiring') return true;
  if (row.status === 'expired') return row.statusCause === 'expired' || row.expiresAt !== null || (row.statusReason ?? '').startsWith('Expired ');
  return row.status === 'needs_attention' && row.statusCause == null && isLegacyExpiryWarning(row.statusReason);
}

function derivedCause(row: StoredStatus, status: CredentialStatusValue): StatusCause | null {
  switch (status) {
    case 'expiring':
      return 'expiring_soon';
    case 'expired':
      return row.type === 'oauth' ? 'token_expired_no_refresh' : 'expired';
    case 'needs_attention':
      return 'refresh_overdue';
    default:
      return null;
  }
}
