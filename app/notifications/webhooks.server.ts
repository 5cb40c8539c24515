// Organization webhooks: signed JSON events for credential status changes, delivered by a queue with retries.
import crypto from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import { CREDENTIAL_STATUSES, isStatusCause, STATUS_CAUSES, STATUS_LABELS, storedCause, type CredentialStatusValue, type StoredStatus } from '~/credentials/status';
import { STATUS_CHANGED_ACTION } from '~/credentials/status.server';
import { getEnv } from '~/config/env.server';
import { approvalPath } from '~/proposals/paths';
import { prisma } from '~/db.server';
import { egressRequest, isEgressRequestError } from '~/egress/request.server';
import { logger } from '~/logger.server';
import { createQueue } from '~/queue/queue.server';
import { openSecret, sealSecret } from '~/vault/vault.server';
import { WEBHOOK_SECRET_FIELD } from '~/vault/sealed-fields';
import { SIGNATURE_HEADER } from './settings';

export const WEBHOOK_QUEUE = 'webhooks';
export const WEBHOOK_JOB = 'deliver';
export { SIGNATURE_HEADER };
export { WEBHOOK_SECRET_FIELD };
const DELIVERY_TIMEOUT_MS = 10_000;

function isCredentialStatus(value: unknown): value is CredentialStatusValue {
  return typeof value === 'string' && (CREDENTIAL_STATUSES as readonly string[]).includes(value);
}

/** Ids only: the worker loads the event from the audit log and the URL and secret from the organization. */
export type WebhookJobData = { organizationId: string; auditEventId: string };

/** Delivery retries: exponential backoff from `delayMs` (tests shorten it). */
export const webhookRetry = { attempts: 8, delayMs: 5_000 };

let queue: Queue<WebhookJobData> | undefined;
function webhookQueue(): Queue<WebhookJobData> {
  if (!queue || (queue as unknown as { closing?: unknown }).closing) queue = createQueue<WebhookJobData>(WEBHOOK_QUEUE);
  return queue;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` — the receiver recomputes it with the shared secret. */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const v1 = crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/** For receivers (and tests): checks the header against the body, in constant time, within `toleranceS`. */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string | null,
  opts: { toleranceS?: number; nowS?: number } = {},
): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || !parts.v1) return false;
  const now = opts.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceS ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1]!, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/** A new signing secret, sealed in the vault; returned once in plaintext for the person to copy. */
export async function rotateWebhookSecret(organizationId: string): Promise<string> {
  const secret = `whsec_${crypto.randomBytes(32).toString('base64url')}`;
  const sealed = await sealSecret({ organizationId, credentialId: organizationId, field: WEBHOOK_SECRET_FIELD, plaintext: secret });
  await prisma.organization.update({
    where: { id: organizationId },
    data: { webhookSecret: new Uint8Array(sealed.ciphertext), webhookSecretKeyVersion: sealed.keyVersion },
  });
  return secret;
}

async function openWebhookSecret(org: { id: string; webhookSecret: Uint8Array | null; webhookSecretKeyVersion: number | null }) {
  if (!org.webhookSecret || org.webhookSecretKeyVersion === null) return null;
  const bytes = await openSecret({
    organizationId: org.id,
    credentialId: org.id,
    field: WEBHOOK_SECRET_FIELD,
    ciphertext: org.webhookSecret,
    keyVersion: org.webhookSecretKeyVersion,
  });
  const secret = bytes.toString('utf8');
  bytes.fill(0);
  return secret;
}

/** Queues delivery of the credential's newest status change, when the organization has a webhook URL. */
export async function enqueueStatusWebhook(organizationId: string, credentialId: string): Promise<void> {
  const org = await prisma.organization.findUnique({ where: { id: organizationId }, select: { webhookUrl: true } });
  if (!org?.webhookUrl) return;
  const event = await prisma.auditEvent.findFirst({
    where: { organizationId, credentialId, action: STATUS_CHANGED_ACTION },
    orderBy: { seq: 'desc' },
    select: { id: true },
  });
  if (!event) return;
  await addDelivery(organizationId, event.id);
}

/** Queues delivery of one audit event that is also a webhook event (see WEBHOOK_EVENTS), when the organization has a webhook URL. */
export async function enqueueAuditWebhook(organizationId: string, auditEventId: bigint): Promise<void> {
  const org = await prisma.organization.findUnique({ where: { id: organizationId }, select: { webhookUrl: true } });
  if (!org?.webhookUrl) return;
  await addDelivery(organizationId, auditEventId);
}

async function addDelivery(organizationId: string, auditEventId: bigint): Promise<void> {
  await webhookQueue().add(
    WEBHOOK_JOB,
    { organizationId, auditEventId: auditEventId.toString() },
    {
      // One delivery per event, however often it is announced.
      jobId: `webhook-${auditEventId}`,
      attempts: webhookRetry.attempts,
      backoff: { type: 'exponential', delay: webhookRetry.delayMs, jitter: 0.5 },
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 1000 },
    },
  );
}

/** Audit actions delivered as webhook events, by the event type the receiver sees. */
export const WEBHOOK_EVENTS = {
  [STATUS_CHANGED_ACTION]: 'credential.status_changed',
  'proposal.created': 'proposal.created',
  'proposal.approved': 'proposal.approved',
  'proposal.rejected': 'proposal.rejected',
} as const;

/** The JSON body of the event an audit row announces (a status change, a proposal), never a secret value. */
export async function buildWebhookEvent(organizationId: string, auditEventId: string) {
  const event = await prisma.auditEvent.findFirst({
    where: { id: BigInt(auditEventId), organizationId },
    select: { id: true, action: true, createdAt: true, targetId: true, details: true, organization: { select: { id: true, slug: true } } },
  });
  if (!event) return null;
  if (event.action === STATUS_CHANGED_ACTION) return buildStatusEvent(organizationId, auditEventId);
  if (!event.action.startsWith('proposal.') || !(event.action in WEBHOOK_EVENTS) || !event.targetId) return null;
  const details = (event.details ?? {}) as { agent?: string; agentId?: string; slots?: unknown; reason?: string };
  const proposal = await prisma.proposal.findUnique({ where: { id: event.targetId }, select: { id: true, status: true, expiresAt: true, message: true } });
  return {
    id: `evt_${event.id}`,
    type: WEBHOOK_EVENTS[event.action as keyof typeof WEBHOOK_EVENTS],
    createdAt: event.createdAt.toISOString(),
    organization: event.organization,
    proposal: {
      id: event.targetId,
      status: proposal?.status ?? null,
      message: proposal?.message ?? null,
      expiresAt: proposal?.expiresAt.toISOString() ?? null,
      approvalUrl: `${getEnv().PUBLIC_URL.replace(/\/+$/, '')}${approvalPath(event.organization.slug, event.targetId)}`,
      agent: { id: details.agentId ?? null, name: details.agent ?? null },
      credentials: Array.isArray(details.slots) ? details.slots : [],
      ...(details.reason ? { reason: details.reason } : {}),
    },
  };
}

/** The JSON body of a status-change event: what changed, never a secret value. */
export async function buildStatusEvent(organizationId: string, auditEventId: string) {
  const event = await prisma.auditEvent.findFirst({
    where: { id: BigInt(auditEventId), organizationId },
    select: { id: true, createdAt: true, credentialId: true, details: true, organization: { select: { id: true, slug: true } } },
  });
  if (!event?.credentialId) return null;
  const credential = await prisma.credential.findUnique({
    where: { id: event.credentialId },
    select: { id: true, name: true, service: true, type: true, expiresAt: true },
  });
  return {
    id: `evt_${event.id}`,
    type: 'credential.status_changed',
    createdAt: event.createdAt.toISOString(),
    organization: event.organization,
    credential: credential
      ? { ...credential, expiresAt: credential.expiresAt?.toISOString() ?? null }
      : { id: event.credentialId, deleted: true },
    status: statusChangeBody(event.details, credential?.type ?? 'api_key'),
  };
}

/**
 * The `status` of an event, in the one vocabulary of app/credentials/status.ts: from and to (active, expiring,
 * expired, needs_attention, disconnected), the label pages show, the typed cause, whether agents can still
 * use the credential, and the reason in words. Events written before causes existed get the cause their
 * status implies (an old "needs attention: Expires …" was the expiring warning).
 */
export function statusChangeBody(raw: unknown, type: StoredStatus['type']) {
  const details = (raw && typeof raw === 'object' ? raw : {}) as { from?: unknown; to?: unknown; reason?: unknown; cause?: unknown };
  const status = (value: unknown) => (isCredentialStatus(value) ? value : null);
  const to = status(details.to);
  const reason = typeof details.reason === 'string' ? details.reason : null;
  const cause =
    to === null || to === 'active'
      ? null
      : storedCause({ type, status: to, statusCause: isStatusCause(details.cause) ? details.cause : null, statusReason: reason });
  return {
    from: status(details.from),
    to,
    label: to ? STATUS_LABELS[to] : null,
    cause,
    usable: to === 'active' || (cause ? STATUS_CAUSES[cause].usable : false),
    reason,
  };
}

/** The queue processor: POSTs the signed event; a non-2xx answer throws, so BullMQ retries with backoff. */
export async function deliverWebhookJob(job: Job<WebhookJobData>): Promise<{ status: number }> {
  const { organizationId, auditEventId } = job.data;
  const org = await prisma.organization.findUnique({
    where: { id: organizationId },
    select: { id: true, webhookUrl: true, webhookSecret: true, webhookSecretKeyVersion: true, allowPrivateHosts: true },
  });
  if (!org?.webhookUrl) return { status: 0 };
  const payload = await buildWebhookEvent(organizationId, auditEventId);
  if (!payload) return { status: 0 };
  const secret = await openWebhookSecret(org);
  if (!secret) {
    logger.warn({ organizationId }, 'webhook URL set without a signing secret; not delivering');
    return { status: 0 };
  }
  const body = JSON.stringify(payload);
  const signature = signWebhook(secret, body, Math.floor(Date.now() / 1000));
  // Through the egress policy (judged after DNS resolution, at every attempt); a redirect is not followed.
  // Errors name neither the URL (it may carry the receiver's own secret) nor what the receiver answered.
  let status: number;
  try {
    ({ status } = await egressRequest(org.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Latchkey-Webhooks/1', [SIGNATURE_HEADER.toLowerCase()]: signature },
      body,
      allowPrivateHosts: org.allowPrivateHosts,
      timeoutMs: DELIVERY_TIMEOUT_MS,
    }));
  } catch (error) {
    if (isEgressRequestError(error)) throw new Error(`webhook not delivered: ${error.message}`);
    throw error;
  }
  if (status < 200 || status >= 300) throw new Error(`webhook answered HTTP ${status}`);
  return { status };
}
