// Background job of the "vault" queue: re-encrypts one organization's secrets under its active data key.
import type { Job } from 'bullmq';
import { logger } from '~/logger.server';
import { reencryptOrganizationSecrets, type ReencryptJobData } from './rotation.server';

export const VAULT_QUEUE = 'vault';

/** Processor for `reencrypt-organization` jobs. Safe to retry or run twice: it only moves rows still on an old version. */
export async function reencryptOrganizationJob(job: Pick<Job<ReencryptJobData>, 'data'>) {
  const { organizationId } = job.data;
  const report = await reencryptOrganizationSecrets(organizationId, { batchSize: 200 });
  logger.info({ ...report }, 'organization secrets re-encrypted');
  if (report.failed > 0) {
    // Retrying will not fix a secret that cannot be opened; surface it instead of looping.
    logger.error({ organizationId, failed: report.failed }, 'some secrets could not be re-encrypted');
  } else if (report.remaining > 0) {
    // Rows written under an old version meanwhile: fail so BullMQ retries with backoff.
    throw new Error(`${report.remaining} secrets still use an older data key; retrying`);
  }
  return report;
}
