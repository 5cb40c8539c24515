// The health sweep (every minute, idempotent): expiry statuses with their causes, overdue refreshes, and refresh jobs rebuilt from PostgreSQL.
import { systemAuditContext } from '~/audit/audit.server';
import { applyCredentialStatus } from '~/credentials/status.server';
import type { StatusCause } from '~/credentials/status';
import { prisma } from '~/db.server';
import type { CredentialStatus } from '~/generated/prisma/enums';
import { logger } from '~/logger.server';
import {
  enqueueRefreshJob,
  REFRESH_JOB,
  REFRESH_TOKEN_FIELD,
  refreshJobId,
  refreshQueue,
  scheduleCredentialRefresh,
  scheduleCredentialRefreshAt,
} from './refresh-schedule.server';
import { failingReason, humanTime } from './refresh.job.server';

export const SWEEP_BATCH = 1_000;
/** A refresh this late (its job should have run) is re-enqueued. */
export const OVERDUE_GRACE_MS = 60_000;
const DAY_MS = 24 * 60 * 60_000;

export interface SweepReport {
  expired: number;
  /** Turned expiring (inside the organization's warning window). */
  expiring: number;
  restored: number;
  /** Rows whose status stayed but whose cause or reason was brought up to date (e.g. rows from before causes). */
  reasonsUpdated: number;
  oauthFlagged: number;
  jobsEnsured: number;
  overdueRequeued: number;
  schedulesCreated: number;
}

const SWEEP_CONTEXT = systemAuditContext('health sweep');

/** The status the sweep writes for an API key, password or file with this expiry (statusNow agrees at read time). */
export function expiryStatusFor(
  expiresAt: Date | null,
  warningWindowDays: number,
  now: Date,
): { status: 'active' | 'expiring' | 'expired'; cause: StatusCause | null; reason: string | null } {
  if (!expiresAt) return { status: 'active', cause: null, reason: null };
  if (expiresAt.getTime() <= now.getTime()) return { status: 'expired', cause: 'expired', reason: `Expired on ${humanTime(expiresAt)}` };
  if (expiresAt.getTime() <= now.getTime() + warningWindowDays * DAY_MS) {
    // An instant, not "in 3 days": pages and the CLI say the time left from expiresAt when they show it.
    return { status: 'expiring', cause: 'expiring_soon', reason: `Expires on ${humanTime(expiresAt)}` };
  }
  return { status: 'active', cause: null, reason: null };
}

type ExpiryRow = {
  id: string;
  organizationId: string;
  status: CredentialStatus;
  statusCause: string | null;
  statusReason: string | null;
  expiresAt: Date | null;
  warningWindowDays: number;
};

/**
 * API keys, passwords and files: expiring inside the organization's warning window, expired after it,
 * active again when the expiry moved away. Only statuses the expiry decides are touched (the rules of
 * statusNow), so a person's or another job's needs-attention reason is never overwritten (except by
 * "expired", which is true whatever else is wrong). Rows from before the expiring status (needs attention
 * "Expires …", no cause) are converted here.
 */
async function sweepExpiries(now: Date, report: SweepReport) {
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await prisma.$queryRaw<ExpiryRow[]>`
      SELECT c.id, c."organizationId", c.status, c."statusCause", c."statusReason", c."expiresAt", o."warningWindowDays"
      FROM "Credential" c JOIN "Organization" o ON o.id = c."organizationId"
      WHERE c.type <> 'oauth' AND c.id > ${after}::uuid
        AND (
          (c.status = 'active' AND c."expiresAt" <= ${now}::timestamp + make_interval(days => o."warningWindowDays"))
          OR (c.status = 'expiring' AND (c."statusCause" IS DISTINCT FROM 'expiring_soon' OR c."expiresAt" IS NULL
             OR c."expiresAt" <= ${now}::timestamp OR c."expiresAt" > ${now}::timestamp + make_interval(days => o."warningWindowDays")))
          OR (c.status = 'expired' AND (c."statusCause" IS DISTINCT FROM 'expired' OR c."expiresAt" IS NULL OR c."expiresAt" > ${now}::timestamp)
             AND (c."statusCause" = 'expired' OR c."expiresAt" IS NOT NULL OR c."statusReason" LIKE 'Expired %'))
          OR (c.status = 'needs_attention' AND c."statusCause" IS NULL AND c."statusReason" LIKE 'Expires %')
          OR (c.status = 'needs_attention' AND c."expiresAt" <= ${now}::timestamp)
        )
      ORDER BY c.id LIMIT ${SWEEP_BATCH}`;
    for (const row of rows) {
      const want = expiryStatusFor(row.expiresAt, row.warningWindowDays, now);
      if (want.status === row.status && want.cause === row.statusCause && want.reason === row.statusReason) continue;
      const changed = await applyCredentialStatus(row, want, SWEEP_CONTEXT, now);
      if (!changed) report.reasonsUpdated++;
      else if (want.status === 'expired') report.expired++;
      else if (want.status === 'expiring') report.expiring++;
      else report.restored++;
    }
    if (rows.length < SWEEP_BATCH) break;
    after = rows[rows.length - 1]!.id;
  }
}

type OAuthRow = {
  id: string;
  organizationId: string;
  expiresAt: Date;
  nextRefreshAt: Date | null;
  refreshFailingSince: Date | null;
  hasRefreshToken: boolean;
};

/** OAuth credentials still "active" past their stored expiry: never left saying active. */
async function sweepExpiredOAuth(now: Date, report: SweepReport) {
  const rows = await prisma.$queryRaw<OAuthRow[]>`
    SELECT c.id, c."organizationId", c."expiresAt", c."nextRefreshAt", c."refreshFailingSince",
           EXISTS (SELECT 1 FROM "CredentialSecret" s WHERE s."credentialId" = c.id AND s.field = ${REFRESH_TOKEN_FIELD}) AS "hasRefreshToken"
    FROM "Credential" c
    WHERE c.type = 'oauth' AND c.status = 'active' AND c."expiresAt" <= ${now}::timestamp
    ORDER BY c."expiresAt" LIMIT ${SWEEP_BATCH}`;
  for (const row of rows) {
    if (!row.hasRefreshToken) {
      await applyCredentialStatus(
        row,
        {
          status: 'expired',
          cause: 'token_expired_no_refresh',
          reason: `Access token expired at ${humanTime(row.expiresAt)}; the provider issued no refresh token, so connect it again`,
        },
        SWEEP_CONTEXT,
        now,
        { nextRefreshAt: null },
      );
    } else {
      // Still usable: the proxy refreshes on use, and the retry below returns it to active when it works.
      const since = row.refreshFailingSince;
      const want = since
        ? { status: 'needs_attention' as const, cause: 'refresh_failing' as const, reason: failingReason(since, (await lastFailure(row.id)) ?? 'the provider did not answer') }
        : { status: 'needs_attention' as const, cause: 'refresh_overdue' as const, reason: `Access token expired at ${humanTime(row.expiresAt)} before it was refreshed; retrying` };
      await applyCredentialStatus(row, want, SWEEP_CONTEXT, now);
      // Retry at once: the refresh returns the status to active when it succeeds.
      await scheduleCredentialRefreshAt(row.id, row.expiresAt, { runAt: now, now });
    }
    report.oauthFlagged++;
  }
}

async function lastFailure(credentialId: string): Promise<string | null> {
  const event = await prisma.auditEvent.findFirst({
    where: { credentialId, action: 'credential.refresh_failed' },
    orderBy: { id: 'desc' },
    select: { details: true },
  });
  const reason = (event?.details as { reason?: unknown } | undefined)?.reason;
  return typeof reason === 'string' ? reason : null;
}

/**
 * Every stored schedule has its job: re-adding a job id that exists is a no-op, so this rebuilds
 * exactly what a flushed or lost Redis dropped. Overdue jobs stuck in failed/completed are replaced.
 */
async function ensureRefreshJobs(now: Date, report: SweepReport) {
  const queue = refreshQueue();
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await prisma.$queryRaw<{ id: string; nextRefreshAt: Date; expiresAt: Date | null }[]>`
      SELECT id, "nextRefreshAt", "expiresAt" FROM "Credential"
      WHERE type = 'oauth' AND "nextRefreshAt" IS NOT NULL AND status <> 'disconnected' AND id > ${after}::uuid
      ORDER BY id LIMIT ${SWEEP_BATCH}`;
    if (rows.length === 0) break;
    await queue.addBulk(
      rows.map((r) => ({
        name: REFRESH_JOB,
        data: { credentialId: r.id, runAt: r.nextRefreshAt.getTime(), attempt: 0, forExpiry: r.expiresAt?.getTime() ?? null },
        opts: {
          jobId: refreshJobId(r.id, r.nextRefreshAt, r.expiresAt),
          delay: Math.max(0, r.nextRefreshAt.getTime() - now.getTime()),
          removeOnComplete: true,
          removeOnFail: { count: 1000 },
        },
      })),
    );
    report.jobsEnsured += rows.length;
    for (const r of rows) {
      if (r.nextRefreshAt.getTime() > now.getTime() - OVERDUE_GRACE_MS) continue;
      const job = await queue.getJob(refreshJobId(r.id, r.nextRefreshAt, r.expiresAt));
      const state = job ? await job.getState() : 'missing';
      if (state === 'failed' || state === 'completed' || state === 'missing' || state === 'unknown') {
        await job?.remove().catch(() => undefined);
        await enqueueRefreshJob(r.id, r.nextRefreshAt, r.expiresAt, 0, now);
        report.overdueRequeued++;
      }
    }
    if (rows.length < SWEEP_BATCH) break;
    after = rows[rows.length - 1]!.id;
  }

  // Active OAuth credentials that expire but were never scheduled (e.g. written by an older version).
  const unscheduled = await prisma.credential.findMany({
    where: { type: 'oauth', status: 'active', nextRefreshAt: null, expiresAt: { not: null } },
    select: { id: true, expiresAt: true },
    take: SWEEP_BATCH,
  });
  for (const c of unscheduled) {
    await scheduleCredentialRefresh(c.id, c.expiresAt);
    report.schedulesCreated++;
  }
}

/** One sweep. `now` is injectable so tests can move the clock. */
export async function runHealthSweep(opts: { now?: Date } = {}): Promise<SweepReport> {
  const now = opts.now ?? new Date();
  const report: SweepReport = {
    expired: 0,
    expiring: 0,
    restored: 0,
    reasonsUpdated: 0,
    oauthFlagged: 0,
    jobsEnsured: 0,
    overdueRequeued: 0,
    schedulesCreated: 0,
  };
  await sweepExpiries(now, report);
  await sweepExpiredOAuth(now, report);
  await ensureRefreshJobs(now, report);
  logger.debug({ ...report }, 'health sweep');
  return report;
}
