// A credential's status (./status.ts): change it with its typed cause, audit it, announce it; read it as it stands now.
import type { AuditContext } from '~/audit/audit.server';
import { recordAudit } from '~/audit/audit.server';
import { prisma, type Prisma } from '~/db.server';
import type { CredentialStatus } from '~/generated/prisma/enums';
import { REFRESH_TOKEN_FIELD } from '~/jobs/refresh-schedule.server';
import { logger } from '~/logger.server';
import { invalidateCredentialCounts } from './query.server';
import { STATUS_CAUSES, statusNow, type StatusCause, type StatusNow } from './status';

export const STATUS_CHANGED_ACTION = 'credential.status_changed';

export interface SetCredentialStatusInput {
  credentialId: string;
  organizationId: string;
  status: CredentialStatus;
  /** Why, in words a person can act on ("Refresh failing since …: invalid_grant"); null for active. */
  reason: string | null;
  /**
   * Why, typed (a key of STATUS_CAUSES belonging to `status`); ignored for active. It decides whether the
   * proxy may still use the credential. Left out, a status that does not change keeps its stored cause.
   */
  cause?: StatusCause | null;
  context: AuditContext;
  /** When the change happened (tests inject a clock); defaults to now. */
  now?: Date;
}

export interface SetCredentialStatusResult {
  /** The status itself changed (an audit row was written and the change should be announced). */
  changed: boolean;
  /** Only the reason or the cause changed (e.g. another refresh error): updated, not audited. */
  reasonChanged: boolean;
  previousStatus: CredentialStatus | null;
  auditEventId: string | null;
}

/**
 * Sets the status inside the caller's transaction. A status that does not change writes nothing
 * (so sweeps and retries are idempotent); a new reason under the same status is updated quietly; a
 * new status also moves statusChangedAt and writes a `credential.status_changed` audit row. After the
 * transaction commits, call `notifyStatusChange(credentialId)` when `changed` is true.
 */
export async function setCredentialStatus(
  tx: Prisma.TransactionClient,
  input: SetCredentialStatusInput,
): Promise<SetCredentialStatusResult> {
  const now = input.now ?? new Date();
  if (input.status !== 'active' && input.cause && STATUS_CAUSES[input.cause].status !== input.status) {
    throw new Error(`Status cause ${input.cause} belongs to ${STATUS_CAUSES[input.cause].status}, not ${input.status}`);
  }
  // Row lock: two writers deciding a status for the same credential take turns.
  const rows = await tx.$queryRaw<{ status: CredentialStatus; statusReason: string | null; statusCause: string | null }[]>`
    SELECT status, "statusReason", "statusCause" FROM "Credential"
    WHERE id = ${input.credentialId}::uuid AND "organizationId" = ${input.organizationId}::uuid
    FOR UPDATE`;
  const current = rows[0];
  if (!current) return { changed: false, reasonChanged: false, previousStatus: null, auditEventId: null };
  const reason = input.status === 'active' ? null : input.reason;
  if (current.status === input.status) {
    const cause = input.status === 'active' ? null : input.cause === undefined ? current.statusCause : input.cause;
    if (current.statusReason === reason && current.statusCause === cause) {
      return { changed: false, reasonChanged: false, previousStatus: current.status, auditEventId: null };
    }
    await tx.credential.update({ where: { id: input.credentialId }, data: { statusReason: reason, statusCause: cause } });
    return { changed: false, reasonChanged: true, previousStatus: current.status, auditEventId: null };
  }
  const cause = input.status === 'active' ? null : (input.cause ?? null);
  await tx.credential.update({
    where: { id: input.credentialId },
    data: { status: input.status, statusReason: reason, statusCause: cause, statusChangedAt: now },
  });
  const event = await recordAudit(tx, {
    organizationId: input.organizationId,
    context: input.context,
    action: STATUS_CHANGED_ACTION,
    targetType: 'credential',
    targetId: input.credentialId,
    credentialId: input.credentialId,
    details: { from: current.status, to: input.status, reason, cause },
  });
  return { changed: true, reasonChanged: false, previousStatus: current.status, auditEventId: event.id.toString() };
}

/**
 * After the status change committed: refreshes the organization's cached counts and enqueues the
 * webhook for the newest status-change event (keyed by that event, so calling twice sends once).
 */
export async function notifyStatusChange(credentialId: string): Promise<void> {
  const credential = await prisma.credential.findUnique({
    where: { id: credentialId },
    select: { organizationId: true },
  });
  if (!credential) return;
  invalidateCredentialCounts(credential.organizationId);
  try {
    const { enqueueStatusWebhook } = await import('~/notifications/webhooks.server');
    await enqueueStatusWebhook(credential.organizationId, credentialId);
  } catch (error) {
    // The status is committed and audited; a webhook that cannot be queued must not undo that.
    logger.error({ credentialId, err: { message: (error as Error).message } }, 'could not enqueue the status webhook');
  }
}

/**
 * Sets a status in a transaction of its own (with `extra` columns written in the same one), then announces
 * it when it changed: the workers' way to change a status outside any other write.
 */
export async function applyCredentialStatus(
  credential: { id: string; organizationId: string },
  want: { status: CredentialStatus; cause: StatusCause | null; reason: string | null },
  context: AuditContext,
  now: Date,
  extra?: { nextRefreshAt?: Date | null },
): Promise<boolean> {
  const result = await prisma.$transaction(async (tx) => {
    if (extra) await tx.credential.update({ where: { id: credential.id }, data: extra });
    return setCredentialStatus(tx, { credentialId: credential.id, organizationId: credential.organizationId, ...want, context, now });
  });
  if (result.changed) await notifyStatusChange(credential.id);
  return result.changed;
}

/**
 * One credential's status as it stands now (statusNow with the organization's warning window and whether a
 * refresh token is stored), for pages that show a single credential. Null when it does not exist there.
 */
export async function readCredentialStatus(
  organizationId: string,
  credentialId: string,
  now: Date = new Date(),
): Promise<(StatusNow & { expiresAt: Date | null }) | null> {
  const row = await prisma.credential.findFirst({
    where: { id: credentialId, organizationId },
    select: {
      type: true,
      status: true,
      statusCause: true,
      statusReason: true,
      expiresAt: true,
      organization: { select: { warningWindowDays: true } },
      secrets: { where: { field: REFRESH_TOKEN_FIELD }, select: { field: true } },
    },
  });
  if (!row) return null;
  const read = statusNow(
    { ...row, hasRefreshToken: row.secrets.length > 0 },
    { now, warningWindowDays: row.organization.warningWindowDays },
  );
  return { ...read, expiresAt: row.expiresAt };
}
