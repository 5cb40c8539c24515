// The one OAuth refresh: single-flight per credential across processes (a DB lease), compare-and-set token writes, classified failures.
import crypto from 'node:crypto';
import { recordAudit, systemAuditContext, type AuditContext } from '~/audit/audit.server';
import { notifyStatusChange, setCredentialStatus } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { Prisma } from '~/generated/prisma/client';
import type { StatusCause } from '~/credentials/status';
import { REFRESH_TOKEN_FIELD, refreshLeadMs, scheduleCredentialRefresh } from '~/jobs/refresh-schedule.server';
import { logger } from '~/logger.server';
import { isVaultError, readCredentialSecret, writeCredentialSecrets } from '~/vault/vault.server';
import { resolveClientForCredential } from './apps.server';
import { interruptedRefreshReason, isOAuthError, RefreshError } from './errors';
import { classifyTokenFailure, requestTokens, TokenEndpointError, TOKEN_REQUEST_TIMEOUT_MS, type ClientCredentials } from './token-endpoint.server';

export { RefreshError, isRefreshError } from './errors';

export const ACCESS_TOKEN_FIELD = 'access_token';
export { REFRESH_TOKEN_FIELD };

/**
 * How long a refresh holds its lease: the token request's own timeout and a moment to store the answer
 * (the request is cut short before the lease ends, so a lease never lapses while its holder may still
 * receive a rotated refresh token). No longer: when a worker dies mid-request, the next attempt replays
 * the old refresh token, and it must come while the provider's reuse grace period (Okta: 30 s by default)
 * still accepts it, or the provider revokes the grant (ADR 010).
 */
export const REFRESH_LEASE_MS = TOKEN_REQUEST_TIMEOUT_MS + 2_000;
/** The token request ends at least this long before the lease does, leaving the time to store its answer. */
const LEASE_STORE_MARGIN_MS = 1_500;
/** By default a refresh is skipped while the access token is valid for at least this long. */
export const DEFAULT_MIN_VALIDITY_MS = 60_000;
/**
 * A stored access token closer than this to its expiry is unusable for an agent's request (it could
 * expire on the way upstream): only then does the request wait for another process's refresh.
 */
export const USABLE_MARGIN_MS = 5_000;

/** 'in_progress': another process holds the lease and the caller chose not to wait (its token is still usable). */
export type RefreshOutcome = 'refreshed' | 'still_valid' | 'raced' | 'in_progress';

export interface RefreshResult {
  outcome: RefreshOutcome;
  expiresAt: Date | null;
}

export interface RefreshOptions {
  /** Refresh even when the access token is still valid (a person pressed "Refresh now"). */
  force?: boolean;
  /** Treat a token expiring within this window as due (default one minute). */
  minValidityMs?: number;
  /** Who to name in the audit log (default: the refresh worker). */
  context?: AuditContext;
  /** Wait while another process holds the lease (default true); false answers 'in_progress' at once. */
  waitForLease?: boolean;
}

/**
 * One refresh's lease, and what its token request came to. Taking the lease also commits the in-flight
 * marker (Credential.refreshRequestStartedAt) before anything is sent; it is cleared when an answer is
 * stored, and left behind when a request was sent and no answer came back (the provider may have rotated).
 */
export interface RefreshLease {
  owner: string;
  /** This process's clock just before the lease was taken: the token request must end well before it lapses. */
  takenAt: number;
  /** The database's time of taking the lease: the marker's value, unless an interrupted refresh left an older one. */
  leasedAt: Date;
  /** When an earlier refresh sent its request and never stored the answer (null: none did). */
  interruptedAt: Date | null;
  /** The token request went out; an answer (of any kind) came back. */
  sent: boolean;
  answered: boolean;
}

/**
 * SQL for the columns of taking a lease: owner, end, and the in-flight marker, which keeps an older value
 * left by an interrupted refresh (unless tokens were stored since, e.g. by a reconnect) and else is now.
 * Shared by the one-at-a-time lease and the batched one.
 */
export function leaseAssignments(owner: Prisma.Sql, alias: string): Prisma.Sql {
  const c = Prisma.raw(alias);
  return Prisma.sql`"refreshLeaseOwner" = ${owner},
             "refreshLeaseUntil" = now() + make_interval(secs => ${REFRESH_LEASE_MS / 1000}),
             "refreshRequestStartedAt" = CASE WHEN ${c}."refreshRequestStartedAt" > COALESCE(${c}."lastRefreshedAt", '-infinity'::timestamp)
                                              THEN ${c}."refreshRequestStartedAt" ELSE (now() AT TIME ZONE 'UTC')::timestamp(3) END`;
}

/** SQL: the database's time of taking the lease, exactly as the marker stores it (so the two compare equal). */
export const LEASED_AT_SQL = Prisma.sql`(now() AT TIME ZONE 'UTC')::timestamp(3)`;

/** The lease as taken, from the marker the statement returned. */
export function leaseFrom(owner: string, takenAt: number, marker: Date, leasedAt: Date): RefreshLease {
  return { owner, takenAt, leasedAt, interruptedAt: marker.getTime() < leasedAt.getTime() ? marker : null, sent: false, answered: false };
}

const REFRESH_CONTEXT = systemAuditContext('token refresh');

function isFresh(expiresAt: Date | null, minValidityMs: number): boolean {
  // A token without an expiry never needs refreshing on a schedule.
  return expiresAt === null || expiresAt.getTime() - Date.now() > minValidityMs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes the lease if it is free or lapsed; the database's clock decides, so machines need not agree. */
async function acquireLease(credentialId: string, owner: string): Promise<RefreshLease | null> {
  const takenAt = Date.now();
  const rows = await prisma.$queryRaw<Array<{ marker: Date; leasedAt: Date }>>`
    UPDATE "Credential" c
       SET ${leaseAssignments(Prisma.sql`${owner}`, 'c')}
     WHERE c.id = ${credentialId}::uuid
       AND c.type = 'oauth'
       AND (c."refreshLeaseUntil" IS NULL OR c."refreshLeaseUntil" < now())
    RETURNING c."refreshRequestStartedAt" AS marker, ${LEASED_AT_SQL} AS "leasedAt"`;
  const row = rows[0];
  return row ? leaseFrom(owner, takenAt, row.marker, row.leasedAt) : null;
}

/**
 * Only the owner releases its lease; a lapsed lease another process took is left alone. The marker this
 * lease set goes with it, unless its request went out and no answer came back: then the provider may have
 * rotated the refresh token, and the next refresh must know (an older marker stays either way).
 */
export async function releaseLease(credentialId: string, lease: RefreshLease): Promise<void> {
  const unanswered = lease.sent && !lease.answered;
  await prisma.$executeRaw`
    UPDATE "Credential"
       SET "refreshLeaseOwner" = NULL, "refreshLeaseUntil" = NULL,
           "refreshRequestStartedAt" = CASE WHEN ${unanswered} OR "refreshRequestStartedAt" < ${lease.leasedAt.toISOString()}::timestamp
                                            THEN "refreshRequestStartedAt" END
     WHERE id = ${credentialId}::uuid AND "refreshLeaseOwner" = ${lease.owner}`;
}

const credentialSelect = {
  id: true,
  organizationId: true,
  type: true,
  status: true,
  version: true,
  expiresAt: true,
  oauthProvider: true,
  oauthAppId: true,
  oauthTokenUrl: true,
  settings: true,
  refreshFailingSince: true,
} as const;

/** How a permanent failure shows: status, the sentence a person reads, and its typed cause. */
export interface PermanentOutcome {
  status: 'needs_attention' | 'expired';
  reason: string;
  cause: StatusCause;
  /** Extra audit details (never a secret). */
  details?: Record<string, string>;
}

async function readSecret(organizationId: string, credentialId: string, field: string): Promise<string | null> {
  try {
    const bytes = await readCredentialSecret(organizationId, credentialId, field);
    const value = bytes.toString('utf8');
    bytes.fill(0);
    return value;
  } catch (error) {
    if (isVaultError(error, 'not_found')) return null;
    throw error;
  }
}

export type Loaded = NonNullable<Awaited<ReturnType<typeof loadCredential>>>;

function loadCredential(credentialId: string) {
  return prisma.credential.findUnique({ where: { id: credentialId }, select: credentialSelect });
}

/**
 * A permanent failure sets needs_attention ("Reconnect required: …", cause refresh_revoked by default) —
 * unless the credential's version moved since we read it under the lease: then someone else stored new
 * tokens and this was a race, not a revocation. The in-flight marker is cleared: the reason tells it.
 */
export async function failPermanently(
  credential: Loaded,
  message: string,
  context: AuditContext,
  outcome: PermanentOutcome = { status: 'needs_attention', reason: `Reconnect required: ${message}`, cause: 'refresh_revoked' },
): Promise<RefreshResult> {
  const result = await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ version: number; expiresAt: Date | null }>>`
      SELECT version, "expiresAt" FROM "Credential" WHERE id = ${credential.id}::uuid FOR UPDATE`;
    const current = rows[0];
    if (!current || current.version !== credential.version) return { raced: true as const, expiresAt: current?.expiresAt ?? null };
    await tx.credential.update({
      where: { id: credential.id },
      data: { refreshFailingSince: credential.refreshFailingSince ?? new Date(), nextRefreshAt: null, refreshRequestStartedAt: null },
    });
    const status = await setCredentialStatus(tx, {
      credentialId: credential.id,
      organizationId: credential.organizationId,
      status: outcome.status,
      reason: outcome.reason,
      cause: outcome.cause,
      context,
    });
    await recordAudit(tx, {
      organizationId: credential.organizationId,
      context,
      action: 'credential.refresh_failed',
      targetType: 'credential',
      targetId: credential.id,
      credentialId: credential.id,
      details: { kind: 'permanent', reason: message, cause: outcome.cause, ...outcome.details },
    });
    return { raced: false as const, changed: status.changed };
  });
  if (result.raced) return { outcome: 'raced', expiresAt: result.expiresAt };
  if (result.changed) await notifyStatusChange(credential.id);
  throw new RefreshError('permanent', message);
}

/** A transient failure only starts the failing-since clock (audited once per failing streak); the caller retries. */
export async function failTransiently(credential: Loaded, message: string, retryAfterMs: number | undefined, context: AuditContext): Promise<never> {
  await prisma.$transaction(async (tx) => {
    const { count } = await tx.credential.updateMany({
      where: { id: credential.id, refreshFailingSince: null },
      data: { refreshFailingSince: new Date() },
    });
    if (count === 1) {
      await recordAudit(tx, {
        organizationId: credential.organizationId,
        context,
        action: 'credential.refresh_failed',
        targetType: 'credential',
        targetId: credential.id,
        credentialId: credential.id,
        details: { kind: 'transient', reason: message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
      });
    }
  });
  throw new RefreshError('transient', message, retryAfterMs);
}

/** What a successful refresh stores: the new expiry, the token fields to seal, and the granted scopes when sent. */
export interface RefreshedTokens {
  expiresAt: Date | null;
  secrets: Record<string, string>;
  scopes: string[] | null;
}

/**
 * Under the lease: the token request itself, cut short before the lease lapses. A classified failure is
 * recorded (permanent: needs attention unless the version moved, which answers 'raced'; transient: throws
 * RefreshError). A refusal of the grant after an interrupted refresh is named for what it is: the provider
 * rotated the refresh token then, and took our replay of the old one for token reuse.
 */
export async function requestRefreshTokens(
  credential: Loaded,
  client: ClientCredentials & { endpoints: { tokenUrl: string } },
  refreshToken: string,
  context: AuditContext,
  lease: RefreshLease,
): Promise<RefreshedTokens | RefreshResult> {
  const timeoutMs = Math.min(TOKEN_REQUEST_TIMEOUT_MS, lease.takenAt + REFRESH_LEASE_MS - LEASE_STORE_MARGIN_MS - Date.now());
  if (timeoutMs < 1_000) {
    // Too little of the lease is left to send and store: nothing is sent, the retry takes a new lease.
    return failTransiently(credential, 'the refresh could not start in time', undefined, context);
  }
  let tokens;
  try {
    lease.sent = true;
    tokens = await requestTokens(client.endpoints.tokenUrl, client, { grant_type: 'refresh_token', refresh_token: refreshToken }, timeoutMs);
    lease.answered = true;
  } catch (error) {
    if (!(error instanceof TokenEndpointError)) throw error;
    // A network failure may have reached the provider (a lost answer); any other failure is its answer, or nothing was sent.
    lease.answered = error.failure.kind !== 'network';
    const verdict = classifyTokenFailure(error.failure);
    logger.warn({ credentialId: credential.id, kind: verdict.kind, reason: verdict.message }, 'OAuth refresh failed');
    if (verdict.kind === 'transient') return failTransiently(credential, verdict.message, verdict.retryAfterMs, context);
    if (lease.interruptedAt && error.failure.kind === 'oauth' && error.failure.code === 'invalid_grant') {
      return failPermanently(credential, verdict.message, context, {
        status: 'needs_attention',
        reason: interruptedRefreshReason(lease.interruptedAt),
        cause: 'refresh_reuse_revoked',
        details: { interruptedAt: lease.interruptedAt.toISOString() },
      });
    }
    return failPermanently(credential, verdict.message, context);
  }

  const data = tokens.data as Record<string, unknown>;
  const expiresAt = typeof data.expires_in === 'number' ? tokens.accessTokenExpiresAt() : null;
  // Providers that do not rotate send no refresh token: the old one stays valid and stays stored.
  const secrets: Record<string, string> = { [ACCESS_TOKEN_FIELD]: tokens.accessToken() };
  if (tokens.hasRefreshToken()) secrets[REFRESH_TOKEN_FIELD] = tokens.refreshToken();
  const scopes = tokens.hasScopes() ? tokens.scopes().filter(Boolean) : null;
  return { expiresAt, secrets, scopes };
}

/** Under the lease: re-read, call the token endpoint, compare-and-set the new tokens. */
async function refreshUnderLease(credentialId: string, lease: RefreshLease, startVersion: number, opts: Required<Pick<RefreshOptions, 'force' | 'minValidityMs'>> & { context: AuditContext }): Promise<RefreshResult> {
  const credential = await loadCredential(credentialId);
  if (!credential || credential.type !== 'oauth') throw new RefreshError('permanent', 'The credential no longer exists');
  if (credential.version !== startVersion) return { outcome: 'raced', expiresAt: credential.expiresAt };
  if (!opts.force && isFresh(credential.expiresAt, opts.minValidityMs)) return { outcome: 'still_valid', expiresAt: credential.expiresAt };
  if (credential.status === 'disconnected') throw new RefreshError('permanent', 'The credential is disconnected; connect it again');

  const refreshToken = await readSecret(credential.organizationId, credential.id, REFRESH_TOKEN_FIELD);
  if (!refreshToken) {
    // Nothing to refresh with: a token past its expiry is simply expired (a person pastes or connects anew).
    const expired = credential.expiresAt !== null && credential.expiresAt.getTime() <= Date.now();
    return failPermanently(
      credential,
      'there is no refresh token',
      opts.context,
      expired
        ? { status: 'expired', reason: 'The access token expired and there is no refresh token: reconnect or paste new tokens', cause: 'token_expired_no_refresh' }
        : { status: 'needs_attention', reason: 'Reconnect required: there is no refresh token', cause: 'refresh_revoked' },
    );
  }
  let client;
  try {
    client = await resolveClientForCredential(credential);
  } catch (error) {
    if (isOAuthError(error)) return failPermanently(credential, error.message, opts.context, appMissing(error.message));
    throw error;
  }

  const tokens = await requestRefreshTokens(credential, client, refreshToken, opts.context, lease);
  if ('outcome' in tokens) return tokens;
  const { expiresAt, secrets, scopes } = tokens;

  const written = await prisma.$transaction(async (tx) => {
    const { count } = await tx.credential.updateMany({
      where: { id: credential.id, version: credential.version, refreshLeaseOwner: lease.owner },
      data: {
        version: { increment: 1 },
        expiresAt,
        lastRefreshedAt: new Date(),
        refreshFailingSince: null,
        refreshRequestStartedAt: null,
        ...(scopes ? { oauthScopes: scopes } : {}),
      },
    });
    if (count !== 1) return null;
    await writeCredentialSecrets(tx, { organizationId: credential.organizationId, credentialId: credential.id, secrets });
    const status =
      credential.status === 'active'
        ? { changed: false }
        : await setCredentialStatus(tx, { credentialId: credential.id, organizationId: credential.organizationId, status: 'active', reason: null, cause: null, context: opts.context });
    return status;
  });
  if (!written) {
    // Someone wrote new tokens (a reconnect) or took a lapsed lease; theirs stand.
    logger.warn({ credentialId }, 'OAuth refresh lost its compare-and-set; keeping the newer tokens');
    const now = await loadCredential(credentialId);
    return { outcome: 'raced', expiresAt: now?.expiresAt ?? null };
  }
  if (written.changed) await notifyStatusChange(credential.id);
  await scheduleCredentialRefresh(credential.id, expiresAt);
  return { outcome: 'refreshed', expiresAt };
}

/** The outcome of a permanent failure to find the credential's OAuth app (client). */
export function appMissing(message: string): PermanentOutcome {
  return { status: 'needs_attention', reason: `Reconnect required: ${message}`, cause: 'oauth_app_missing' };
}

/**
 * Refreshes an OAuth credential's access token. At most one refresh per credential runs at a time
 * across all processes; callers that find one running wait for it (unless waitForLease is false) and
 * answer 'raced' (someone else refreshed) or 'still_valid'. Throws RefreshError: 'permanent'
 * (needs_attention is already set unless it was a race) or 'transient' (retry, after retryAfterMs when given).
 */
export async function refreshCredential(credentialId: string, opts: RefreshOptions = {}): Promise<RefreshResult> {
  const force = opts.force ?? false;
  const minValidityMs = opts.minValidityMs ?? DEFAULT_MIN_VALIDITY_MS;
  const context = opts.context ?? REFRESH_CONTEXT;
  const initial = await prisma.credential.findUnique({ where: { id: credentialId }, select: { version: true, type: true, expiresAt: true } });
  if (!initial || initial.type !== 'oauth') throw new RefreshError('permanent', 'The credential does not exist or is not an OAuth credential');
  if (!force && isFresh(initial.expiresAt, minValidityMs)) return { outcome: 'still_valid', expiresAt: initial.expiresAt };

  const owner = crypto.randomUUID();
  const giveUpAt = Date.now() + REFRESH_LEASE_MS + TOKEN_REQUEST_TIMEOUT_MS;
  let lease: RefreshLease | null;
  while (!(lease = await acquireLease(credentialId, owner))) {
    if (opts.waitForLease === false) return { outcome: 'in_progress', expiresAt: initial.expiresAt };
    await sleep(20 + Math.random() * 40);
    const now = await prisma.credential.findUnique({ where: { id: credentialId }, select: { version: true, expiresAt: true } });
    if (!now) throw new RefreshError('permanent', 'The credential no longer exists');
    if (now.version !== initial.version) return { outcome: 'raced', expiresAt: now.expiresAt };
    if (!force && isFresh(now.expiresAt, minValidityMs)) return { outcome: 'still_valid', expiresAt: now.expiresAt };
    if (Date.now() > giveUpAt) throw new RefreshError('transient', 'another refresh of this credential is still running', 1_000);
  }
  try {
    return await refreshUnderLease(credentialId, lease, initial.version, { force, minValidityMs, context });
  } finally {
    await releaseLease(credentialId, lease);
  }
}

/**
 * The access token to inject into an agent's request: refreshed first (single-flight) when it expires
 * within the lead — `leadMs`, but at most half the token's lifetime, as for the scheduled refresh, so a
 * 20-second token is not refreshed on every call. A token that is still usable is answered at once when
 * another process is refreshing; only an unusable one (expired, nearly so, or refused upstream:
 * forceRefresh) waits for that refresh. A transient refresh failure still answers with a token that has
 * not expired.
 */
export async function accessTokenForUse(credentialId: string, opts: { leadMs?: number; forceRefresh?: boolean } = {}): Promise<string> {
  const credential = await prisma.credential.findUnique({
    where: { id: credentialId },
    select: { organizationId: true, type: true, status: true, expiresAt: true, lastRefreshedAt: true, createdAt: true },
  });
  if (!credential || credential.type !== 'oauth') throw new RefreshError('permanent', 'The credential does not exist or is not an OAuth credential');
  if (credential.status === 'disconnected') throw new RefreshError('permanent', 'The credential is disconnected; connect it again');
  let expiresAt = credential.expiresAt;
  const issuedAt = credential.lastRefreshedAt ?? credential.createdAt;
  const leadMs = expiresAt ? refreshLeadMs(expiresAt.getTime() - issuedAt.getTime(), opts.leadMs ?? DEFAULT_MIN_VALIDITY_MS) : 0;
  if (opts.forceRefresh || !isFresh(expiresAt, leadMs)) {
    const usable = !opts.forceRefresh && isFresh(expiresAt, USABLE_MARGIN_MS);
    try {
      expiresAt = (await refreshCredential(credentialId, { force: opts.forceRefresh, minValidityMs: leadMs, waitForLease: !usable })).expiresAt;
    } catch (error) {
      const stillUsable = expiresAt !== null && expiresAt.getTime() > Date.now();
      if (!(error instanceof RefreshError && error.kind === 'transient' && stillUsable)) throw error;
    }
  }
  const token = await readSecret(credential.organizationId, credentialId, ACCESS_TOKEN_FIELD);
  if (!token) throw new RefreshError('permanent', 'The credential holds no access token; connect it again');
  return token;
}
