// The maintenance queue: a once-a-minute heartbeat proving the worker is alive and the schedule is running.
import type { Job } from 'bullmq';
import { logger } from '~/logger.server';

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
  logger.debug({ jobId: job.id, at: lastHeartbeatAt.toISOString() }, 'heartbeat');
  return { at: lastHeartbeatAt.toISOString() };
}
