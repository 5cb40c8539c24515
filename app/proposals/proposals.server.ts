// Proposals: agents ask for the credentials they lack; a person approves (every slot applied and granted in one transaction) or rejects. See app/proposals/proposals.ts.
import { z } from 'zod';
import { matchesAllowlist } from '~/agents/allowlist';
import { clearAgentAuthCache } from '~/agents/agents.server';
import { recordAudit, type AuditContext } from '~/audit/audit.server';
import { onInvalidation, publishInvalidation } from '~/cluster/invalidation.server';
import { registerStatefulModule } from '~/cluster/stateful-modules.server';
import { credentialAuditContext } from '~/credentials/actor.server';
import { credentialFieldsFor, getService, oauthSpecFor, type CredentialType } from '~/credentials/catalog';
import { prepareManualCredential, type CredentialActor, type PreparedCredential } from '~/credentials/credentials.server';
import { CredentialError } from '~/credentials/errors';
import { invalidateCredentialCounts } from '~/credentials/query.server';
import { fieldErrorsFromZod } from '~/credentials/schemas';
import { prisma } from '~/db.server';
import { Prisma } from '~/generated/prisma/client';
import { enqueueAuditWebhook } from '~/notifications/webhooks.server';
import { OAuthError } from '~/oauth/errors';
import { prepareConnectedOAuthCredential, startSlotConnect, type ConnectedTokens } from '~/oauth/flow.server';
import { preparePastedOAuthCredential } from '~/oauth/pasted.server';
import { allows, can, deniedMessage, type Permission } from '~/orgs/permissions';
import {
  approveInputSchema,
  DEFAULT_PROPOSAL_EXPIRY_DAYS,
  isSensitiveKind,
  MAX_PENDING_PROPOSALS_PER_AGENT,
  MAX_PROPOSAL_WAIT_SECONDS,
  PROPOSAL_AUDIT_ACTIONS,
  proposalInputSchema,
  rejectInputSchema,
  type ProposalSlot,
  type ProposalStatus,
  type ProposalView,
  type SlotKind,
} from './proposals';
import { approvalPath } from './paths';
import { openProposalSecret, sealProposalSecret, tokensField, valueField } from './staging.server';

type Tx = Prisma.TransactionClient;

export class ProposalError extends Error {
  constructor(
    readonly code: 'not_found' | 'forbidden' | 'validation' | 'conflict' | 'limit',
    message: string,
    readonly fieldErrors: Record<string, string[]> = {},
  ) {
    super(message);
    this.name = 'ProposalError';
  }
}

/** The agent making a proposal (from its token). */
export interface ProposingAgent {
  id: string;
  name: string;
  organizationId: string;
  allowedCredentials: string[];
}

/** How long the one approval in progress holds the proposal (its checks may call providers). */
const APPROVING_LEASE_MS = 60_000;

const slotSelect = {
  position: true,
  action: true,
  kind: true,
  name: true,
  service: true,
  type: true,
  description: true,
  obtain: true,
  obtainInstructions: true,
  baseUrl: true,
  oauth: true,
  connectedAccount: true,
  connectedAt: true,
  credentialId: true,
} as const satisfies Prisma.ProposalSlotSelect;

const proposalSelect = {
  id: true,
  organizationId: true,
  status: true,
  message: true,
  createdAt: true,
  expiresAt: true,
  decidedAt: true,
  decidedByType: true,
  decidedByLabel: true,
  rejectReason: true,
  agent: { select: { id: true, name: true } },
  organization: { select: { slug: true } },
  slots: { select: slotSelect, orderBy: { position: 'asc' } },
} as const satisfies Prisma.ProposalSelect;

type ProposalRow = Prisma.ProposalGetPayload<{ select: typeof proposalSelect }>;

export { approvalPath };

function toView(row: ProposalRow, publicUrl: string, now: Date): ProposalView {
  // A pending proposal past its expiry reads as expired even before the sweep records it.
  const status: ProposalStatus = row.status === 'pending' && row.expiresAt <= now ? 'expired' : row.status;
  return {
    id: row.id,
    status,
    message: row.message,
    agent: row.agent,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decidedBy: row.decidedByType ? { type: row.decidedByType as 'user' | 'api_token' | 'system', label: row.decidedByLabel ?? '' } : null,
    reason: row.rejectReason,
    approvalUrl: `${publicUrl.replace(/\/+$/, '')}${approvalPath(row.organization.slug, row.id)}`,
    credentials: row.slots.map((slot) => {
      const oauth = slot.oauth as { authorizationUrl?: string; tokenUrl: string; scopes?: string[] } | null;
      return {
        position: slot.position,
        action: slot.action as 'set' | 'delete',
        kind: slot.kind as SlotKind,
        name: slot.name,
        service: slot.service,
        type: slot.type,
        description: slot.description,
        obtain: slot.obtain,
        obtainInstructions: slot.obtainInstructions,
        baseUrl: slot.baseUrl,
        hasValue: slot.kind === 'create_supplied',
        oauth: oauth ? { authorizationUrl: oauth.authorizationUrl ?? null, tokenUrl: oauth.tokenUrl, scopes: oauth.scopes ?? [] } : null,
        connected: slot.connectedAt ? { account: slot.connectedAccount, at: slot.connectedAt.toISOString() } : null,
        credentialId: slot.credentialId,
      };
    }),
  };
}

/** Field errors of the proposal body keyed as the body names them: credentials.0.name. */
function bodyErrors(error: z.ZodError): Record<string, string[]> {
  return fieldErrorsFromZod(error);
}

/** The types a catalog service supports, the preferred one first. */
function serviceTypes(service: string): CredentialType[] {
  const entry = getService(service);
  if (!entry) return [];
  const order: CredentialType[] = ['api_key', 'oauth', 'password', 'file'];
  return order.filter((t) => entry.auth[t] !== undefined);
}

/** The catalog's fields of a set slot as the approver fills them (an agent's single value goes to the first secret field). */
function suppliedFields(service: string, type: CredentialType, value: ProposalSlot['value']): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'string') return value;
  if (type === 'file') return { file: value };
  const primary = credentialFieldsFor(service, type).find((f) => f.secret);
  return { [primary?.name ?? 'key']: value };
}

interface PlannedSlot {
  slot: ProposalSlot;
  kind: SlotKind;
  service: string | null;
  type: CredentialType | null;
}

/** Decides each slot's kind and checks it against the organization's credentials and the agent's allowlist. */
async function planSlots(agent: ProposingAgent, slots: ProposalSlot[]): Promise<PlannedSlot[]> {
  const existing = await prisma.credential.findMany({
    where: { organizationId: agent.organizationId, name: { in: slots.map((s) => s.name) } },
    select: { name: true },
  });
  const names = new Set(existing.map((c) => c.name));
  const errors: Record<string, string[]> = {};
  const add = (index: number, field: string, message: string) => (errors[`credentials.${index}.${field}`] ??= []).push(message);
  let outsideAllowlist: string | null = null;
  const planned = slots.map((slot, index): PlannedSlot => {
    const allowed = matchesAllowlist(agent.allowedCredentials, slot.name);
    if (slot.action === 'delete') {
      if (!names.has(slot.name)) add(index, 'name', `No credential named ${slot.name}`);
      else if (!allowed) outsideAllowlist ??= slot.name;
      return { slot, kind: 'delete', service: null, type: null };
    }
    if (names.has(slot.name)) {
      if (slot.value !== undefined || slot.oauth) add(index, 'name', `${slot.name} already exists; a proposal cannot replace its value (ask a person to replace it), or propose another name`);
      else if (allowed) add(index, 'name', `${slot.name} is already in this agent’s allowlist`);
      return { slot, kind: 'grant', service: null, type: null };
    }
    const service = slot.service ?? 'custom';
    const supported = serviceTypes(service);
    if (supported.length === 0) add(index, 'service', `Unknown service ${service}: use a catalog id (latchkey types lists them) or custom`);
    const type: CredentialType = slot.oauth ? 'oauth' : (slot.type ?? (slot.value !== undefined ? supported.find((t) => t !== 'oauth') : supported[0]) ?? 'api_key');
    if (supported.length > 0 && !supported.includes(type)) add(index, 'type', `${getService(service)?.displayName ?? service} has no ${type} credentials; use ${supported.join(', ')}`);
    if (type === 'oauth' && !slot.oauth && !oauthSpecFor(service)) add(index, 'oauth', 'Give oauth.tokenUrl: where the tokens come from');
    if (slot.value !== undefined && typeof slot.value !== 'string' && supported.includes(type) && type !== 'oauth') {
      const known = new Set(credentialFieldsFor(service, type).map((f) => f.name));
      for (const key of Object.keys(slot.value)) if (!known.has(key)) add(index, `value.${key}`, `${getService(service)?.displayName ?? service} has no field ${key}`);
    }
    const kind: SlotKind = type === 'oauth' ? 'connect' : slot.value !== undefined ? 'create_supplied' : 'create';
    return { slot, kind, service, type };
  });
  if (Object.keys(errors).length > 0) throw new ProposalError('validation', 'Check the highlighted credentials', errors);
  if (outsideAllowlist) throw new ProposalError('forbidden', `A proposal may delete only credentials in the agent’s own allowlist; ${outsideAllowlist} is not in it`);
  return planned;
}

/** Creates a pending proposal; values the agent supplied are sealed before anything is stored. */
export async function createProposal(agent: ProposingAgent, input: unknown, options: { publicUrl: string; context: AuditContext; now?: Date }): Promise<ProposalView> {
  const now = options.now ?? new Date();
  const parsed = proposalInputSchema.safeParse(input);
  if (!parsed.success) throw new ProposalError('validation', 'Check the highlighted fields', bodyErrors(parsed.error));
  const planned = await planSlots(agent, parsed.data.credentials);
  const org = await prisma.organization.findUniqueOrThrow({ where: { id: agent.organizationId }, select: { proposalExpiryDays: true } });
  const expiresAt = new Date(now.getTime() + (org.proposalExpiryDays || DEFAULT_PROPOSAL_EXPIRY_DAYS) * 86_400_000);

  const { id, auditEventId } = await prisma.$transaction(async (tx) => {
    // The agent's row is the lock that makes the pending limit exact under concurrent proposals.
    await tx.$queryRaw`SELECT id FROM "Agent" WHERE id = ${agent.id}::uuid FOR UPDATE`;
    const pending = await tx.proposal.count({ where: { agentId: agent.id, status: 'pending', expiresAt: { gt: now } } });
    if (pending >= MAX_PENDING_PROPOSALS_PER_AGENT) {
      throw new ProposalError('limit', `This agent already has ${pending} pending proposals (at most ${MAX_PENDING_PROPOSALS_PER_AGENT}); wait for a decision or for them to expire`);
    }
    const proposal = await tx.proposal.create({
      data: {
        organizationId: agent.organizationId,
        agentId: agent.id,
        message: parsed.data.message,
        expiresAt,
        createdAt: now,
        slots: {
          create: planned.map(({ slot, kind, service, type }, position) => ({
            position,
            action: slot.action,
            kind,
            name: slot.name,
            service,
            type,
            description: slot.description,
            obtain: slot.obtain ?? null,
            obtainInstructions: slot.obtainInstructions ?? null,
            baseUrl: slot.baseUrl ?? null,
            oauth: slot.oauth ? { ...slot.oauth } : Prisma.DbNull,
          })),
        },
      },
      select: { id: true },
    });
    for (const [position, { slot, service, type }] of planned.entries()) {
      if (slot.value === undefined || !service || !type) continue;
      await sealProposalSecret(tx, agent.organizationId, proposal.id, valueField(position), JSON.stringify(suppliedFields(service, type, slot.value)));
    }
    const event = await recordAudit(tx, {
      organizationId: agent.organizationId,
      context: options.context,
      action: PROPOSAL_AUDIT_ACTIONS.created,
      targetType: 'proposal',
      targetId: proposal.id,
      details: {
        agent: agent.name,
        agentId: agent.id,
        expiresAt: expiresAt.toISOString(),
        slots: planned.map(({ slot, kind }) => ({ name: slot.name, action: slot.action, kind })),
      },
    });
    await publishInvalidation(tx, 'proposals', agent.organizationId);
    return { id: proposal.id, auditEventId: event.id };
  });
  await enqueueAuditWebhook(agent.organizationId, auditEventId);
  return getProposal({ organizationId: agent.organizationId }, id, { publicUrl: options.publicUrl, now });
}

/** One proposal of the organization (an agent sees only its own); another organization's id is simply not found. */
export async function getProposal(scope: { organizationId: string; agentId?: string }, id: string, options: { publicUrl: string; now?: Date }): Promise<ProposalView> {
  if (!z.guid().safeParse(id).success) throw new ProposalError('not_found', 'Proposal not found');
  const row = await prisma.proposal.findFirst({
    where: { id, organizationId: scope.organizationId, ...(scope.agentId ? { agentId: scope.agentId } : {}) },
    select: proposalSelect,
  });
  if (!row) throw new ProposalError('not_found', 'Proposal not found');
  return toView(row, options.publicUrl, options.now ?? new Date());
}

/** Waiters of a long poll, by organization; woken by the `proposals` invalidation (this process's changes and every other's). */
const waiters = new Map<string, Set<() => void>>();
registerStatefulModule('proposals/waiters', import.meta.url);
onInvalidation('proposals', ({ organizationId }) => {
  const sets = organizationId ? [waiters.get(organizationId)] : [...waiters.values()];
  for (const set of sets) for (const wake of set ?? []) wake();
});

/**
 * The proposal once it is no longer pending, or as it is after `seconds` (at most 30). Woken by the change's
 * notification; a slow re-read every 5 s covers a notification that never came.
 */
export async function waitForProposal(
  scope: { organizationId: string; agentId?: string },
  id: string,
  seconds: number,
  options: { publicUrl: string; signal?: AbortSignal },
): Promise<ProposalView> {
  const deadline = Date.now() + Math.min(Math.max(seconds, 0), MAX_PROPOSAL_WAIT_SECONDS) * 1000;
  let view = await getProposal(scope, id, options);
  while (view.status === 'pending' && Date.now() < deadline && !options.signal?.aborted) {
    await new Promise<void>((resolve) => {
      let set = waiters.get(scope.organizationId);
      if (!set) waiters.set(scope.organizationId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set!.delete(done);
        if (set!.size === 0) waiters.delete(scope.organizationId);
        options.signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(5_000, Math.max(deadline - Date.now(), 0)));
      set.add(done);
      options.signal?.addEventListener('abort', done);
    });
    view = await getProposal(scope, id, { publicUrl: options.publicUrl, now: new Date() });
  }
  return view;
}

export interface ProposalListFilter {
  status?: ProposalStatus;
  agentId?: string;
  offset: number;
  limit: number;
}

/** The organization's proposals, newest first (recording expiries first, so the status filter is exact). */
export async function listProposals(organizationId: string, filter: ProposalListFilter, options: { publicUrl: string; now?: Date }): Promise<{ proposals: ProposalView[]; more: boolean }> {
  const now = options.now ?? new Date();
  await expireDueProposals({ organizationId, now });
  const rows = await prisma.proposal.findMany({
    where: { organizationId, ...(filter.status ? { status: filter.status } : {}), ...(filter.agentId ? { agentId: filter.agentId } : {}) },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    skip: filter.offset,
    take: filter.limit + 1,
    select: proposalSelect,
  });
  return { proposals: rows.slice(0, filter.limit).map((row) => toView(row, options.publicUrl, now)), more: rows.length > filter.limit };
}

/** How many proposals wait for a person (the sidebar badge). */
export async function pendingProposalCount(organizationId: string, now = new Date()): Promise<number> {
  return prisma.proposal.count({ where: { organizationId, status: 'pending', expiresAt: { gt: now } } });
}

/**
 * Records the expiry of pending proposals past their time (audited, sealed values dropped). Run by the
 * maintenance worker for every organization and before a list, so no read depends on the sweep having run.
 */
export async function expireDueProposals(options: { organizationId?: string; now?: Date } = {}): Promise<number> {
  const now = options.now ?? new Date();
  const due = await prisma.proposal.findMany({
    where: { status: 'pending', expiresAt: { lte: now }, ...(options.organizationId ? { organizationId: options.organizationId } : {}) },
    select: { id: true, organizationId: true, agent: { select: { name: true } } },
    take: 500,
  });
  let expired = 0;
  for (const proposal of due) {
    const done = await prisma.$transaction(async (tx) => {
      const { count } = await tx.proposal.updateMany({
        where: { id: proposal.id, status: 'pending', expiresAt: { lte: now } },
        data: { status: 'expired', decidedAt: now, decidedByType: 'system', decidedByLabel: 'Latchkey' },
      });
      if (count !== 1) return false;
      await tx.proposalSecret.deleteMany({ where: { proposalId: proposal.id } });
      await recordAudit(tx, {
        organizationId: proposal.organizationId,
        context: { actor: { type: 'system', id: null, label: 'Latchkey' }, ip: null, userAgent: null },
        action: PROPOSAL_AUDIT_ACTIONS.expired,
        targetType: 'proposal',
        targetId: proposal.id,
        details: { agent: proposal.agent.name },
      });
      await publishInvalidation(tx, 'proposals', proposal.organizationId);
      return true;
    });
    if (done) expired += 1;
  }
  return expired;
}

function requireReview(actor: CredentialActor, permission: Permission): void {
  if (!allows(actor.role, permission)) throw new ProposalError('forbidden', deniedMessage(actor.role, permission));
}

async function loadPending(actor: CredentialActor, id: string, now: Date) {
  if (!z.guid().safeParse(id).success) throw new ProposalError('not_found', 'Proposal not found');
  const row = await prisma.proposal.findFirst({ where: { id, organizationId: actor.organizationId }, select: { ...proposalSelect, agentId: true } });
  if (!row) throw new ProposalError('not_found', 'Proposal not found');
  if (row.status !== 'pending' || row.expiresAt <= now) {
    const status = row.status === 'pending' ? 'expired' : row.status;
    const who = row.decidedByLabel ? ` by ${row.decidedByLabel}` : '';
    throw new ProposalError('conflict', `This proposal was already ${status}${who}${row.decidedAt ? ` at ${row.decidedAt.toISOString()}` : ''}; nothing was changed`);
  }
  return row;
}

function decider(actor: CredentialActor) {
  const who = credentialAuditContext(actor).actor;
  return { decidedByType: who.type, decidedById: who.id, decidedByLabel: who.label };
}

/** Field errors of one slot's checks, keyed as the approval names them: values.<slot name>.<field>. */
function slotErrors(name: string, error: unknown): Record<string, string[]> | null {
  const fields = error instanceof CredentialError || error instanceof OAuthError ? error.fieldErrors : null;
  if (!fields && !(error instanceof CredentialError || error instanceof OAuthError || error instanceof ProposalError)) return null;
  const message = (error as Error).message;
  const entries = Object.entries(fields ?? {});
  if (entries.length === 0) return { [`values.${name}`]: [message] };
  // The credential forms name the catalog's fields `fields.<name>`; a slot's fill names them directly.
  return Object.fromEntries(entries.map(([field, messages]) => [`values.${name}.${field.replace(/^fields\./, '')}`, messages]));
}

/** The file of a filled file slot: an uploaded File (the page) or { fileName, content (base64) } (the API). */
function fileOf(fill: Record<string, unknown>, slotName: string): { fileName: string; bytes: Buffer } | null {
  const file = fill.file;
  if (file && typeof file === 'object' && 'bytes' in file && Buffer.isBuffer((file as { bytes: unknown }).bytes)) return file as { fileName: string; bytes: Buffer };
  if (typeof fill.content === 'string') return { fileName: typeof fill.fileName === 'string' ? fill.fileName : `${slotName.replace(/:/g, '_')}.txt`, bytes: Buffer.from(fill.content, 'base64') };
  if (typeof file === 'string') return { fileName: `${slotName.replace(/:/g, '_')}${file.trimStart().startsWith('{') ? '.json' : '.txt'}`, bytes: Buffer.from(file, 'utf8') };
  return null;
}

type Fill = Record<string, unknown>;

function hasAny(fill: Fill | undefined): fill is Fill {
  return Boolean(fill) && Object.values(fill!).some((v) => (typeof v === 'string' ? v.trim() !== '' : v !== undefined && v !== null));
}

interface Applied {
  position: number;
  name: string;
  kind: SlotKind;
  prepared?: PreparedCredential;
  credentialId?: string;
}

/** Checks every slot (talking to providers where pasted tokens must be proven) and collects every slot's errors. */
async function prepareSlots(
  actor: CredentialActor,
  row: Awaited<ReturnType<typeof loadPending>> & { agentAllowlist: string[] },
  values: Record<string, Fill>,
): Promise<Applied[]> {
  const errors: Record<string, string[]> = {};
  const applied: Applied[] = [];
  const context = credentialAuditContext(actor);
  for (const slot of row.slots) {
    const fill = values[slot.name];
    const kind = slot.kind as SlotKind;
    const base = { name: slot.name, service: slot.service, type: slot.type, description: slot.description };
    try {
      if (kind === 'grant' || kind === 'delete') {
        const credential = await prisma.credential.findFirst({ where: { organizationId: actor.organizationId, name: slot.name }, select: { id: true, createdById: true } });
        if (!credential) throw new ProposalError('validation', `${slot.name} no longer exists`);
        if (kind === 'delete') {
          if (!can({ role: actor.role, userId: actor.userId }, 'credential.delete', credential)) throw new ProposalError('forbidden', deniedMessage(actor.role, 'credential.delete'));
          if (!matchesAllowlist(row.agentAllowlist, slot.name)) throw new ProposalError('validation', `${slot.name} is no longer in the agent’s allowlist; it may not be deleted through this proposal`);
        }
        applied.push({ position: slot.position, name: slot.name, kind, credentialId: credential.id });
        continue;
      }
      if (kind === 'connect') {
        const oauth = slot.oauth as { tokenUrl?: string } | null;
        const staged = await openProposalSecret(actor.organizationId, row.id, tokensField(slot.position));
        if (hasAny(fill)) {
          const prepared = await preparePastedOAuthCredential(actor, { ...base, ...fill, service: slot.service ?? 'custom', tokenUrl: fill.tokenUrl ?? oauth?.tokenUrl ?? '' });
          applied.push({ position: slot.position, name: slot.name, kind, prepared });
        } else if (staged) {
          const tokens = JSON.parse(staged) as ConnectedTokens;
          const prepared = prepareConnectedOAuthCredential(
            { organizationId: actor.organizationId, userId: actor.userId, context },
            { name: slot.name, service: slot.service ?? 'custom', description: slot.description },
            tokens,
          );
          applied.push({ position: slot.position, name: slot.name, kind, prepared });
        } else {
          throw new ProposalError('validation', 'Connect this account, or paste its tokens');
        }
        continue;
      }
      // What the person typed wins over what the agent supplied, field by field; empty inputs say nothing.
      const typed = Object.fromEntries(Object.entries(fill ?? {}).filter(([, v]) => (typeof v === 'string' ? v.trim() !== '' : v !== undefined && v !== null)));
      const supplied = kind === 'create_supplied' ? await openProposalSecret(actor.organizationId, row.id, valueField(slot.position)) : null;
      const { baseUrl, expiresAt, timeZone, ...given } = typed;
      const fields: Fill = { ...(supplied ? (JSON.parse(supplied) as Fill) : {}), ...given };
      const fileKeys = ['file', 'content', 'fileName'];
      if (!hasAny(Object.fromEntries(Object.entries(fields).filter(([key]) => slot.type === 'file' || !fileKeys.includes(key))))) {
        throw new ProposalError('validation', slot.type === 'file' ? 'Choose a file to upload' : 'Enter the value');
      }
      const prepared = await prepareManualCredential(actor, {
        ...base,
        baseUrl: baseUrl ?? slot.baseUrl ?? undefined,
        expiresAt,
        fields: Object.fromEntries(Object.entries(fields).filter(([key]) => !fileKeys.includes(key))),
        file: slot.type === 'file' ? fileOf(fields, slot.name) : null,
      });
      applied.push({ position: slot.position, name: slot.name, kind, prepared });
    } catch (error) {
      const found = slotErrors(slot.name, error);
      if (!found) throw error;
      for (const [key, messages] of Object.entries(found)) (errors[key] ??= []).push(...messages);
    }
  }
  if (Object.keys(errors).length > 0) {
    const slots = new Set(Object.keys(errors).map((k) => k.split('.')[1]));
    throw new ProposalError('validation', `Nothing was applied: ${slots.size === 1 ? `${[...slots][0]} needs` : `${slots.size} credentials need`} attention`, errors);
  }
  return applied;
}

/**
 * Approves a pending proposal: every slot is checked first (nothing is applied if any fails, and the errors
 * name each slot), then one transaction creates, deletes and grants them all, and records who approved.
 * Members may approve slots that only add credentials; deletes and agent-supplied values need an admin.
 */
export async function approveProposal(actor: CredentialActor, id: string, input: unknown, options: { publicUrl: string; now?: Date }): Promise<ProposalView> {
  const now = options.now ?? new Date();
  requireReview(actor, 'proposal.review');
  const parsed = approveInputSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ProposalError('validation', 'Check the highlighted fields', fieldErrorsFromZod(parsed.error));
  const pending = await loadPending(actor, id, now);
  if (pending.slots.some((s) => isSensitiveKind(s.kind as SlotKind))) requireReview(actor, 'proposal.approve_sensitive');
  const unknown = Object.keys(parsed.data.values).filter((name) => !pending.slots.some((s) => s.name === name));
  if (unknown.length > 0) throw new ProposalError('validation', `This proposal has no credential named ${unknown.join(', ')}`, Object.fromEntries(unknown.map((n) => [`values.${n}`, ['Not in this proposal']])));

  // One approval at a time: the checks below may prove a pasted refresh token, which a second approver must not reuse.
  const { count } = await prisma.proposal.updateMany({
    where: { id, status: 'pending', OR: [{ approvingUntil: null }, { approvingUntil: { lt: new Date() } }] },
    data: { approvingUntil: new Date(Date.now() + APPROVING_LEASE_MS) },
  });
  if (count !== 1) throw new ProposalError('conflict', 'Someone else is approving this proposal right now; reload in a moment');
  const agent = await prisma.agent.findUniqueOrThrow({ where: { id: pending.agentId }, select: { allowedCredentials: true } });
  try {
    const applied = await prepareSlots(actor, { ...pending, agentAllowlist: agent.allowedCredentials }, parsed.data.values);
    const context = credentialAuditContext(actor);
    const { granted, auditEventId } = await prisma.$transaction(async (tx) => {
      const decided = await tx.proposal.updateMany({
        where: { id, status: 'pending', expiresAt: { gt: now } },
        data: { status: 'approved', decidedAt: now, approvingUntil: null, ...decider(actor) },
      });
      if (decided.count !== 1) throw new ProposalError('conflict', 'This proposal was decided or expired meanwhile; nothing was changed');
      for (const slot of applied) {
        if (slot.prepared) {
          slot.credentialId = (await slot.prepared.write(tx, { details: { proposalId: id, agent: pending.agent.name } })).id;
        } else if (slot.kind === 'delete') {
          await deleteInProposal(tx, actor, slot, id);
        }
        await tx.proposalSlot.update({ where: { proposalId_position: { proposalId: id, position: slot.position } }, data: { credentialId: slot.credentialId ?? null } });
      }
      const granted = await grantToAgent(tx, pending.agentId, applied.filter((s) => s.kind !== 'delete').map((s) => s.name));
      await tx.proposalSecret.deleteMany({ where: { proposalId: id } });
      const event = await recordAudit(tx, {
        organizationId: actor.organizationId,
        context,
        action: PROPOSAL_AUDIT_ACTIONS.approved,
        targetType: 'proposal',
        targetId: id,
        details: {
          agent: pending.agent.name,
          agentId: pending.agent.id,
          slots: applied.map((s) => ({ name: s.name, kind: s.kind, credentialId: s.credentialId ?? null })),
          granted,
        },
      });
      await publishInvalidation(tx, 'proposals', actor.organizationId);
      return { granted, auditEventId: event.id };
    }).catch((error: unknown) => {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new ProposalError('conflict', 'A credential with one of these names was created meanwhile; nothing was applied. Reload and try again');
      }
      throw error;
    });
    for (const slot of applied) if (slot.prepared && slot.credentialId) await slot.prepared.afterCommit(slot.credentialId);
    if (applied.some((s) => s.kind === 'delete')) invalidateCredentialCounts(actor.organizationId);
    if (granted.length > 0) clearAgentAuthCache();
    await enqueueAuditWebhook(actor.organizationId, auditEventId);
    return getProposal({ organizationId: actor.organizationId }, id, { publicUrl: options.publicUrl, now });
  } finally {
    await prisma.proposal.updateMany({ where: { id, status: 'pending' }, data: { approvingUntil: null } });
  }
}

async function deleteInProposal(tx: Tx, actor: CredentialActor, slot: Applied, proposalId: string): Promise<void> {
  const row = await tx.credential.findFirst({ where: { id: slot.credentialId, organizationId: actor.organizationId }, select: { id: true, name: true, service: true, type: true } });
  if (!row) throw new ProposalError('conflict', `${slot.name} was deleted meanwhile; nothing was applied`);
  await tx.credential.delete({ where: { id: row.id } });
  await recordAudit(tx, {
    organizationId: actor.organizationId,
    context: credentialAuditContext(actor),
    action: 'credential.delete',
    targetType: 'credential',
    targetId: row.id,
    credentialId: row.id,
    details: { name: row.name, service: row.service, type: row.type, proposalId },
  });
}

/** Adds the names the agent's allowlist does not cover yet (the row locked, so a concurrent edit is not lost). */
async function grantToAgent(tx: Tx, agentId: string, names: string[]): Promise<string[]> {
  const rows = await tx.$queryRaw<Array<{ allowedCredentials: string[] }>>`SELECT "allowedCredentials" FROM "Agent" WHERE id = ${agentId}::uuid FOR UPDATE`;
  const current = rows[0]?.allowedCredentials ?? [];
  const added = names.filter((name) => !matchesAllowlist(current, name));
  if (added.length > 0) await tx.agent.update({ where: { id: agentId }, data: { allowedCredentials: [...current, ...added] } });
  return added;
}

/** Rejects a pending proposal with a reason the agent reads; its sealed values are dropped. */
export async function rejectProposal(actor: CredentialActor, id: string, input: unknown, options: { publicUrl: string; now?: Date }): Promise<ProposalView> {
  const now = options.now ?? new Date();
  requireReview(actor, 'proposal.review');
  const parsed = rejectInputSchema.safeParse(input ?? {});
  if (!parsed.success) throw new ProposalError('validation', 'Check the highlighted fields', fieldErrorsFromZod(parsed.error));
  const pending = await loadPending(actor, id, now);
  await prisma.$transaction(async (tx) => {
    const { count } = await tx.proposal.updateMany({
      where: { id, status: 'pending' },
      data: { status: 'rejected', decidedAt: now, rejectReason: parsed.data.reason, approvingUntil: null, ...decider(actor) },
    });
    if (count !== 1) throw new ProposalError('conflict', 'This proposal was decided meanwhile; nothing was changed');
    await tx.proposalSecret.deleteMany({ where: { proposalId: id } });
    await recordAudit(tx, {
      organizationId: actor.organizationId,
      context: credentialAuditContext(actor),
      action: PROPOSAL_AUDIT_ACTIONS.rejected,
      targetType: 'proposal',
      targetId: id,
      details: { agent: pending.agent.name, agentId: pending.agent.id, reason: parsed.data.reason },
    });
    await publishInvalidation(tx, 'proposals', actor.organizationId);
  });
  return getProposal({ organizationId: actor.organizationId }, id, { publicUrl: options.publicUrl, now });
}

/**
 * Shows an approver the value an agent supplied for a slot (audited; admins only, like a credential reveal).
 * The caller answers with Cache-Control: no-store.
 */
export async function revealSuppliedValue(actor: CredentialActor, id: string, position: number): Promise<Record<string, string>> {
  requireReview(actor, 'proposal.approve_sensitive');
  const pending = await loadPending(actor, id, new Date());
  const slot = pending.slots.find((s) => s.position === position && s.kind === 'create_supplied');
  if (!slot) throw new ProposalError('not_found', 'This slot has no value from the agent');
  const text = await openProposalSecret(actor.organizationId, id, valueField(position));
  if (text === null) throw new ProposalError('not_found', 'This slot has no value from the agent');
  await prisma.$transaction((tx) =>
    recordAudit(tx, {
      organizationId: actor.organizationId,
      context: credentialAuditContext(actor),
      action: PROPOSAL_AUDIT_ACTIONS.valueRevealed,
      targetType: 'proposal',
      targetId: id,
      details: { agent: pending.agent.name, slot: slot.name },
    }),
  );
  return JSON.parse(text) as Record<string, string>;
}

/** Connect for an OAuth slot from the approval page (the tokens wait on the slot until approval). */
export async function connectSlot(actor: CredentialActor, sessionId: string, id: string, position: number, appId?: string | null): Promise<{ authorizationUrl: string }> {
  requireReview(actor, 'proposal.review');
  const pending = await loadPending(actor, id, new Date());
  const slot = pending.slots.find((s) => s.position === position && s.kind === 'connect');
  if (!slot) throw new ProposalError('not_found', 'This proposal has no such OAuth slot');
  const oauth = slot.oauth as { tokenUrl?: string; scopes?: string[] } | null;
  return startSlotConnect(actor, sessionId, {
    proposalId: id,
    position,
    name: slot.name,
    service: slot.service,
    tokenUrl: oauth?.tokenUrl ?? null,
    scopes: oauth?.scopes ?? [],
    appId,
  });
}

/** Sets how many days a pending proposal waits (Settings). */
export async function setProposalExpiryDays(organizationId: string, days: number, context: AuditContext): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const before = await tx.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { proposalExpiryDays: true } });
    await tx.organization.update({ where: { id: organizationId }, data: { proposalExpiryDays: days } });
    await recordAudit(tx, {
      organizationId,
      context,
      action: 'organization.proposal_expiry_update',
      targetType: 'organization',
      targetId: organizationId,
      details: { from: before.proposalExpiryDays, to: days },
    });
  });
}
