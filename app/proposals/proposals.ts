// Proposals: an agent asks for credentials it lacks (slots a person fills, values it generated, OAuth connections, deletes); a person approves or rejects. Shared by the server, the API and the pages.
import { z } from 'zod';
import { CREDENTIAL_TYPES } from '~/credentials/catalog';
import { credentialDescriptionSchema, credentialNameSchema } from '~/credentials/schemas';

export const MAX_PENDING_PROPOSALS_PER_AGENT = 20;
export const MAX_SLOTS_PER_PROPOSAL = 50;
export const PROPOSAL_MESSAGE_MAX = 2000;
export const DEFAULT_PROPOSAL_EXPIRY_DAYS = 7;
export const MAX_PROPOSAL_EXPIRY_DAYS = 90;
/** An agent-supplied value (one field, or the whole of a text file) is at most this long. */
export const PROPOSAL_VALUE_MAX = 64 * 1024;
/** `GET /proposals/:id?wait=N` waits at most this many seconds for a change. */
export const MAX_PROPOSAL_WAIT_SECONDS = 30;

export const PROPOSAL_STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUSES)[number];
export const SLOT_ACTIONS = ['set', 'delete'] as const;
export type SlotAction = (typeof SLOT_ACTIONS)[number];

export const PROPOSAL_AUDIT_ACTIONS = {
  created: 'proposal.created',
  approved: 'proposal.approved',
  rejected: 'proposal.rejected',
  expired: 'proposal.expired',
  /** A person connected an OAuth slot on the approval page: its tokens wait, sealed, for the approval. */
  slotConnected: 'proposal.slot_connected',
  /** An approver looked at a value the agent supplied. */
  valueRevealed: 'proposal.value_revealed',
} as const;

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const httpUrl = (message: string) =>
  z
    .url({ protocol: /^https?$/, error: message })
    .max(2048, 'Use at most 2048 characters');

export const slotOAuthSchema = z.object({
  authorizationUrl: z.preprocess(blankToUndefined, httpUrl('Enter the full http(s) authorization URL').optional()),
  tokenUrl: httpUrl('Enter the full http(s) token URL'),
  scopes: z.array(z.string().trim().min(1).max(200, 'Use at most 200 characters per scope')).max(50, 'At most 50 scopes').default([]),
});

/** A value the agent generated: one string (the credential's main secret field) or the catalog's fields by name. */
export const slotValueSchema = z.union([
  z.string().min(1, 'The value is empty').max(PROPOSAL_VALUE_MAX, `Use at most ${PROPOSAL_VALUE_MAX} characters`),
  z
    .record(z.string().max(100), z.string().max(PROPOSAL_VALUE_MAX, `Use at most ${PROPOSAL_VALUE_MAX} characters`))
    .refine((v) => Object.keys(v).length > 0 && Object.keys(v).length <= 20, 'Give between 1 and 20 fields'),
]);

export const proposalSlotSchema = z
  .object({
    action: z.enum(SLOT_ACTIONS, { error: 'Use "set" or "delete"' }).default('set'),
    name: credentialNameSchema,
    service: z.string().trim().max(100).regex(/^[a-z0-9_-]*$/, 'Use a catalog service id such as github or openai, or custom').optional(),
    type: z.enum(CREDENTIAL_TYPES, { error: `Use one of ${CREDENTIAL_TYPES.join(', ')}` }).optional(),
    description: credentialDescriptionSchema.default(''),
    /** Where a person gets the value (a URL shown as a link). */
    obtain: z.preprocess(blankToUndefined, httpUrl('Give the full http(s) address where the value is obtained').optional()),
    obtainInstructions: z.preprocess(blankToUndefined, z.string().trim().max(2000, 'Use at most 2000 characters').optional()),
    value: slotValueSchema.optional(),
    oauth: slotOAuthSchema.optional(),
    /** Where the proxy sends the agent's requests (needed for Custom services; a person can change it). */
    baseUrl: z.preprocess(blankToUndefined, httpUrl('Give the full http(s) base URL').optional()),
  })
  .superRefine((slot, ctx) => {
    if (slot.action === 'delete') {
      for (const key of ['value', 'oauth', 'service', 'type', 'baseUrl'] as const) {
        if (slot[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'A delete names only the credential' });
      }
      return;
    }
    if (slot.oauth && slot.type && slot.type !== 'oauth') ctx.addIssue({ code: 'custom', path: ['type'], message: 'An OAuth slot has type oauth' });
    if (slot.value !== undefined && (slot.oauth || slot.type === 'oauth')) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'OAuth tokens come from the provider: leave the value out of an OAuth slot' });
    }
  });
export type ProposalSlotInput = z.input<typeof proposalSlotSchema>;
export type ProposalSlot = z.output<typeof proposalSlotSchema>;

export const proposalInputSchema = z.object({
  message: z
    .string({ error: 'Say what the credentials are for' })
    .trim()
    .min(1, 'Say what the credentials are for')
    .max(PROPOSAL_MESSAGE_MAX, `Use at most ${PROPOSAL_MESSAGE_MAX} characters`),
  credentials: z
    .array(proposalSlotSchema)
    .min(1, 'Propose at least one credential')
    .max(MAX_SLOTS_PER_PROPOSAL, `At most ${MAX_SLOTS_PER_PROPOSAL} credentials per proposal`)
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((slot, index) => {
        if (seen.has(slot.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `${slot.name} is listed twice` });
        seen.add(slot.name);
      });
    }),
});
export type ProposalInput = z.input<typeof proposalInputSchema>;

/** What a person fills in for one slot at approval: the catalog's fields by name, a file, or pasted OAuth tokens. */
export const slotFillSchema = z.record(z.string().max(100), z.unknown());
export const approveInputSchema = z.object({
  values: z.record(credentialNameSchema, slotFillSchema).default({}),
});
export type ApproveInput = z.input<typeof approveInputSchema>;

export const rejectInputSchema = z.object({
  reason: z
    .string({ error: 'Say why, so the agent can act on it' })
    .trim()
    .min(1, 'Say why, so the agent can act on it')
    .max(1000, 'Use at most 1000 characters'),
});

export const proposalExpiryDaysSchema = z.coerce
  .number({ error: 'Enter a number of days' })
  .int('Enter a whole number of days')
  .min(1, 'At least 1 day')
  .max(MAX_PROPOSAL_EXPIRY_DAYS, `At most ${MAX_PROPOSAL_EXPIRY_DAYS} days`);

/**
 * How a slot will be applied, decided when the proposal is made:
 * - `create`: a new credential a person fills in (value, file, or pasted OAuth tokens);
 * - `create_supplied`: a new credential from the value the agent supplied (sealed);
 * - `connect`: a new OAuth credential a person connects (or pastes tokens for);
 * - `grant`: the credential exists; approval adds it to the agent's allowlist;
 * - `delete`: the credential (already in the agent's allowlist) is deleted.
 */
export const SLOT_KINDS = ['create', 'create_supplied', 'connect', 'grant', 'delete'] as const;
export type SlotKind = (typeof SLOT_KINDS)[number];

/** Kinds only an admin may approve (the role matrix's `proposal.approve_sensitive`). */
export function isSensitiveKind(kind: SlotKind): boolean {
  return kind === 'delete' || kind === 'create_supplied';
}

export interface ProposalSlotView {
  position: number;
  action: SlotAction;
  kind: SlotKind;
  name: string;
  service: string | null;
  type: string | null;
  description: string;
  obtain: string | null;
  obtainInstructions: string | null;
  baseUrl: string | null;
  /** The agent supplied a value (sealed; never in this view). */
  hasValue: boolean;
  oauth: { authorizationUrl: string | null; tokenUrl: string; scopes: string[] } | null;
  /** An OAuth slot connected on the approval page: the account its waiting tokens belong to. */
  connected: { account: string | null; at: string } | null;
  /** After approval: the credential the slot created, granted or deleted. */
  credentialId: string | null;
}

export interface ProposalDecider {
  type: 'user' | 'api_token' | 'system';
  label: string;
}

export interface ProposalView {
  id: string;
  status: ProposalStatus;
  message: string;
  agent: { id: string; name: string };
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
  decidedBy: ProposalDecider | null;
  /** Why it was rejected (the agent reads this). */
  reason: string | null;
  approvalUrl: string;
  credentials: ProposalSlotView[];
}
