// zod schemas for credential input, shared by the portal's forms, the API and the services.
import { z } from 'zod';
import { credentialFieldsSchema } from '~/credentials/catalog';
import type { FieldErrors } from '~/credentials/errors';

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

/** "2027-01-31" means midnight UTC of that day; full ISO timestamps and Date objects pass through. */
function toDateOrNull(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return new Date(`${text}T00:00:00.000Z`);
    if (/^\d{4}-\d{2}-\d{2}T/.test(text)) return new Date(text);
    return new Date(Number.NaN);
  }
  return value;
}

/** An expiry date as entered, or null when left empty. Does not check that it lies in the future. */
export const expiresAtInputSchema = z.preprocess(
  toDateOrNull,
  z.date({ error: 'Enter a valid date (YYYY-MM-DD)' }).nullable(),
);

export function isFutureDate(date: Date, now: Date = new Date()): boolean {
  return date.getTime() > now.getTime();
}

export const EXPIRY_IN_PAST_MESSAGE = 'The expiry date must be in the future';

/** An expiry date that must lie in the future, or empty. */
export const futureExpiresAtSchema = expiresAtInputSchema.refine(
  (date) => date === null || isFutureDate(date),
  EXPIRY_IN_PAST_MESSAGE,
);

/** The fields every manual credential has, whatever its type. */
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

/** The whole "add credential" form for one service and type (client and server validate alike). */
export function createCredentialSchema(serviceId: string, type: ManualCredentialType) {
  return credentialBaseSchema.extend({
    service: z.literal(serviceId, { error: 'Choose a service' }),
    type: z.literal(type, { error: 'Choose a credential type' }),
    ...credentialValuesSchema(serviceId, type).shape,
  });
}

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
