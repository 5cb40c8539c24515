// The maintenance queue: a once-a-minute heartbeat proving the worker is alive and the schedule is running, which also drops expired idempotency records and records proposals' expiry.
import type { Job } from 'bullmq';
import { pruneIdempotencyRecords } from '~/api/idempotency.server';
import { logger } from '~/logger.server';
import { expireDueProposals } from '~/proposals/proposals.server';

export const MAINTENANCE_QUEUE = 'maintenance';
export const HEARTBEAT_JOB = 'heartbeat';

export type MaintenanceJob = { kind: typeof HEARTBEAT_JOB };

let lastHeartbeatAt: Date | undefined;

/** When this process last ran a heartbeat (reported by the worker's /healthz). */
export function lastHeartbeat(): Date | undefined {
  return lastHeartbeatAt;
}

/** Records the time; the return value is kept by BullMQ as the job's result, so the queue shows it too. */
export async function processMaintenance(job: Job<MaintenanceJob>): Promise<{ at: string }> {
  if (job.name !== HEARTBEAT_JOB) throw new Error(`unknown maintenance job "${job.name}"`);
  lastHeartbeatAt = new Date();
  // Idempotency-Key answers older than 24 hours (ADR 012): a small indexed delete.
  await pruneIdempotencyRecords(lastHeartbeatAt).catch((error: unknown) => logger.warn({ errorName: (error as Error)?.name }, 'idempotency prune failed'));
  // Proposals past their time: expired, audited, their sealed values dropped (reads treat them as expired already).
  await expireDueProposals({ now: lastHeartbeatAt }).catch((error: unknown) => logger.warn({ errorName: (error as Error)?.name }, 'proposal expiry failed'));
  logger.debug({ jobId: job.id, at: lastHeartbeatAt.toISOString() }, 'heartbeat');
  return { at: lastHeartbeatAt.toISOString() };
}
