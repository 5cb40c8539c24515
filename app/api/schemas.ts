// Zod schemas of the API's requests and responses: the handlers' shapes and the source of the OpenAPI document.
import { z } from 'zod';
import { CREDENTIAL_TYPES, SERVICE_CATEGORIES } from '~/credentials/catalog';
import { credentialStatusSchema, statusCauseSchema } from '~/credentials/status';
import { ROLES } from '~/orgs/roles';

export const errorCodes = [
  'unauthorized',
  'forbidden',
  'management_token_required',
  'not_found',
  'credential_not_found',
  'agent_not_found',
  'proposal_not_found',
  'proposal_limit_reached',
  'service_not_found',
  'credential_not_allowed',
  'credential_expired',
  'credential_needs_attention',
  'credential_disconnected',
  'credential_not_injectable',
  'no_base_url',
  'bad_path',
  'bad_json',
  'unsupported_media_type',
  'validation_failed',
  'conflict',
  'version_conflict',
  'idempotency_key_reused',
  'idempotency_in_progress',
  'delivery_not_allowed',
  'reveal_not_allowed',
  'egress_refused',
  'redirect_refused',
  'payload_too_large',
  'upstream_timeout',
  'upstream_unreachable',
  'token_unavailable',
  'oauth_failed',
  'internal_error',
] as const;
export type ApiErrorCode = (typeof errorCodes)[number];

export const apiErrorSchema = z
  .object({
    code: z.enum(errorCodes).meta({ description: 'Stable machine-readable reason' }),
    message: z.string().meta({ description: 'What happened, for a person; never contains secret material' }),
    fields: z
      .record(z.string(), z.array(z.string()))
      .optional()
      .meta({ description: 'Field-level messages (validation_failed), keyed by field name as sent (nested fields joined with dots, e.g. fields.key)' }),
  })
  .meta({ id: 'Error' });

const dateTime = z.iso.datetime();
const nextCursor = z.string().nullable().meta({ description: 'Pass as ?cursor= for the next page; null on the last page' });

export const grantModeSchema = z.enum(['proxy', 'deliver']);

export const credentialSchema = z
  .object({
    name: z.string().meta({ description: 'Unique in the organization; the name to use in /api/v1/proxy/{name}/…' }),
    type: z.enum(CREDENTIAL_TYPES),
    service: z.string().meta({ description: 'Catalog service id, e.g. github, openai, custom' }),
    description: z.string(),
    status: credentialStatusSchema.meta({
      description:
        'Read at request time. active and expiring (inside the organization’s warning window) can be used; expired and disconnected cannot; needs_attention means a person must act (see statusCause)',
    }),
    statusCause: statusCauseSchema.nullable().meta({ description: 'Why the status is not active, typed; null when active or not recorded' }),
    statusReason: z.string().nullable().meta({ description: 'Why, in words a person can act on; null when the status was read from the clock (see expiresAt)' }),
    expiresAt: dateTime.nullable(),
    lastUsedAt: dateTime.nullable(),
    createdAt: dateTime,
    updatedAt: dateTime,
    version: z.int().meta({ description: 'The value’s version: PUT …/value names the version it replaces' }),
    baseUrl: z.string().nullable().meta({ description: 'Where the proxy forwards requests (the credential’s own, else the catalog’s); null when none' }),
    proxyPath: z.string().nullable().meta({ description: 'Where to send requests that should carry this credential; null for files' }),
    username: z.string().nullable(),
    file: z.object({ name: z.string(), size: z.int(), kind: z.string().nullable() }).nullable(),
    oauth: z.object({ provider: z.string().nullable(), account: z.string().nullable(), scopes: z.array(z.string()) }).nullable(),
    mode: grantModeSchema.nullable().meta({ description: 'For an agent token: proxy (used through the proxy only) or deliver (POST …/deliver gives the value); null for management tokens' }),
  })
  .meta({ id: 'Credential' });
export type ApiCredential = z.infer<typeof credentialSchema>;

export const credentialListSchema = z.object({ credentials: z.array(credentialSchema), nextCursor }).meta({ id: 'CredentialList' });

export const valueSchema = z
  .object({
    name: z.string(),
    type: z.enum(CREDENTIAL_TYPES),
    service: z.string(),
    fields: z.record(z.string(), z.string()).meta({ description: 'Secret and non-secret fields by name (key, username, password, access_token, …)' }),
    file: z.object({ name: z.string(), contentType: z.string(), base64: z.string() }).nullable(),
  })
  .meta({ id: 'CredentialValue' });
export type ApiValue = z.infer<typeof valueSchema>;

const injectionSchema = z
  .union([
    z.object({ kind: z.literal('header'), header: z.string(), scheme: z.string().optional(), field: z.string().optional() }),
    z.object({ kind: z.literal('query'), param: z.string(), field: z.string().optional() }),
    z.object({ kind: z.literal('basic'), usernameField: z.string().optional(), passwordField: z.string().optional() }),
    z.object({ kind: z.literal('none') }),
  ])
  .meta({ id: 'Injection' });

export const serviceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    category: z.enum(SERVICE_CATEGORIES),
    docsUrl: z.string().nullable(),
    baseUrl: z.string().nullable(),
    env: z.object({
      value: z.array(z.string()).meta({ description: 'Environment variables programs read the main secret from, e.g. GITHUB_TOKEN, GH_TOKEN' }),
      baseUrl: z
        .object({ name: z.string(), path: z.string() })
        .nullable()
        .meta({ description: 'The SDK base-URL variable (e.g. OPENAI_BASE_URL) and the path its value ends with (e.g. /v1)' }),
    }),
    types: z.array(
      z.object({
        type: z.enum(CREDENTIAL_TYPES),
        injection: injectionSchema,
        fields: z.array(
          z.object({
            name: z.string(),
            label: z.string(),
            help: z.string(),
            secret: z.boolean(),
            optional: z.boolean(),
            input: z.string(),
            placeholder: z.string().nullable(),
            pattern: z.string().nullable().meta({ description: 'JavaScript regular expression source the value must match' }),
            patternMessage: z.string().nullable(),
            envVar: z.string().nullable(),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'Service' });
export type ApiService = z.infer<typeof serviceSchema>;

export const serviceListSchema = z.object({ services: z.array(serviceSchema) }).meta({ id: 'ServiceList' });

export const meSchema = z
  .object({
    kind: z.enum(['agent', 'management']),
    organization: z.object({ slug: z.string() }),
    agent: z.object({ name: z.string() }).nullable(),
    token: z.object({ name: z.string(), prefix: z.string(), role: z.enum(ROLES).nullable(), reveal: z.boolean(), expiresAt: dateTime.nullable() }),
  })
  .meta({ id: 'Me' });

export const allowlistEntrySchema = z
  .object({
    credential: z.string().meta({ description: 'A credential name, or a pattern with * wildcards' }),
    mode: grantModeSchema.default('proxy'),
  })
  .meta({ id: 'AllowlistEntry' });

export const requirementEntrySchema = z
  .object({
    name: z.string().meta({ description: 'A credential name (github_token, git_ssh:botty)' }),
    service: z.string().optional(),
    type: z.enum(CREDENTIAL_TYPES).optional(),
    optional: z.boolean().optional(),
    description: z.string().optional(),
  })
  .meta({ id: 'Requirement' });
export const agentSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    allowlist: z.array(z.object({ credential: z.string(), mode: grantModeSchema })),
    tokens: z.array(z.object({ prefix: z.string(), createdAt: dateTime, lastUsedAt: dateTime.nullable() })),
    requirements: z.array(requirementEntrySchema).meta({ description: 'What the agent needs (GET /doctor checks them)' }),
    createdAt: dateTime,
    lastUsedAt: dateTime.nullable(),
  })
  .meta({ id: 'Agent' });
export type ApiAgent = z.infer<typeof agentSchema>;

export const requirementsBodySchema = z.object({ requirements: z.array(requirementEntrySchema) }).meta({ id: 'Requirements' });

export const doctorSchema = z
  .object({
    ok: z.boolean().meta({ description: 'False when a required entry is anything but ok or expiring' }),
    checkedAt: dateTime,
    requirements: z.array(
      z.object({
        name: z.string(),
        required: z.boolean(),
        service: z.string().nullable(),
        type: z.string().nullable(),
        description: z.string(),
        state: z.enum(['ok', 'missing', 'not_allowed', 'expiring', 'expired', 'needs_attention', 'disconnected']),
        reason: z.string().nullable(),
        fixUrl: z.string().nullable().meta({ description: 'The portal page where a person fixes it' }),
        expiresAt: dateTime.nullable(),
      }),
    ),
  })
  .meta({ id: 'DoctorReport' });

export const agentListSchema = z.object({ agents: z.array(agentSchema), nextCursor }).meta({ id: 'AgentList' });
export const agentCreatedSchema = z.object({ agent: agentSchema, token: z.string().meta({ description: 'Shown once; Latchkey keeps only its hash' }) }).meta({ id: 'AgentCreated' });
export const agentTokenSchema = z.object({ token: z.string(), prefix: z.string() }).meta({ id: 'AgentToken' });

export const auditEventSchema = z
  .object({
    seq: z.int(),
    createdAt: dateTime,
    actorType: z.enum(['user', 'agent', 'api_token', 'system']),
    actorLabel: z.string(),
    action: z.string(),
    targetType: z.string().nullable(),
    credentialName: z.string().nullable(),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'AuditEvent' });
export const auditListSchema = z.object({ events: z.array(auditEventSchema), nextCursor }).meta({ id: 'AuditEventList' });

export const deletedSchema = z.object({ deleted: z.literal(true), revocation: z.string().nullable().optional() }).meta({ id: 'Deleted' });
export const revokedSchema = z.object({ revoked: z.literal(true) }).meta({ id: 'Revoked' });
export const connectStartedSchema = z
  .object({ authorizationUrl: z.string().meta({ description: 'Open in a browser signed in to Latchkey: it confirms, then continues to the provider' }), expiresAt: dateTime })
  .meta({ id: 'ConnectStarted' });

// ---- Requests (shape only: the credential services validate values with the forms' schemas) ----

export const credentialCreateBodySchema = z
  .object({
    name: z.string(),
    service: z.string(),
    type: z.enum(['api_key', 'password', 'file']),
    description: z.string().optional(),
    expiresAt: dateTime.nullable().optional(),
    baseUrl: z.string().nullable().optional(),
    fields: z.record(z.string(), z.string()).optional(),
  })
  .meta({ id: 'CredentialCreate' });

export const credentialPatchBodySchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    expiresAt: dateTime.nullable().optional(),
    baseUrl: z.string().nullable().optional(),
  })
  .meta({ id: 'CredentialPatch' });

export const credentialValueBodySchema = z
  .object({ version: z.int().min(1).meta({ description: 'The version being replaced (from GET)' }), fields: z.record(z.string(), z.string()).optional() })
  .meta({ id: 'CredentialValueReplace' });

export const agentBodySchema = z
  .object({ name: z.string(), description: z.string().optional(), allowlist: z.array(allowlistEntrySchema).optional() })
  .meta({ id: 'AgentCreate' });
export const agentPatchBodySchema = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    allowlist: z.array(allowlistEntrySchema).optional(),
    requirements: z.array(requirementEntrySchema).optional(),
  })
  .meta({ id: 'AgentPatch' });

export const credentialNameParamSchema = z.string().regex(/^[A-Za-z0-9_:-]{1,100}$/);

export const pastedTokensBodySchema = z
  .object({
    service: z.string(),
    accessToken: z.string(),
    refreshToken: z.string().optional(),
    expiresAt: dateTime.optional().meta({ description: 'When the access token expires' }),
    description: z.string().optional(),
    tokenUrl: z.string().optional().meta({ description: 'Where to refresh; absent: the organization’s app for the service' }),
    clientId: z.string().optional(),
    clientSecret: z.string().optional(),
    clientAuth: z.enum(['basic', 'post']).optional(),
    appId: z.string().optional().meta({ description: 'Which of the organization’s OAuth apps issued the tokens' }),
  })
  .meta({ id: 'PastedTokens' });

export const proposalSlotBodySchema = z
  .object({
    action: z.enum(['set', 'delete']).optional().meta({ description: 'set (default): add the credential (or grant an existing one); delete: one in the agent’s allowlist' }),
    name: z.string().meta({ description: 'A credential name (stripe_key, git_ssh:botty)' }),
    service: z.string().optional().meta({ description: 'A catalog service id, or custom' }),
    type: z.enum(CREDENTIAL_TYPES).optional(),
    description: z.string().optional(),
    obtain: z.string().optional().meta({ description: 'Where a person gets the value (http(s) URL)' }),
    obtainInstructions: z.string().optional(),
    value: z
      .union([z.string(), z.record(z.string(), z.string())])
      .optional()
      .meta({ description: 'A value the agent generated: sealed at once, shown to the approver masked; needs an admin to approve' }),
    oauth: z
      .object({ authorizationUrl: z.string().optional(), tokenUrl: z.string(), scopes: z.array(z.string()).optional() })
      .optional()
      .meta({ description: 'An OAuth slot: a person connects (or pastes tokens) on the approval page' }),
    baseUrl: z.string().optional().meta({ description: 'Where the proxy sends requests (needed for custom services; the approver may change it)' }),
  })
  .meta({ id: 'ProposalSlotInput' });

export const proposalBodySchema = z
  .object({ message: z.string(), credentials: z.array(proposalSlotBodySchema) })
  .meta({ id: 'ProposalInput' });

export const proposalSchema = z
  .object({
    id: z.string(),
    status: z.enum(['pending', 'approved', 'rejected', 'expired']),
    message: z.string(),
    agent: z.object({ id: z.string(), name: z.string() }),
    createdAt: dateTime,
    expiresAt: dateTime,
    decidedAt: dateTime.nullable(),
    decidedBy: z.object({ type: z.enum(['user', 'api_token', 'system']), label: z.string() }).nullable(),
    reason: z.string().nullable().meta({ description: 'Why it was rejected' }),
    approvalUrl: z.string().meta({ description: 'The portal page where a person approves it' }),
    credentials: z.array(
      z.object({
        position: z.number().int(),
        action: z.enum(['set', 'delete']),
        kind: z.enum(['create', 'create_supplied', 'connect', 'grant', 'delete']).meta({
          description: 'create: a person fills it; create_supplied: from the agent’s value; connect: OAuth; grant: exists, access is granted; delete',
        }),
        name: z.string(),
        service: z.string().nullable(),
        type: z.string().nullable(),
        description: z.string(),
        obtain: z.string().nullable(),
        obtainInstructions: z.string().nullable(),
        baseUrl: z.string().nullable(),
        hasValue: z.boolean().meta({ description: 'The agent supplied a value (never returned)' }),
        oauth: z.object({ authorizationUrl: z.string().nullable(), tokenUrl: z.string(), scopes: z.array(z.string()) }).nullable(),
        connected: z.object({ account: z.string().nullable(), at: dateTime }).nullable(),
        credentialId: z.string().nullable().meta({ description: 'After approval: the credential created, granted or deleted' }),
      }),
    ),
  })
  .meta({ id: 'Proposal' });

export const proposalListSchema = z.object({ proposals: z.array(proposalSchema), nextCursor }).meta({ id: 'ProposalList' });

export const proposalApproveBodySchema = z
  .object({
    values: z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .optional()
      .meta({ description: 'Per slot name, the fields a person fills: the catalog’s fields (key, username, password…), { fileName, content (base64) } for files, { accessToken, refreshToken?, expiresAt?, clientId?, clientSecret? } for OAuth slots' }),
  })
  .meta({ id: 'ProposalApproval' });

export const proposalRejectBodySchema = z.object({ reason: z.string() }).meta({ id: 'ProposalRejection' });
