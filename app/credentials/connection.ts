// Where a credential's requests go and how its value is put into them: the catalog's defaults merged with the credential's own settings (browser-safe).
import { credentialFieldsFor, getService, injectionFor, type CredentialType, type FieldSpec, type Injection } from '~/credentials/catalog';
import type { CredentialSettings, InjectionSetting } from '~/credentials/settings';

/** What the forms offer for a service and type, read from the catalog. */
export interface ConnectionSpec {
  /** The proxy can put this credential into an HTTP request (files, SMTP, databases and AWS cannot). */
  injectable: boolean;
  /** The catalog's API base URL, the form's default; null when the service has none. */
  catalogBaseUrl: string | null;
  /** No catalog base URL: the person must give one, or agents get 409 no_base_url. */
  baseUrlRequired: boolean;
  /** Custom API keys: the person says where the key goes (header and scheme, or query parameter). */
  injectionConfigurable: boolean;
}

/** A Custom API key's placement until the person says otherwise (the catalog's own default for Custom). */
export const DEFAULT_CUSTOM_INJECTION: InjectionSetting = { kind: 'header', header: 'Authorization', scheme: 'Bearer' };

export function connectionSpecFor(serviceId: string, type: CredentialType): ConnectionSpec {
  const service = getService(serviceId);
  const catalogInjection = service?.auth[type] ? injectionFor(serviceId, type) : ({ kind: 'none' } as const);
  const injectable = catalogInjection.kind !== 'none';
  const catalogBaseUrl = injectable ? (service?.apiBaseUrl ?? null) : null;
  return {
    injectable,
    catalogBaseUrl,
    baseUrlRequired: injectable && catalogBaseUrl === null,
    // Custom passwords are always HTTP Basic; only the single key of a Custom API key can go anywhere.
    injectionConfigurable: injectable && type === 'api_key' && Boolean(service?.injectionConfigurable),
  };
}

export interface EffectiveBaseUrl {
  url: string;
  /** "catalog": follows catalog updates; "custom": set on this credential (self-hosted, regional, …). */
  source: 'catalog' | 'custom';
}

/** The address the proxy forwards to: the credential's own, else the catalog's; null when neither exists. */
export function effectiveBaseUrl(serviceId: string, type: CredentialType, settings: CredentialSettings): EffectiveBaseUrl | null {
  const spec = connectionSpecFor(serviceId, type);
  if (!spec.injectable) return null;
  if (settings.baseUrl) return { url: settings.baseUrl, source: 'custom' };
  return spec.catalogBaseUrl ? { url: spec.catalogBaseUrl, source: 'catalog' } : null;
}

/** How the proxy injects the value: a Custom API key's own placement, else the catalog's. */
export function effectiveInjection(serviceId: string, type: CredentialType, settings: CredentialSettings): Injection {
  const spec = connectionSpecFor(serviceId, type);
  if (spec.injectionConfigurable) return settings.injection ?? DEFAULT_CUSTOM_INJECTION;
  return getService(serviceId)?.auth[type] ? injectionFor(serviceId, type) : { kind: 'none' };
}

/** What a credential's detail page says about its connection (built by connection.server.ts, shown by the connection card). */
export interface CredentialConnectionView {
  injectable: boolean;
  baseUrl: { url: string; source: 'catalog' | 'custom' } | null;
  /** The proxy cannot forward without one (409 no_base_url until someone sets it). */
  baseUrlMissing: boolean;
  /** "Authorization: Bearer <key>", "?key=<key>", … (null for credentials that are not injected). */
  injection: string | null;
  /** The catalog's non-secret fields with their labels, in catalog order (host, port, username …). */
  fields: { name: string; label: string; value: string }[];
  upstreamTimeoutMs: number | null;
  /** The latest change of the base URL's host, from the audit log. */
  lastHostChange: { at: Date | string; actorLabel: string; fromHost: string | null; toHost: string | null } | null;
}

/** The placement in words, as a request would show it ("Authorization: Bearer <key>", "?key=<key>"; OAuth sends its access token). */
export function describeInjection(injection: Injection, type: CredentialType = 'api_key'): string {
  const value = type === 'oauth' ? '<access token>' : '<key>';
  switch (injection.kind) {
    case 'header':
      return `${injection.header}: ${injection.scheme ? `${injection.scheme} ` : ''}${value}`;
    case 'query':
      return `?${injection.param}=${value}`;
    case 'basic':
      return 'Authorization: Basic <username:password>';
    case 'none':
      return 'Not injected into HTTP requests';
  }
}

/** The catalog's non-secret text fields of a service and type (host, port, username, account SID, …). */
export function nonSecretFieldSpecs(serviceId: string, type: CredentialType): readonly FieldSpec[] {
  if (!getService(serviceId)?.auth[type]) return [];
  return credentialFieldsFor(serviceId, type).filter((field) => !field.secret && field.input !== 'file');
}

/** The host of a URL, or null for anything that does not parse. */
export function hostOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}
