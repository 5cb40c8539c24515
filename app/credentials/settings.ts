// The non-secret settings stored with a credential (Credential.settings): one schema for the forms that write them and the proxy and OAuth code that read them.
import { z } from 'zod';

/** Where a Custom credential's value goes in a request: a header (name and optional scheme) or a query parameter. */
export const injectionSettingSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('header'),
    header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'Use a header name of letters, digits and -'),
    scheme: z
      .string()
      .max(32, 'Keep the scheme under 32 characters')
      .regex(/^[A-Za-z0-9._~+/-]*$/, 'Use a scheme such as Bearer or Token')
      .optional(),
  }),
  z.object({
    kind: z.literal('query'),
    param: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'Use a parameter name of letters, digits, _, . and -'),
  }),
]);
export type InjectionSetting = z.infer<typeof injectionSettingSchema>;

/** Longest upstream wait a credential may ask for (a long non-streaming model call still fits). */
export const MAX_UPSTREAM_TIMEOUT_MS = 60 * 60_000;

/**
 * Every key is optional: a row written by an older version, or by a type that has no use for a key,
 * simply lacks it. Unknown keys are kept (loose) so a newer writer's keys survive an older reader.
 */
export const credentialSettingsSchema = z
  .object({
    /** The address the proxy forwards to (overrides the catalog's apiBaseUrl: GitHub Enterprise, Azure OpenAI, …). */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Custom services only: where the value goes. */
    injection: injectionSettingSchema.optional(),
    /** Per-credential time to the upstream's response headers, overriding the environment default. */
    upstreamTimeoutMs: z.number().int().min(1_000).max(MAX_UPSTREAM_TIMEOUT_MS).optional(),
    /** The catalog's non-secret fields (host, port, region, account SID …), shown on the detail page. */
    fields: z.record(z.string(), z.string()).optional(),
    /** Pasted OAuth tokens: how the client authenticates at the token URL, and where to revoke. */
    clientAuth: z.enum(['basic', 'post']).optional(),
    revocationUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** OAuth tokens a person pasted (no sign-in here, so the account is known only from a userinfo endpoint); gone after a Reconnect. */
    oauthSource: z.literal('pasted').optional(),
  })
  .loose();
export type CredentialSettings = z.infer<typeof credentialSettingsSchema>;

/** The stored settings, or {} for null and for anything that does not parse (never throws on old rows). */
export function parseCredentialSettings(value: unknown): CredentialSettings {
  const parsed = credentialSettingsSchema.safeParse(value ?? {});
  return parsed.success ? parsed.data : {};
}
