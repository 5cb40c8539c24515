// Every queue the worker process consumes, with its processor and the repeatable jobs it keeps scheduled.
import type { CreateWorkerOptions, JobPayload, WorkerProcessor } from '~/queue/queue.server';
import { reencryptOrganizationJob, VAULT_QUEUE } from '~/vault/reencrypt.job.server';
import type { ReencryptJobData } from '~/vault/rotation.server';
import { HEALTH_QUEUE, HEALTH_SWEEP_JOB, processHealthSweep, type HealthSweepJob } from './health-sweep';
import { HEARTBEAT_JOB, MAINTENANCE_QUEUE, processMaintenance, type MaintenanceJob } from './maintenance';
import { REFRESH_QUEUE, REFRESH_WORKER_OPTIONS, refreshJobProcessor, type RefreshJobData } from './refresh';
import { processUsageFlush, USAGE_FLUSH_EVERY_MS, USAGE_FLUSH_JOB, USAGE_QUEUE, type UsageFlushJob } from './usage-flush';
import { deliverWebhookJob, WEBHOOK_QUEUE, type WebhookJobData } from './webhooks';

export interface JobSchedule<T extends JobPayload> {
  /** Scheduler id: upserting the same id again replaces it, so restarts and replicas never duplicate it. */
  id: string;
  everyMs: number;
  name: string;
  data: T;
}

export interface WorkerRegistration<T extends JobPayload = JobPayload> {
  queue: string;
  processor: WorkerProcessor<T>;
  opts?: CreateWorkerOptions;
  schedules?: JobSchedule<T>[];
}

/** Keeps each entry's processor and schedules typed by the same payload. */
function register<T extends JobPayload>(registration: WorkerRegistration<T>): WorkerRegistration {
  return registration as unknown as WorkerRegistration;
}

export const registry: WorkerRegistration[] = [
  register<MaintenanceJob>({
    queue: MAINTENANCE_QUEUE,
    processor: processMaintenance,
    opts: { concurrency: 1 },
    schedules: [{ id: 'heartbeat', everyMs: 60_000, name: HEARTBEAT_JOB, data: { kind: HEARTBEAT_JOB } }],
  }),
  // Re-encrypts an organization's secrets after a data-key rotation (npm run keys -- rotate-org SLUG).
  register<ReencryptJobData>({ queue: VAULT_QUEUE, processor: reencryptOrganizationJob, opts: { concurrency: 1 } }),
  // Refreshes OAuth tokens before they expire; jobs are keyed by credential and rebuilt by the sweep.
  register<RefreshJobData>({ queue: REFRESH_QUEUE, processor: refreshJobProcessor, opts: { ...REFRESH_WORKER_OPTIONS } }),
  // Expiry statuses, overdue refreshes and lost refresh jobs, once a minute.
  register<HealthSweepJob>({
    queue: HEALTH_QUEUE,
    processor: processHealthSweep,
    opts: { concurrency: 1 },
    schedules: [{ id: 'health-sweep', everyMs: 60_000, name: HEALTH_SWEEP_JOB, data: { kind: HEALTH_SWEEP_JOB } }],
  }),
  // Last-used times: one batched write per flush window.
  register<UsageFlushJob>({
    queue: USAGE_QUEUE,
    processor: processUsageFlush,
    opts: { concurrency: 1 },
    schedules: [{ id: 'usage-flush', everyMs: USAGE_FLUSH_EVERY_MS, name: USAGE_FLUSH_JOB, data: { kind: USAGE_FLUSH_JOB } }],
  }),
  // Signed status-change webhooks.
  register<WebhookJobData>({ queue: WEBHOOK_QUEUE, processor: deliverWebhookJob, opts: { concurrency: 10 } }),
];
