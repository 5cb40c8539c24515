// zod schemas for credential input, shared by the portal's forms, the API and the services.
import { z } from 'zod';
import { credentialFieldsSchema, type CredentialType } from '~/credentials/catalog';
import { connectionSpecFor } from '~/credentials/connection';
import type { FieldErrors } from '~/credentials/errors';
import { DATE_PATTERN, expiryFormValues, expiryInstant, FALLBACK_TIME_ZONE, isIanaTimeZone, TIME_PATTERN } from '~/credentials/expiry';
import { MAX_UPSTREAM_TIMEOUT_MS } from '~/credentials/settings';

/** Credential types this module creates; OAuth credentials are created by the OAuth flow. */
export const MANUAL_CREDENTIAL_TYPES = ['api_key', 'password', 'file'] as const;
export type ManualCredentialType = (typeof MANUAL_CREDENTIAL_TYPES)[number];

export const CREDENTIAL_NAME_MAX = 100;
export const CREDENTIAL_DESCRIPTION_MAX = 500;
export const CREDENTIAL_NAME_PATTERN = /^[A-Za-z0-9_:-]+$/;

export const credentialNameSchema = z
  .string({ error: 'Enter a name' })
  .trim()
  .min(1, 'Enter a name')
  .max(CREDENTIAL_NAME_MAX, `Use at most ${CREDENTIAL_NAME_MAX} characters`)
  .regex(
    CREDENTIAL_NAME_PATTERN,
    'Use letters, digits, "-", "_" and ":" only (for example github_token:botty)',
  );

export const credentialDescriptionSchema = z
  .string()
  .trim()
  .max(CREDENTIAL_DESCRIPTION_MAX, `Use at most ${CREDENTIAL_DESCRIPTION_MAX} characters`);

/**
 * Full ISO timestamps and Date objects pass through. A bare "2027-01-31" (an API caller that sent no
 * time zone) is the end of that day in UTC; the forms turn a date into an instant in the person's zone first.
 */
function toDateOrNull(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    if (DATE_PATTERN.test(text)) return expiryInstant(text, null, FALLBACK_TIME_ZONE) ?? new Date(Number.NaN);
    if (/^\d{4}-\d{2}-\d{2}T/.test(text)) return new Date(text);
    return new Date(Number.NaN);
  }
  return value;
}

/** An expiry instant, or null when left empty. Does not check that it lies in the future. */
export const expiresAtInputSchema = z.preprocess(
  toDateOrNull,
  z.date({ error: 'Enter a valid date (YYYY-MM-DD)' }).nullable(),
);

export function isFutureDate(date: Date, now: Date = new Date()): boolean {
  return date.getTime() > now.getTime();
}

export const EXPIRY_IN_PAST_MESSAGE = 'The expiry date must be in the future';

/** An expiry that must lie in the future, or empty. */
export const futureExpiresAtSchema = expiresAtInputSchema.refine(
  (date) => date === null || isFutureDate(date),
  EXPIRY_IN_PAST_MESSAGE,
);

/** The fields every manual credential has, whatever its type (the service's view: expiresAt is an instant). */
export const credentialBaseSchema = z.object({
  name: credentialNameSchema,
  service: z.string({ error: 'Choose a service' }).trim().min(1, 'Choose a service'),
  type: z.enum(MANUAL_CREDENTIAL_TYPES, { error: 'Choose API key, username/password or file' }),
  description: credentialDescriptionSchema.optional().default(''),
  expiresAt: futureExpiresAtSchema.optional().default(null),
});
export type CredentialBaseInput = z.input<typeof credentialBaseSchema>;
export type CredentialBase = z.output<typeof credentialBaseSchema>;

/**
 * Edits that do not touch the secret. An absent key leaves the value alone; an empty expiry clears
 * it. Whether a changed expiry lies in the future is checked by the service, so that editing the
 * description of an already expired credential still works.
 */
export const credentialMetadataUpdateSchema = z.object({
  name: credentialNameSchema.optional(),
  description: credentialDescriptionSchema.optional(),
  expiresAt: expiresAtInputSchema.optional(),
});
export type CredentialMetadataUpdateInput = z.input<typeof credentialMetadataUpdateSchema>;

export const deleteCredentialSchema = z.object({
  confirmName: z.string({ error: 'Type the credential name to confirm' }).trim(),
});

// ---------------------------------------------------------------------------------------------
// Connection: base URL, where a Custom key goes, upstream timeout.

export const BASE_URL_MAX = 2048;
export const BASE_URL_REQUIRED_MESSAGE = 'Enter the base URL agents’ requests go to, for example https://api.example.com';

/** The form of a base URL that is stored and compared: origin and path, no trailing slash. */
export function normalizeBaseUrl(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** An http(s) base URL without credentials, query or fragment, normalised (https://host/path). */
export const baseUrlSchema = z
  .string({ error: BASE_URL_REQUIRED_MESSAGE })
  .trim()
  .min(1, BASE_URL_REQUIRED_MESSAGE)
  .max(BASE_URL_MAX, `Keep the base URL under ${BASE_URL_MAX} characters`)
  .transform((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'Enter a full URL starting with https://, for example https://api.example.com' });
      return z.NEVER;
    }
    const problem =
      url.protocol !== 'https:' && url.protocol !== 'http:'
        ? 'Use an http:// or https:// URL'
        : url.username || url.password
          ? 'Leave the user name and password out of the URL; Latchkey adds the credential itself'
          : url.search || text.includes('?')
            ? 'Leave out the query string (?…): agents add their own to each request'
            : url.hash || text.includes('#')
              ? 'Leave out the #fragment'
              : null;
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return normalizeBaseUrl(url);
  });

/** Headers Latchkey or HTTP itself owns: a key there would break the request or never arrive. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'cookie']);

const headerNameSchema = z
  .string({ error: 'Enter the header name, for example X-API-Key' })
  .trim()
  .regex(/^[A-Za-z0-9-]{1,64}$/, 'Use a header name of letters, digits and - (at most 64), for example X-API-Key')
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'Choose the header the service reads the key from; this one is set by HTTP itself');

const headerSchemeSchema = z
  .string()
  .trim()
  .max(32, 'Keep the scheme under 32 characters')
  .regex(/^[A-Za-z0-9._~+/-]*$/, 'Use a single word such as Bearer or Token, or leave it empty');

const queryParamSchema = z
  .string({ error: 'Enter the query parameter name, for example api_key' })
  .trim()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'Use a parameter name of letters, digits, _, . and - (at most 64), for example api_key');

/** Where a Custom API key goes; the same shape as settings.injection (app/credentials/settings.ts). */
export const injectionInputSchema = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('header'), header: headerNameSchema, scheme: headerSchemeSchema.optional() }),
    z.object({ kind: z.literal('query'), param: queryParamSchema }),
  ],
  { error: 'Choose a header or a query parameter' },
);
export type InjectionInput = z.output<typeof injectionInputSchema>;

export const UPSTREAM_TIMEOUT_MAX_SECONDS = MAX_UPSTREAM_TIMEOUT_MS / 1000;
const TIMEOUT_MESSAGE = `Enter a whole number of seconds from 1 to ${UPSTREAM_TIMEOUT_MAX_SECONDS}`;

/** The form's "Upstream timeout", in seconds (stored as settings.upstreamTimeoutMs). */
export const upstreamTimeoutSecondsSchema = z
  .number({ error: TIMEOUT_MESSAGE })
  .int(TIMEOUT_MESSAGE)
  .min(1, TIMEOUT_MESSAGE)
  .max(UPSTREAM_TIMEOUT_MAX_SECONDS, TIMEOUT_MESSAGE);

/**
 * What the services accept for a credential's connection. Absent: leave as is (create: the catalog's).
 * null or '': back to the default (the catalog's base URL, the environment's timeout).
 */
export const connectionInputSchema = z.object({
  baseUrl: z.preprocess((v) => (v === '' ? null : v), baseUrlSchema.nullable().optional()),
  injection: injectionInputSchema.nullable().optional(),
  upstreamTimeoutMs: z
    .number({ error: TIMEOUT_MESSAGE })
    .int(TIMEOUT_MESSAGE)
    .min(1_000, TIMEOUT_MESSAGE)
    .max(MAX_UPSTREAM_TIMEOUT_MS, TIMEOUT_MESSAGE)
    .nullable()
    .optional(),
});
export type ConnectionInput = z.input<typeof connectionInputSchema>;

/** Inputs a form of this service and type does not show: whatever arrives is dropped. */
const notOffered = z.unknown().optional().transform(() => undefined);

/** The connection fields of the create and edit forms for a service and type (none offered for files, SMTP, …). */
function connectionFormShape(serviceId: string, type: CredentialType) {
  const spec = connectionSpecFor(serviceId, type);
  return {
    baseUrl: !spec.injectable ? notOffered : spec.baseUrlRequired ? baseUrlSchema : baseUrlSchema.optional(),
    upstreamTimeoutSeconds: spec.injectable ? upstreamTimeoutSecondsSchema.optional() : notOffered,
    injection: spec.injectionConfigurable ? injectionInputSchema : notOffered,
  };
}

/** The connection part of a successful form submission, as the services take it (an empty field means the default). */
export function connectionFromForm(
  serviceId: string,
  type: CredentialType,
  value: { baseUrl?: string; injection?: InjectionInput; upstreamTimeoutSeconds?: number },
): ConnectionInput {
  const spec = connectionSpecFor(serviceId, type);
  if (!spec.injectable) return {};
  return {
    baseUrl: value.baseUrl ?? null,
    ...(spec.injectionConfigurable ? { injection: value.injection ?? null } : {}),
    upstreamTimeoutMs: value.upstreamTimeoutSeconds === undefined ? null : value.upstreamTimeoutSeconds * 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// Expiry as the forms take it: a date, an optional time, and the browser's time zone.

const expiryFormShape = {
  expiresAt: z.string().trim().regex(DATE_PATTERN, 'Enter a date as YYYY-MM-DD').optional(),
  expiresTime: z.string().trim().regex(TIME_PATTERN, 'Enter a time as HH:MM, for example 17:30').optional(),
  timeZone: z.string().trim().max(64).optional(),
};

type ExpiryFormValue = { expiresAt?: string; expiresTime?: string; timeZone?: string };

/** The instant the form's expiry stands for (null: no expiry), or the field error it deserves. */
export function expiryFromForm(value: ExpiryFormValue): { ok: true; expiresAt: Date | null } | { ok: false; path: 'expiresAt' | 'expiresTime'; message: string } {
  if (!value.expiresAt) {
    return value.expiresTime ? { ok: false, path: 'expiresAt', message: 'Choose a date for this time' } : { ok: true, expiresAt: null };
  }
  const zone = value.timeZone || FALLBACK_TIME_ZONE;
  if (!isIanaTimeZone(zone)) {
    return { ok: false, path: 'expiresAt', message: 'Your browser sent a time zone Latchkey does not know; reload the page and try again' };
  }
  const instant = expiryInstant(value.expiresAt, value.expiresTime, zone);
  return instant ? { ok: true, expiresAt: instant } : { ok: false, path: 'expiresAt', message: 'Enter a date that exists, as YYYY-MM-DD' };
}

/**
 * The edit form's expiry: undefined when the person left what the form showed for the stored instant (the form
 * shows minutes, the instant may hold seconds), else the new instant or null for "no expiry".
 */
export function expiryFromEditForm(current: Date | string | null, value: ExpiryFormValue): Date | null | undefined {
  const zone = value.timeZone && isIanaTimeZone(value.timeZone) ? value.timeZone : FALLBACK_TIME_ZONE;
  const shown = expiryFormValues(current, zone);
  if (shown.date === (value.expiresAt ?? '') && shown.time === (value.expiresTime ?? '')) return undefined;
  const result = expiryFromForm(value);
  return result.ok ? result.expiresAt : undefined;
}

function checkExpiry(value: ExpiryFormValue, ctx: z.RefinementCtx, options: { future: boolean }) {
  const result = expiryFromForm(value);
  if (!result.ok) ctx.addIssue({ code: 'custom', path: [result.path], message: result.message });
  else if (options.future && result.expiresAt && !isFutureDate(result.expiresAt)) {
    ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: EXPIRY_IN_PAST_MESSAGE });
  }
}

// ---------------------------------------------------------------------------------------------
// The forms.

/**
 * The text fields of a service's API-key or username/password credential, nested under `fields`
 * (form inputs named "fields.key", "fields.username", …), with the catalog's format checks.
 * File credentials have no text fields: their bytes come through parseCredentialUpload.
 */
export function credentialValuesSchema(serviceId: string, type: ManualCredentialType) {
  return z.object({
    fields: type === 'file' ? z.object({}).optional() : credentialFieldsSchema(serviceId, type),
  });
}

/**
 * The whole "add credential" form for one service and type (client and server validate alike). `extra`
 * adds browser-only checks (the chosen file's size) before the cross-field expiry check.
 */
export function createCredentialSchema(serviceId: string, type: ManualCredentialType, extra: z.ZodRawShape = {}) {
  return z
    .object({
      name: credentialNameSchema,
      service: z.literal(serviceId, { error: 'Choose a service' }),
      type: z.literal(type, { error: 'Choose a credential type' }),
      description: credentialDescriptionSchema.optional().default(''),
      ...expiryFormShape,
      ...credentialValuesSchema(serviceId, type).shape,
      ...connectionFormShape(serviceId, type),
      ...extra,
    })
    .superRefine((value, ctx) => checkExpiry(value, ctx, { future: true }));
}

/**
 * The "edit details" form. OAuth credentials have no expiry field: the provider says when their tokens
 * expire. Whether a changed expiry lies ahead is the service's check (an expired key stays editable).
 */
export function editCredentialSchema(serviceId: string, type: CredentialType) {
  const base = z.object({
    name: credentialNameSchema,
    description: credentialDescriptionSchema.optional().default(''),
    ...connectionFormShape(serviceId, type),
  });
  if (type === 'oauth') return base;
  return base.extend(expiryFormShape).superRefine((value, ctx) => checkExpiry(value, ctx, { future: false }));
}

/** The replacement's `version` field: the positive integer the form was rendered with. */
export const expectedVersionSchema = z
  .string({ error: 'The form did not say which version it replaces; reload the page and try again' })
  .trim()
  .regex(/^[1-9]\d{0,8}$/, 'The form did not say which version it replaces; reload the page and try again')
  .transform(Number);

/** The "replace value" form for one service and type. */
export function replaceCredentialSecretSchema(serviceId: string, type: ManualCredentialType) {
  return credentialValuesSchema(serviceId, type);
}

/** zod issues → { field: [messages] }; nested paths are joined with dots, as conform names them. */
export function fieldErrorsFromZod(error: z.ZodError): FieldErrors {
  const result: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.map(String).join('.') || 'form';
    (result[key] ??= []).push(issue.message);
  }
  return result;
}
