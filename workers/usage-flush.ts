// Worker entry for the usage flush: every window, the newest use times go to PostgreSQL in one statement.
import type { Job } from 'bullmq';
import { flushUsage, type FlushReport } from '~/usage/store.server';

export const USAGE_QUEUE = 'usage';
export const USAGE_FLUSH_JOB = 'usage-flush';
/** The flush window: last-used times in the portal are at most this stale. */
export const USAGE_FLUSH_EVERY_MS = 10_000;
export type UsageFlushJob = { kind: typeof USAGE_FLUSH_JOB };

export async function processUsageFlush(job: Job<UsageFlushJob>): Promise<FlushReport> {
  if (job.name !== USAGE_FLUSH_JOB) throw new Error(`unknown usage job "${job.name}"`);
  return flushUsage();
}
