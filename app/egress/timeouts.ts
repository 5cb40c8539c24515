// How long the proxy waits on an upstream: the environment's defaults, a longer one for the catalog's AI services, a credential's own override.
import { getService, type ServiceCategory } from '~/credentials/catalog';
import type { CredentialSettings } from '~/credentials/settings';

export interface UpstreamTimeoutDefaults {
  /** Time to the response headers (UPSTREAM_TIMEOUT_MS). */
  headersMs: number;
  /** Time to the response headers for services whose calls run long (UPSTREAM_AI_TIMEOUT_MS). */
  longRunningHeadersMs: number;
  /** Longest silence on an open response (UPSTREAM_IDLE_TIMEOUT_MS). */
  idleMs: number;
}

export interface UpstreamTimeouts {
  headersMs: number;
  idleMs: number;
}

/**
 * Catalog categories whose calls may take minutes before the first byte: a non-streaming model call
 * answers only when the whole completion is done.
 */
export const LONG_RUNNING_CATEGORIES: ReadonlySet<ServiceCategory> = new Set(['ai']);

/**
 * The limits for one credential: its own `upstreamTimeoutMs` when set, else its service category's default.
 * The idle limit is never shorter than the time to headers: a service that may think that long before
 * answering may pause that long inside a streamed answer too.
 */
export function upstreamTimeouts(service: string, settings: Pick<CredentialSettings, 'upstreamTimeoutMs'>, defaults: UpstreamTimeoutDefaults): UpstreamTimeouts {
  const category = getService(service)?.category;
  const headersMs = settings.upstreamTimeoutMs ?? (category && LONG_RUNNING_CATEGORIES.has(category) ? defaults.longRunningHeadersMs : defaults.headersMs);
  return { headersMs, idleMs: Math.max(defaults.idleMs, headersMs) };
}
