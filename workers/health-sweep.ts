// Worker entry for the once-a-minute health sweep (statuses, overdue refreshes, rebuilt refresh jobs).
import type { Job } from 'bullmq';
import { runHealthSweep, type SweepReport } from '~/jobs/health-sweep.server';

export const HEALTH_QUEUE = 'health';
export const HEALTH_SWEEP_JOB = 'health-sweep';
export type HealthSweepJob = { kind: typeof HEALTH_SWEEP_JOB };

export async function processHealthSweep(job: Job<HealthSweepJob>): Promise<SweepReport> {
  if (job.name !== HEALTH_SWEEP_JOB) throw new Error(`unknown health job "${job.name}"`);
  return runHealthSweep();
}
