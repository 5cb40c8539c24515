// Last-used tracking: recordCredentialUse is a queue-store write on the hot path; a flush job batches it into PostgreSQL.
import { usageStore } from './store.server';

/**
 * Notes that `agent` (or a person, when null) used `credential` now. No database write: on Redis a
 * pipelined hash write, on the PostgreSQL backend an in-memory aggregate staged once a second (see
 * docs/decisions/005-usage-tracking.md). The flush job moves the newest times into PostgreSQL
 * and audits each agent's use of each credential once per window, with the newest request's address.
 */
export async function recordCredentialUse(
  credential: { id: string; organizationId: string },
  agent: { id: string } | null,
  origin: { ip: string | null } = { ip: null },
): Promise<void> {
  await usageStore().record(credential.id, agent?.id ?? null, Date.now(), origin.ip);
}
