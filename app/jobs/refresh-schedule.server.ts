// When each OAuth credential's refresh job runs: one job per credential, rebuilt from Credential.nextRefreshAt.
import crypto from 'node:crypto';
import type { Queue } from 'bullmq';
import { prisma } from '~/db.server';
import { createQueue } from '~/queue/queue.server';

export const REFRESH_QUEUE = 'credential-refresh';
export const REFRESH_JOB = 'refresh';

/** Refresh this long before the access token expires (less for short-lived tokens, see refreshTimeFor). */
export const REFRESH_LEAD_MS = 5 * 60_000;
/** Spread refreshes of tokens that expire together over up to this much time. */
export const REFRESH_JITTER_MS = 30_000;

/**
 * Ids only: the worker reloads the credential. `runAt` tells a current job from a superseded one;
 * `forExpiry` is the token expiry the job was scheduled for, so a job that finds a later expiry knows
 * someone else already refreshed (one token request per cycle, however many duplicates run).
 */
export type RefreshJobData = { credentialId: string; runAt: number; attempt: number; forExpiry: number | null };

/**
 * How long before its expiry a token is refreshed: the lead asked for, but never more than half of the
 * token's lifetime (a 20-second token is refreshed after ~10 s, not at once, nor on every use). The one
 * rule for the scheduled refresh (refreshTimeFor) and the refresh on an agent's use (accessTokenForUse).
 */
export function refreshLeadMs(lifetimeMs: number, maxLeadMs: number = REFRESH_LEAD_MS): number {
  return Math.min(maxLeadMs, Math.max(0, lifetimeMs) / 2);
}

/**
 * When to refresh a token expiring at `expiresAt`: refreshLeadMs before expiry (the lifetime counted
 * from now, as a refresh is scheduled when its token arrives), minus a jitter derived from the credential
 * and expiry — so two processes scheduling the same expiry pick the same moment and their jobs collapse
 * into one.
 */
export function refreshTimeFor(credentialId: string, expiresAt: Date, now: Date = new Date()): Date {
  const remaining = expiresAt.getTime() - now.getTime();
  if (remaining <= 0) return new Date(Math.floor(now.getTime() / 1000) * 1000);
  const lead = refreshLeadMs(remaining);
  const maxJitter = Math.min(REFRESH_JITTER_MS, lead / 5);
  const hash = crypto.createHash('sha256').update(`${credentialId}:${expiresAt.getTime()}`).digest();
  const jitter = (hash.readUInt32BE(0) / 0xffffffff) * maxJitter;
  // Whole seconds: the same expiry scheduled a few milliseconds apart still lands on the same job id.
  const at = Math.floor((expiresAt.getTime() - lead - jitter) / 1000) * 1000;
  return new Date(Math.max(at, Math.floor(now.getTime() / 1000) * 1000));
}

/**
 * The job id for a credential's refresh at `runAt` for the token expiring at `forExpiry`: derived from
 * what PostgreSQL stores (nextRefreshAt, expiresAt), so adding it twice is a no-op and the sweep can
 * re-add freely; the expiry is part of it because a short-lived token's next refresh can fall in the
 * same second as the job that is running now.
 */
export function refreshJobId(credentialId: string, runAt: Date | number, forExpiry: Date | number | null): string {
  const ms = (d: Date | number) => (typeof d === 'number' ? d : d.getTime());
  return `refresh-${credentialId}-${ms(runAt)}-${forExpiry === null ? 'none' : ms(forExpiry)}`;
}

let queue: Queue<RefreshJobData> | undefined;

/** This process's producer for the refresh queue (created again after closeQueues()). */
export function refreshQueue(): Queue<RefreshJobData> {
  if (!queue || (queue as unknown as { closing?: unknown }).closing) {
    queue = createQueue<RefreshJobData>(REFRESH_QUEUE);
  }
  return queue;
}

const JOB_RETENTION = { removeOnComplete: true, removeOnFail: { count: 1000 } } as const;

/** Adds the job for a credential's stored schedule (idempotent: the id is derived from the schedule). */
export async function enqueueRefreshJob(
  credentialId: string,
  runAt: Date,
  forExpiry: Date | null,
  attempt = 0,
  now: Date = new Date(),
) {
  await refreshQueue().add(
    REFRESH_JOB,
    { credentialId, runAt: runAt.getTime(), attempt, forExpiry: forExpiry?.getTime() ?? null },
    { jobId: refreshJobId(credentialId, runAt, forExpiry), delay: Math.max(0, runAt.getTime() - now.getTime()), ...JOB_RETENTION },
  );
}

/** enqueueRefreshJob for many credentials in one round trip (each job id still derived from its schedule). */
export async function enqueueRefreshJobs(
  jobs: ReadonlyArray<{ credentialId: string; runAt: Date; forExpiry: Date | null; attempt?: number }>,
  now: Date = new Date(),
) {
  if (jobs.length === 0) return;
  await refreshQueue().addBulk(
    jobs.map((j) => ({
      name: REFRESH_JOB,
      data: { credentialId: j.credentialId, runAt: j.runAt.getTime(), attempt: j.attempt ?? 0, forExpiry: j.forExpiry?.getTime() ?? null },
      opts: { jobId: refreshJobId(j.credentialId, j.runAt, j.forExpiry), delay: Math.max(0, j.runAt.getTime() - now.getTime()), ...JOB_RETENTION },
    })),
  );
}

/** Removes a superseded job if it is still waiting (best effort: a superseded job that runs anyway does nothing). */
export async function removeSupersededJob(credentialId: string, previous: Date | null, previousExpiry: Date | null, nextId: string | null) {
  if (!previous) return;
  const id = refreshJobId(credentialId, previous, previousExpiry);
  if (id === nextId) return;
  try {
    const job = await refreshQueue().getJob(id);
    const state = job ? await job.getState() : undefined;
    if (job && (state === 'delayed' || state === 'waiting' || state === 'prioritized')) await job.remove();
  } catch {
    // Locked or already gone: the job checks nextRefreshAt when it runs and skips itself.
  }
}

/**
 * Schedules (or replaces) the credential's refresh before `expiresAt`, and records the time in
 * Credential.nextRefreshAt so the health sweep can rebuild the job if the queue loses it. A null
 * expiry (a token that never expires) clears the schedule. A credential without a refresh token is
 * scheduled at its expiry itself, where the job marks it expired.
 */
export async function scheduleCredentialRefresh(credentialId: string, expiresAt: Date | null): Promise<void> {
  await scheduleCredentialRefreshAt(credentialId, expiresAt, { attempt: 0 });
}

/** scheduleCredentialRefresh with the clock and retry details the refresh job needs. */
export async function scheduleCredentialRefreshAt(
  credentialId: string,
  expiresAt: Date | null,
  opts: {
    attempt?: number;
    runAt?: Date;
    now?: Date;
    /** Compare-and-set: write only while the credential still has this schedule and this expiry (a newer refresh wins). */
    onlyIf?: { nextRefreshAt: Date | null; expiresAt: Date | null };
  } = {},
): Promise<Date | null> {
  const now = opts.now ?? new Date();
  const credential = await prisma.credential.findUnique({
    where: { id: credentialId },
    select: { nextRefreshAt: true, expiresAt: true, secrets: { where: { field: REFRESH_TOKEN_FIELD }, select: { field: true } } },
  });
  if (!credential) return null;
  let runAt: Date | null = null;
  if (opts.runAt) runAt = opts.runAt;
  else if (expiresAt) {
    runAt = credential.secrets.length > 0 ? refreshTimeFor(credentialId, expiresAt, now) : expiresAt;
  }
  if (opts.onlyIf) {
    const { count } = await prisma.credential.updateMany({
      where: { id: credentialId, nextRefreshAt: opts.onlyIf.nextRefreshAt, expiresAt: opts.onlyIf.expiresAt },
      data: { nextRefreshAt: runAt },
    });
    if (count === 0) return null;
  } else await prisma.credential.update({ where: { id: credentialId }, data: { nextRefreshAt: runAt } });
  await removeSupersededJob(credentialId, credential.nextRefreshAt, credential.expiresAt, runAt ? refreshJobId(credentialId, runAt, expiresAt) : null);
  if (runAt) await enqueueRefreshJob(credentialId, runAt, expiresAt, opts.attempt ?? 0, now);
  return runAt;
}

/** The sealed secret field holding an OAuth credential's refresh token. */
export const REFRESH_TOKEN_FIELD = 'refresh_token';
