// Zod schemas of the agent API's responses: the handlers' shapes and the source of the OpenAPI document.
import { z } from 'zod';
import { credentialStatusSchema, statusCauseSchema } from '~/credentials/status';

export const errorCodes = [
  'unauthorized',
  'not_found',
  'credential_not_found',
  'credential_not_allowed',
  'credential_expired',
  'credential_needs_attention',
  'credential_disconnected',
  'credential_not_injectable',
  'no_base_url',
  'bad_path',
  'egress_refused',
  'redirect_refused',
  'payload_too_large',
  'upstream_timeout',
  'upstream_unreachable',
  'token_unavailable',
  'internal_error',
] as const;
export type ApiErrorCode = (typeof errorCodes)[number];

export const apiErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(errorCodes).meta({ description: 'Stable machine-readable reason' }),
      message: z.string().meta({ description: 'What happened, for a person; never contains secret material' }),
    }),
  })
  .meta({ id: 'Error' });

export const credentialSummarySchema = z
  .object({
    name: z.string().meta({ description: 'The name to use in /api/v1/proxy/{name}/…' }),
    type: z.enum(['oauth', 'api_key', 'password', 'file']),
    service: z.string().meta({ description: 'Catalog service id, e.g. github, openai, custom' }),
    status: credentialStatusSchema.meta({
      description:
        'Read at request time. active and expiring (inside the organization’s warning window) can be used; expired and disconnected cannot; needs_attention means a person must act (see statusCause: some causes still work, e.g. a refresh that is retrying)',
    }),
    statusCause: statusCauseSchema.nullable().meta({ description: 'Why the status is not active, typed; null when active or not recorded' }),
    statusReason: z.string().nullable().meta({ description: 'Why, in words a person can act on; null when the status was read from the clock (see expiresAt)' }),
    expiresAt: z.string().datetime().nullable(),
    lastUsedAt: z.string().datetime().nullable(),
    proxyPath: z
      .string()
      .nullable()
      .meta({ description: 'Where to send requests that should carry this credential; null for credential files, which are never injected into requests' }),
  })
  .meta({ id: 'Credential' });
export type CredentialSummary = z.infer<typeof credentialSummarySchema>;

export const credentialListSchema = z.object({ credentials: z.array(credentialSummarySchema) }).meta({ id: 'CredentialList' });
export type CredentialList = z.infer<typeof credentialListSchema>;

export const credentialNameParamSchema = z.string().regex(/^[A-Za-z0-9_:-]{1,100}$/);
