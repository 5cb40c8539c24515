// Scheduled refreshes in micro-batches: the same lease → re-read → token request → compare-and-set as
// refreshCredential, per credential, but the database work of the refreshes running at the same time in
// this process is shared: one statement takes many leases (and is the read under them, refresh tokens
// included), one statement compare-and-sets their new tokens (releasing the leases and recording the
// next refresh time) and one call enqueues their next jobs. Anything out of the ordinary (lease taken,
// not due, superseded, no refresh token, disconnected) is left to the one-at-a-time path.
import crypto from 'node:crypto';
import type { AuditContext } from '~/audit/audit.server';
import { notifyStatusChange, setCredentialStatus } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { Prisma } from '~/generated/prisma/client';
import { fulfilled, MicroBatcher, rejected } from '~/jobs/micro-batch.server';
import { enqueueRefreshJobs, refreshJobId, refreshTimeFor, removeSupersededJob } from '~/jobs/refresh-schedule.server';
import { logger } from '~/logger.server';
import { openSecret, sealCredentialSecretColumns, writeCredentialSecretsBatch } from '~/vault/vault.server';
import { resolveClientForCredential, type ResolvedClient } from './apps.server';
import { isOAuthError } from './errors';
import {
  appMissing,
  failPermanently,
  LEASED_AT_SQL,
  leaseAssignments,
  leaseFrom,
  REFRESH_TOKEN_FIELD,
  releaseLease,
  requestRefreshTokens,
  type Loaded,
  type RefreshedTokens,
  type RefreshLease,
  type RefreshResult,
} from './refresh.server';

export interface ScheduledRefresh {
  credentialId: string;
  /** The job's run time: the credential's nextRefreshAt must still be exactly this. */
  runAt: number;
  /** The expiry the job was scheduled for (its id is derived from it). */
  forExpiry: number | null;
  /** Due only if the stored access token expires at or before this moment. */
  dueBefore: number;
  context: AuditContext;
}

interface ClaimRequest extends ScheduledRefresh {
  owner: string;
}

interface Claimed {
  credential: Loaded;
  refreshToken: string;
  /** The organization's active data-key version when the lease was taken: the new tokens are sealed with it. */
  keyVersion: number;
  client: { ok: true; value: ResolvedClient } | { ok: false; error: unknown };
  /** The lease with its in-flight marker (set by the same statement, before any request is sent). */
  lease: RefreshLease;
}

interface CommitRequest {
  request: ClaimRequest;
  credential: Loaded;
  keyVersion: number;
  tokens: RefreshedTokens;
  nextRefreshAt: Date | null;
}

const MAX_BATCH = 200;

/** Counters since the process started (for tests and diagnostics). */
const stats = { claimBatches: 0, claimed: 0, commitBatches: 0, committed: 0 };
export function refreshBatchStats(): Readonly<typeof stats> {
  return { ...stats };
}

type ClaimRow = Loaded & { id: string; refreshCiphertext: Uint8Array; refreshKeyVersion: number; activeKeyVersion: number; marker: Date; leasedAt: Date };

async function claimBatch(requests: ClaimRequest[]): Promise<Array<PromiseSettledResult<Claimed | null>>> {
  // Two jobs for one credential in one batch: only the first may try for the lease here.
  const seen = new Set<string>();
  const unique = requests.filter((r) => (seen.has(r.credentialId) ? false : (seen.add(r.credentialId), true)));
  let rows: ClaimRow[];
  const takenAt = Date.now();
  try {
    // Locks in id order and skips rows another transaction holds (they take the one-at-a-time path),
    // so batches in several processes never deadlock. The RETURNING row is the read under the lease,
    // with the sealed refresh token and the organization's active key version; the same statement
    // commits each lease's in-flight marker, so no round trip is added before the token requests.
    rows = await prisma.$queryRaw<ClaimRow[]>`
      WITH v AS (
        SELECT * FROM unnest(${unique.map((r) => r.credentialId)}::uuid[], ${unique.map((r) => r.owner)}::text[],
                             ${unique.map((r) => new Date(r.runAt).toISOString())}::timestamp[],
                             ${unique.map((r) => new Date(r.dueBefore).toISOString())}::timestamp[]) AS v(id, owner, run_at, due_before)),
      due AS (
        SELECT c.id FROM "Credential" c JOIN v ON v.id = c.id
         WHERE c.type = 'oauth'
           AND (c."refreshLeaseUntil" IS NULL OR c."refreshLeaseUntil" < now())
           AND c."nextRefreshAt" = v.run_at
           AND c.status <> 'disconnected'
           AND c."expiresAt" <= v.due_before
         ORDER BY c.id
         FOR UPDATE OF c SKIP LOCKED)
      UPDATE "Credential" c
         SET ${leaseAssignments(Prisma.raw('v.owner'), 'c')}
        FROM v, "CredentialSecret" s, "Organization" o
       WHERE c.id = v.id AND c.id IN (SELECT id FROM due)
         AND (c."refreshLeaseUntil" IS NULL OR c."refreshLeaseUntil" < now())
         AND s."credentialId" = c.id AND s.field = ${REFRESH_TOKEN_FIELD}
         AND o.id = c."organizationId"
      RETURNING c.id::text AS id, c."organizationId"::text AS "organizationId", c.type::text AS type, c.status::text AS status,
                c.version, c."expiresAt", c."oauthProvider", c."oauthAppId"::text AS "oauthAppId", c."oauthTokenUrl",
                c.settings, c."refreshFailingSince",
                s.ciphertext AS "refreshCiphertext", s."keyVersion" AS "refreshKeyVersion", o."activeKeyVersion",
                c."refreshRequestStartedAt" AS marker, ${LEASED_AT_SQL} AS "leasedAt"`;
  } catch (error) {
    // Nothing was taken; each job goes the one-at-a-time way (which reports a real outage itself).
    logger.warn({ err: { message: (error as Error).message } }, 'batched refresh claim failed; refreshing one at a time');
    return requests.map(() => fulfilled(null));
  }
  stats.claimBatches++;
  stats.claimed += rows.length;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const owners = new Map(unique.map((r) => [r.credentialId, r.owner]));

  // One lookup per OAuth app in the batch (pasted tokens and platform apps resolve per credential).
  const clients = new Map<string, Promise<ResolvedClient>>();
  const clientFor = (credential: Loaded) => {
    if (!credential.oauthAppId) return resolveClientForCredential(credential);
    const key = `${credential.organizationId}/${credential.oauthAppId}`;
    let client = clients.get(key);
    if (!client) clients.set(key, (client = resolveClientForCredential(credential)));
    return client;
  };

  const results = await Promise.all(
    requests.map(async (request): Promise<PromiseSettledResult<Claimed | null>> => {
      const row = byId.get(request.credentialId);
      if (!row || owners.get(request.credentialId) !== request.owner) return fulfilled(null);
      const { refreshCiphertext, refreshKeyVersion, activeKeyVersion: keyVersion, marker, leasedAt, ...credential } = row;
      const lease = leaseFrom(request.owner, takenAt, marker, leasedAt);
      let refreshToken: string;
      try {
        const bytes = await openSecret({
          organizationId: row.organizationId,
          credentialId: row.id,
          field: REFRESH_TOKEN_FIELD,
          ciphertext: refreshCiphertext,
          keyVersion: refreshKeyVersion,
        });
        refreshToken = bytes.toString('utf8');
        bytes.fill(0);
      } catch (error) {
        await releaseLease(row.id, lease);
        return rejected(error);
      }
      let client: Claimed['client'];
      try {
        client = { ok: true, value: await clientFor(credential) };
      } catch (error) {
        client = { ok: false, error };
      }
      return fulfilled({ credential, refreshToken, keyVersion, client, lease });
    }),
  );
  return results;
}

/**
 * The UPDATE both writes share: a refreshed credential's new expiry, scopes and next refresh time, its
 * version bumped and its lease released, for the rows of `v` that `mine` locked and still match.
 */
function compareAndSetRefreshed(nowIso: string): Prisma.Sql {
  return Prisma.sql`
      UPDATE "Credential" c
         SET version = c.version + 1,
             "expiresAt" = v.expires_at,
             "lastRefreshedAt" = ${nowIso}::timestamp,
             "refreshFailingSince" = NULL,
             "refreshRequestStartedAt" = NULL,
             "oauthScopes" = CASE WHEN v.scopes IS NULL THEN c."oauthScopes" ELSE ARRAY(SELECT jsonb_array_elements_text(v.scopes::jsonb)) END,
             "nextRefreshAt" = v.next_at,
             "refreshLeaseOwner" = NULL,
             "refreshLeaseUntil" = NULL,
             "updatedAt" = ${nowIso}::timestamp
        FROM v
       WHERE c.id = v.id AND c.id IN (SELECT id FROM mine) AND c.version = v.version AND c."refreshLeaseOwner" = v.owner`;
}

/**
 * The common case in one statement (no transaction round trips): compare-and-set the credentials
 * (version and lease owner) and upsert their new tokens, sealed with the key version read at claim
 * time, which the statement confirms under a share lock on the organization (a key rotation waits for
 * it, or it sees the rotation and writes nothing). Answers the ids written; a credential left out
 * (lost the compare-and-set, or its organization's key rotated meanwhile) goes through commitTransaction.
 */
async function commitStatement(items: CommitRequest[]): Promise<Set<string>> {
  const now = new Date().toISOString();
  const sealed = await sealCredentialSecretColumns(
    items.map((i) => ({ organizationId: i.credential.organizationId, credentialId: i.credential.id, keyVersion: i.keyVersion, secrets: i.tokens.secrets })),
  );
  const rows = await prisma.$queryRaw<Array<{ id: string }>>`
    WITH v AS (
      SELECT * FROM unnest(${items.map((i) => i.credential.id)}::uuid[], ${items.map((i) => i.credential.organizationId)}::uuid[],
                           ${items.map((i) => i.credential.version)}::int[], ${items.map((i) => i.request.owner)}::text[],
                           ${items.map((i) => i.keyVersion)}::int[],
                           ${items.map((i) => i.tokens.expiresAt?.toISOString() ?? null)}::timestamp[],
                           ${items.map((i) => i.nextRefreshAt?.toISOString() ?? null)}::timestamp[],
                           ${items.map((i) => (i.tokens.scopes ? JSON.stringify(i.tokens.scopes) : null))}::text[])
             AS v(id, org, version, owner, key_version, expires_at, next_at, scopes)),
    keys AS (
      SELECT o.id, o."activeKeyVersion" FROM "Organization" o WHERE o.id IN (SELECT org FROM v) ORDER BY o.id FOR SHARE),
    mine AS (
      SELECT c.id FROM "Credential" c
        JOIN v ON v.id = c.id AND c."organizationId" = v.org AND c.version = v.version AND c."refreshLeaseOwner" = v.owner
        JOIN keys k ON k.id = v.org AND k."activeKeyVersion" = v.key_version
       ORDER BY c.id
       FOR UPDATE OF c),
    upd AS (
      ${compareAndSetRefreshed(now)}
      RETURNING c.id),
    ins AS (
      INSERT INTO "CredentialSecret" ("credentialId", field, ciphertext, "keyVersion", "updatedAt")
      SELECT s.id, s.field, s.ct, s.kv, ${now}::timestamp
        FROM unnest(${sealed.credentialIds}::uuid[], ${sealed.fields}::text[], ${sealed.ciphertexts}::bytea[], ${sealed.keyVersions}::int[]) AS s(id, field, ct, kv)
        JOIN upd ON upd.id = s.id
      ON CONFLICT ("credentialId", field) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, "keyVersion" = EXCLUDED."keyVersion", "updatedAt" = EXCLUDED."updatedAt"
      RETURNING 1)
    SELECT id::text AS id FROM upd`;
  return new Set(rows.map((r) => r.id));
}

/** The compare-and-set for many credentials in one transaction; answers which ones were written. */
async function commitTransaction(items: CommitRequest[]): Promise<{ written: Set<string>; changed: string[] }> {
  const now = new Date();
  const nowIso = now.toISOString();
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      WITH v AS (
        SELECT * FROM unnest(${items.map((i) => i.credential.id)}::uuid[], ${items.map((i) => i.credential.version)}::int[],
                             ${items.map((i) => i.request.owner)}::text[],
                             ${items.map((i) => i.tokens.expiresAt?.toISOString() ?? null)}::timestamp[],
                             ${items.map((i) => i.nextRefreshAt?.toISOString() ?? null)}::timestamp[],
                             ${items.map((i) => (i.tokens.scopes ? JSON.stringify(i.tokens.scopes) : null))}::text[])
               AS v(id, version, owner, expires_at, next_at, scopes)),
      mine AS (
        SELECT c.id FROM "Credential" c JOIN v ON v.id = c.id AND c.version = v.version AND c."refreshLeaseOwner" = v.owner
         ORDER BY c.id
         FOR UPDATE OF c)
      ${compareAndSetRefreshed(nowIso)}
      RETURNING c.id::text AS id`;
    const written = new Set(rows.map((r) => r.id));
    const stored = items.filter((i) => written.has(i.credential.id));
    await writeCredentialSecretsBatch(
      tx,
      stored.map((i) => ({ organizationId: i.credential.organizationId, credentialId: i.credential.id, secrets: i.tokens.secrets })),
    );
    const changed: string[] = [];
    for (const item of stored) {
      if (item.credential.status === 'active') continue;
      const status = await setCredentialStatus(tx, {
        credentialId: item.credential.id,
        organizationId: item.credential.organizationId,
        status: 'active',
        reason: null,
        cause: null,
        context: item.request.context,
      });
      if (status.changed) changed.push(item.credential.id);
    }
    return { written, changed };
  });
}

async function commitBatch(items: CommitRequest[]): Promise<Array<PromiseSettledResult<boolean>>> {
  let outcome: { written: Set<string>; changed: string[] };
  try {
    // A credential becoming active again needs its status change audited: that takes the transaction.
    const plain = items.filter((i) => i.credential.status === 'active');
    const written = plain.length > 0 ? await commitStatement(plain) : new Set<string>();
    const rest = items.filter((i) => !written.has(i.credential.id));
    const slow = rest.length > 0 ? await commitTransaction(rest) : { written: new Set<string>(), changed: [] };
    outcome = { written: new Set([...written, ...slow.written]), changed: slow.changed };
  } catch (error) {
    if (items.length === 1) throw error;
    // One bad row (or a deadlock with another writer) must not sink the others: each on its own.
    logger.warn({ err: { message: (error as Error).message }, count: items.length }, 'batched refresh write failed; writing one at a time');
    return Promise.all(items.map((item) => commitBatch([item]).then((r) => r[0]!)));
  }
  const { written, changed } = outcome;
  stats.commitBatches++;
  stats.committed += written.size;
  for (const id of changed) await notifyStatusChange(id);
  const stored = items.filter((i) => written.has(i.credential.id));
  const now = new Date();
  try {
    // The job that ran is this credential's scheduled one; any other waiting job for the old schedule goes.
    for (const item of stored) {
      const previous = refreshJobId(item.credential.id, item.request.runAt, item.credential.expiresAt);
      const running = refreshJobId(item.credential.id, item.request.runAt, item.request.forExpiry);
      const next = item.nextRefreshAt ? refreshJobId(item.credential.id, item.nextRefreshAt, item.tokens.expiresAt) : null;
      if (previous !== running) await removeSupersededJob(item.credential.id, new Date(item.request.runAt), item.credential.expiresAt, next);
    }
    await enqueueRefreshJobs(
      stored.filter((i) => i.nextRefreshAt).map((i) => ({ credentialId: i.credential.id, runAt: i.nextRefreshAt!, forExpiry: i.tokens.expiresAt })),
      now,
    );
  } catch (error) {
    // Stored, but the next job is not enqueued: the health sweep rebuilds it from nextRefreshAt.
    return items.map((i) => (written.has(i.credential.id) ? rejected(error) : fulfilled(false)));
  }
  return items.map((i) => fulfilled(written.has(i.credential.id)));
}

const claims = new MicroBatcher<ClaimRequest, Claimed | null>(claimBatch, { maxBatch: MAX_BATCH, maxConcurrent: 1 });
const commits = new MicroBatcher<CommitRequest, boolean>(commitBatch, { maxBatch: MAX_BATCH, maxConcurrent: 1 });

/**
 * A scheduled refresh through the shared batches. Answers null when the credential is not plainly due
 * for this job (the caller then takes the one-at-a-time path, which sorts out every unusual case),
 * else exactly what refreshCredential would: a result, or a RefreshError (permanent or transient).
 */
export async function refreshScheduled(input: ScheduledRefresh): Promise<RefreshResult | null> {
  const request: ClaimRequest = { ...input, owner: crypto.randomUUID() };
  const claimed = await claims.submit(request);
  if (!claimed) return null;
  const { credential } = claimed;
  let released = false;
  try {
    if (!claimed.client.ok) {
      if (isOAuthError(claimed.client.error)) return await failPermanently(credential, claimed.client.error.message, input.context, appMissing(claimed.client.error.message));
      throw claimed.client.error;
    }
    // The request is cut short before the lease lapses; the compare-and-set still checks the lease is ours.
    const tokens = await requestRefreshTokens(credential, claimed.client.value, claimed.refreshToken, input.context, claimed.lease);
    if ('outcome' in tokens) return tokens;
    const nextRefreshAt = tokens.expiresAt ? refreshTimeFor(credential.id, tokens.expiresAt) : null;
    const written = await commits.submit({ request, credential, keyVersion: claimed.keyVersion, tokens, nextRefreshAt });
    if (written) {
      released = true;
      return { outcome: 'refreshed', expiresAt: tokens.expiresAt };
    }
    // Someone wrote new tokens (a reconnect) or took a lapsed lease; theirs stand.
    logger.warn({ credentialId: credential.id }, 'OAuth refresh lost its compare-and-set; keeping the newer tokens');
    const now = await prisma.credential.findUnique({ where: { id: credential.id }, select: { expiresAt: true } });
    return { outcome: 'raced', expiresAt: now?.expiresAt ?? null };
  } finally {
    if (!released) await releaseLease(credential.id, claimed.lease);
  }
}
