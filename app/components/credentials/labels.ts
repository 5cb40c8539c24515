// Human labels and badge tones for credential types and statuses, shared by the table and the detail view.
import { getService } from '~/credentials/catalog';
import type { CredentialStatusValue, CredentialTypeValue } from '~/credentials/table-state';

export const TYPE_LABELS: Record<CredentialTypeValue, string> = {
  oauth: 'OAuth',
  api_key: 'API key',
  password: 'Password',
  file: 'File',
};

export const STATUS_LABELS: Record<CredentialStatusValue, string> = {
  active: 'Active',
  expired: 'Expired',
  needs_attention: 'Needs attention',
  disconnected: 'Disconnected',
};

/** Why a credential has a status when the row carries no reason of its own. */
export const STATUS_FALLBACK_REASONS: Record<CredentialStatusValue, string> = {
  active: 'Ready for agents to use.',
  expired: 'The expiry date has passed; agents can no longer use it.',
  needs_attention: 'Something needs a person to look at it.',
  disconnected: 'The connection was removed; agents cannot use it.',
};

/** The catalog's display name of a service, or its id for a service the catalog no longer lists. */
export function serviceName(service: string): string {
  return getService(service)?.displayName ?? service;
}
