// Human labels, badge wording and status sentences for credential types and statuses, shared by the table, banner and detail view.
import { getService } from '~/credentials/catalog';
import { STATUS_LABELS, type CredentialStatusValue } from '~/credentials/status';
import type { CredentialTypeValue } from '~/credentials/table-state';
import { relativeText } from '~/utils/relative-time';

export const TYPE_LABELS: Record<CredentialTypeValue, string> = {
  oauth: 'OAuth',
  api_key: 'API key',
  password: 'Password',
  file: 'File',
};

export { STATUS_LABELS };

/** Why a credential has a status when the row carries no reason of its own. */
export const STATUS_FALLBACK_REASONS: Record<CredentialStatusValue, string> = {
  active: 'Ready for agents to use.',
  expiring: 'It expires soon; agents can use it until then.',
  expired: 'The expiry date has passed; agents can no longer use it.',
  needs_attention: 'Something needs a person to look at it.',
  disconnected: 'The connection was removed; agents cannot use it.',
};

/** What a person can do about a status, shown under the reason on the detail page. */
export const STATUS_ADVICE: Partial<Record<CredentialStatusValue, string>> = {
  expiring: 'Agents can still use it. Replace the value or set a new expiry before then.',
  expired: 'Agents get “credential expired” until the value is replaced or the expiry moved.',
};

/**
 * The status in one sentence. Expiring and expired say the time from expiresAt at render time, with the
 * formatter the Expires column uses, so the banner, the badge and the column never disagree.
 */
export function statusSentence(
  status: CredentialStatusValue,
  reason: string | null | undefined,
  expiresAt: Date | string | null | undefined,
  now: Date | string,
): string {
  if (status === 'expiring' && expiresAt) return `Expires ${relativeText(new Date(expiresAt), new Date(now))}`;
  if (status === 'expired' && expiresAt && !reason?.trim()) return `Expired ${relativeText(new Date(expiresAt), new Date(now))}`;
  return reason?.trim() || STATUS_FALLBACK_REASONS[status];
}

/** The catalog's display name of a service, or its id for a service the catalog no longer lists. */
export function serviceName(service: string): string {
  return getService(service)?.displayName ?? service;
}
