// The approval page's forms on the server: `values.<slot>.<field>` (and uploaded files) read back into approveProposal's input, and what a refused form may echo.
import { getEnv } from '~/config/env.server';
import { credentialFieldsFor, type CredentialType } from '~/credentials/catalog';
import { CredentialError, formatByteLimit } from '~/credentials/errors';
import { readMultipartForm } from '~/credentials/files.server';
import { assertFormRequest, badRequest, readFormData } from '~/utils/http.server';
import { PROPOSAL_VALUE_MAX, type ProposalSlotView, type ProposalView } from './proposals';
import { ProposalError } from './proposals.server';

/** Pasted OAuth tokens: the field names the pasted-token service reads, and which of them are secret. */
export const PASTE_TOKEN_FIELDS = ['accessToken', 'refreshToken', 'expiresAt', 'clientId', 'clientSecret'] as const;
const SECRET_TOKEN_FIELDS = new Set(['accessToken', 'refreshToken', 'clientSecret']);

/** Room for the multipart envelope and the text fields around the files. */
const MULTIPART_OVERHEAD_BYTES = 256 * 1024;
const MAX_PARTS = 400;

export function fieldName(slot: string, field: string): string {
  return `values.${slot}.${field}`;
}

/** Slots the person answers with a file upload. */
export function fileSlots(proposal: Pick<ProposalView, 'credentials'>): ProposalSlotView[] {
  return proposal.credentials.filter((s) => s.type === 'file' && (s.kind === 'create' || s.kind === 'create_supplied'));
}

export interface ApprovalForm {
  form: FormData;
  values: Record<string, Record<string, unknown>>;
}

/**
 * Reads an approval form: urlencoded, or multipart when the proposal has file slots (each file bounded by
 * UPLOAD_MAX_BYTES while it streams, as the add form does). Blank fields are left out, so a slot left empty
 * falls back to the agent's value or the connected account.
 */
export async function readApprovalForm(request: Request, proposal: Pick<ProposalView, 'credentials'>): Promise<ApprovalForm> {
  const isMultipart = /^multipart\/form-data/i.test(request.headers.get('content-type') ?? '');
  const form = isMultipart ? await readMultipart(request, fileSlots(proposal)) : await readFormData(request);
  const values: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of form.entries()) {
    const match = /^values\.([^.]+)\.([^.]+)$/.exec(key);
    if (!match) continue;
    const [, slot, field] = match as unknown as [string, string, string];
    if (typeof value === 'string') {
      if (value.trim() === '') continue;
      (values[slot] ??= {})[field] = value;
    } else if (value.size > 0 || value.name !== '') {
      (values[slot] ??= {})[field] = { fileName: value.name, bytes: Buffer.from(await value.arrayBuffer()) };
    }
  }
  return { form, values };
}

async function readMultipart(request: Request, slots: ProposalSlotView[]): Promise<FormData> {
  assertFormRequest(request);
  if (!/;\s*boundary=/i.test(request.headers.get('content-type') ?? '')) throw badRequest('The form could not be read');
  const maxBytes = getEnv().UPLOAD_MAX_BYTES;
  const tooLarge = `The file is larger than ${formatByteLimit(maxBytes)}`;
  const fileFields = new Set(slots.map((s) => fieldName(s.name, 'file')));
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > Math.max(fileFields.size, 1) * maxBytes + MULTIPART_OVERHEAD_BYTES) {
    await request.body?.cancel().catch(() => undefined);
    throw new ProposalError('validation', `Nothing was applied: ${tooLarge}`, Object.fromEntries([...fileFields].map((f) => [f, [tooLarge]])));
  }
  try {
    return await readMultipartForm(request, { fileFields, maxBytes, maxTextBytes: PROPOSAL_VALUE_MAX, maxParts: MAX_PARTS });
  } catch (error) {
    // The add form's refusals, as the approval names them: nothing applied, the field that was refused.
    if (!(error instanceof CredentialError)) throw error;
    const fields = error.fieldErrors;
    const first = Object.values(fields)[0]?.[0] ?? error.message;
    throw new ProposalError('validation', `Nothing was applied: ${first}`, fields);
  }
}

function secretFieldsOf(slot: ProposalSlotView): Set<string> {
  if (slot.kind === 'connect') return SECRET_TOKEN_FIELDS;
  if (!slot.service || !slot.type) return new Set();
  return new Set(credentialFieldsFor(slot.service, slot.type as CredentialType).filter((f) => f.secret).map((f) => f.name));
}

/**
 * The values a refused approval fills in again, by form field name: only what the person typed into
 * fields the catalog calls non-secret. Secrets and files are never sent back (they are re-entered).
 */
export function echoedValues(proposal: Pick<ProposalView, 'credentials'>, values: ApprovalForm['values']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const slot of proposal.credentials) {
    const fill = values[slot.name];
    if (!fill) continue;
    const secret = secretFieldsOf(slot);
    const known =
      slot.kind === 'connect'
        ? new Set<string>(PASTE_TOKEN_FIELDS)
        : new Set(slot.service && slot.type ? credentialFieldsFor(slot.service, slot.type as CredentialType).map((f) => f.name) : []);
    for (const [field, value] of Object.entries(fill)) {
      if (typeof value === 'string' && known.has(field) && !secret.has(field)) out[fieldName(slot.name, field)] = value;
    }
  }
  return out;
}
