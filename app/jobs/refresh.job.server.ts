// The refresh job: refreshes an OAuth credential before expiry, retries transient failures with backoff, never storms.
import type { Job } from 'bullmq';
import { systemAuditContext } from '~/audit/audit.server';
import type { StatusCause } from '~/credentials/status';
import { applyCredentialStatus } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { logger } from '~/logger.server';
import { humanTime } from '~/oauth/errors';
import { refreshScheduled } from '~/oauth/refresh-batch.server';
import { isRefreshError, refreshCredential, type RefreshError, type RefreshResult } from '~/oauth/refresh.server';
import {
  REFRESH_JITTER_MS,
  REFRESH_LEAD_MS,
  REFRESH_TOKEN_FIELD,
  scheduleCredentialRefreshAt,
  type RefreshJobData,
} from './refresh-schedule.server';

export const REFRESH_CONTEXT = systemAuditContext('refresh worker');

/**
 * The refresh worker's options. A refresh job mostly waits: on the provider (hundreds of milliseconds
 * for a real one) and on the batches it shares with the jobs beside it. 200 in flight keep a minute
 * in which 10,000 tokens expire (~170 refreshes/s) within reach even when a provider takes a second,
 * and make the shared batches larger. The token endpoint's connection pool holds more sockets than this.
 * A short lock (renewed while the process lives) lets a killed worker's refresh be picked up within seconds.
 */
export const REFRESH_WORKER_OPTIONS = { concurrency: 200, lockDuration: 10_000, stalledInterval: 5_000 } as const;

/** First retry after ~1 s, doubling up to 5 minutes. */
export const RETRY_BASE_MS = 1_000;
export const RETRY_CAP_MS = 5 * 60_000;
/** Once a credential needs attention for a failing refresh, keep trying this often so it heals by itself. */
export const FAILING_RETRY_MS = 10 * 60_000;

export type RefreshJobOutcome =
  | 'refreshed'
  | 'raced'
  | 'in_progress'
  | 'still_valid'
  | 'superseded'
  | 'gone'
  | 'expired'
  | 'retry_scheduled'
  | 'needs_attention'
  | 'permanent';

export { humanTime } from '~/oauth/errors';

/** Exponential backoff with jitter (50–100 % of the step), never sooner than the provider's Retry-After. */
export function retryDelayMs(attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const step = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.min(attempt, 20));
  const jittered = step * (0.5 + random() * 0.5);
  return Math.max(Math.round(jittered), retryAfterMs ?? 0);
}

/** The reason shown while refreshes keep failing after the access token expired. */
export function failingReason(since: Date, providerMessage: string): string {
  return `Refresh failing since ${humanTime(since)}: ${providerMessage}`;
}

async function lastRefreshFailure(credentialId: string): Promise<string | null> {
  const event = await prisma.auditEvent.findFirst({
    where: { credentialId, action: 'credential.refresh_failed' },
    orderBy: { id: 'desc' },
    select: { details: true },
  });
  const reason = (event?.details as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' ? reason : null;
}

/** Sets a status outside any other transaction and announces it when it changed. */
export function changeStatus(
  credential: { id: string; organizationId: string },
  status: 'expired' | 'needs_attention' | 'active',
  reason: string | null,
  cause: StatusCause | null,
  now: Date,
  extra?: { nextRefreshAt?: Date | null },
): Promise<boolean> {
  return applyCredentialStatus(credential, { status, reason, cause }, REFRESH_CONTEXT, now, extra);
}

/** How far ahead of expiry the job asks refreshCredential to act (the job already runs at the chosen moment). */
const JOB_MIN_VALIDITY_MS = REFRESH_LEAD_MS + REFRESH_JITTER_MS + 60_000;

/**
 * Runs one scheduled refresh. Idempotent: a job whose time is no longer the credential's
 * nextRefreshAt was superseded and does nothing. Never throws for a refresh failure (BullMQ's own
 * retries are kept for infrastructure errors): transient failures reschedule by the credential's id,
 * permanent ones stop at once.
 *
 * The common case (the job is current and the token is due) shares its database work with the other
 * refreshes running in this process (refreshScheduled); everything else goes one at a time.
 */
export async function processRefreshJob(job: Pick<Job<RefreshJobData>, 'data'>, now: Date = new Date()): Promise<RefreshJobOutcome> {
  const { credentialId, runAt, forExpiry } = job.data;
  let result: RefreshResult | null;
  try {
    // Due when the stored token is the one this job was scheduled for (or an older one); without a
    // recorded expiry, when it expires within the job's window.
    const dueBefore = forExpiry ?? now.getTime() + JOB_MIN_VALIDITY_MS;
    result = await refreshScheduled({ credentialId, runAt, forExpiry: forExpiry ?? null, dueBefore, context: REFRESH_CONTEXT });
  } catch (error) {
    if (!isRefreshError(error)) throw error;
    return afterRefreshFailure(job.data, error, now);
  }
  if (result) return afterRefresh(job.data, result);
  return processRefreshJobAlone(job, now);
}

/** Someone else refreshed (or the token is fresh): make sure the next refresh is still scheduled. */
async function afterRefresh({ credentialId, runAt }: RefreshJobData, result: RefreshResult): Promise<RefreshJobOutcome> {
  if (result.outcome !== 'refreshed') await ensureScheduled(credentialId, runAt);
  return result.outcome;
}

/**
 * When this job's time is still the credential's schedule, schedules the next refresh for the tokens
 * stored now. A compare-and-set on (nextRefreshAt, expiresAt): a refresh that lands meanwhile has
 * written its own schedule, and a late loser of the race must not put back one for older tokens.
 */
async function ensureScheduled(credentialId: string, runAt: number): Promise<void> {
  const current = await prisma.credential.findUnique({ where: { id: credentialId }, select: { nextRefreshAt: true, expiresAt: true } });
  if (!current || current.nextRefreshAt?.getTime() !== runAt) return;
  await scheduleCredentialRefreshAt(credentialId, current.expiresAt, { attempt: 0, onlyIf: { nextRefreshAt: current.nextRefreshAt, expiresAt: current.expiresAt } });
}

/** A refresh failed: permanent ones stop (refreshCredential set needs_attention), transient ones retry with backoff. */
async function afterRefreshFailure({ credentialId, runAt, attempt }: RefreshJobData, error: RefreshError, now: Date): Promise<RefreshJobOutcome> {
  if (error.kind === 'permanent') {
    // refreshCredential has set needs_attention with the provider's reason and cleared the schedule.
    logger.warn({ credentialId, reason: error.providerMessage }, 'refresh failed for good; not retrying');
    return 'permanent';
  }
  const fresh = await prisma.credential.findUnique({
    where: { id: credentialId },
    select: { id: true, organizationId: true, expiresAt: true, refreshFailingSince: true, nextRefreshAt: true },
  });
  if (!fresh || fresh.nextRefreshAt?.getTime() !== runAt) return 'superseded';
  const failingSince = fresh.refreshFailingSince ?? now;
  const delay = retryDelayMs(attempt, error.retryAfterMs);
  if (fresh.expiresAt && fresh.expiresAt.getTime() > now.getTime()) {
    // Still valid: retry soon, and make one last attempt at expiry if the backoff would pass it.
    let next = now.getTime() + delay;
    const retryAfterEnd = now.getTime() + (error.retryAfterMs ?? 0);
    if (next > fresh.expiresAt.getTime()) next = Math.max(fresh.expiresAt.getTime(), retryAfterEnd);
    await scheduleCredentialRefreshAt(credentialId, fresh.expiresAt, { runAt: new Date(next), attempt: attempt + 1, now });
    return 'retry_scheduled';
  }
  const message = error.providerMessage || (await lastRefreshFailure(credentialId)) || 'the provider did not answer';
  await changeStatus(fresh, 'needs_attention', failingReason(failingSince, message), 'refresh_failing', now);
  const next = new Date(now.getTime() + Math.max(FAILING_RETRY_MS, error.retryAfterMs ?? 0));
  await scheduleCredentialRefreshAt(credentialId, fresh.expiresAt, { runAt: next, attempt: attempt + 1, now });
  return 'needs_attention';
}

/** The one-at-a-time path: every case the shared batch leaves alone. */
async function processRefreshJobAlone(job: Pick<Job<RefreshJobData>, 'data'>, now: Date): Promise<RefreshJobOutcome> {
  const { credentialId, runAt } = job.data;
  const credential = await prisma.credential.findUnique({
    where: { id: credentialId },
    select: {
      id: true,
      organizationId: true,
      type: true,
      status: true,
      expiresAt: true,
      nextRefreshAt: true,
      refreshFailingSince: true,
      secrets: { where: { field: REFRESH_TOKEN_FIELD }, select: { field: true } },
    },
  });
  if (!credential || credential.type !== 'oauth') return 'gone';
  if (credential.nextRefreshAt?.getTime() !== runAt) return 'superseded';
  if (credential.status === 'disconnected') {
    await prisma.credential.update({ where: { id: credentialId }, data: { nextRefreshAt: null } });
    return 'gone';
  }

  if (credential.secrets.length === 0) {
    // Nothing to refresh with: the credential is good until its expiry, then expired.
    if (credential.expiresAt && credential.expiresAt.getTime() > now.getTime()) {
      await scheduleCredentialRefreshAt(credentialId, credential.expiresAt, { runAt: credential.expiresAt, now });
      return 'still_valid';
    }
    await changeStatus(
      credential,
      'expired',
      `Access token expired at ${humanTime(credential.expiresAt ?? now)}; the provider issued no refresh token, so connect it again`,
      'token_expired_no_refresh',
      now,
      { nextRefreshAt: null },
    );
    return 'expired';
  }

  const { forExpiry } = job.data;
  if (forExpiry != null && credential.expiresAt && credential.expiresAt.getTime() > forExpiry) {
    // Tokens newer than the ones this job was for are stored: someone refreshed already.
    await ensureScheduled(credentialId, runAt);
    return 'raced';
  }

  try {
    // Due unless the stored token now outlives the one this job was scheduled for (then someone refreshed).
    const minValidityMs = forExpiry != null ? Math.max(0, forExpiry - Date.now()) + 1 : JOB_MIN_VALIDITY_MS;
    const result = await refreshCredential(credentialId, { minValidityMs, context: REFRESH_CONTEXT });
    return await afterRefresh(job.data, result);
  } catch (error) {
    if (!isRefreshError(error)) throw error;
    return afterRefreshFailure(job.data, error, now);
  }
}

/** BullMQ processor entry. */
export async function refreshJobProcessor(job: Job<RefreshJobData>) {
  const started = Date.now();
  const outcome = await processRefreshJob(job);
  logger.debug({ credentialId: job.data.credentialId, jobId: job.id, outcome, ms: Date.now() - started, lateMs: started - job.data.runAt }, 'refresh job');
  return outcome;
}

