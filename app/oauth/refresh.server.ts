// The one OAuth refresh: single-flight per credential across processes (a DB lease), compare-and-set token writes, classified failures.
import crypto from 'node:crypto';
import { recordAudit, systemAuditContext, type AuditContext } from '~/audit/audit.server';
import { notifyStatusChange, setCredentialStatus } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { REFRESH_TOKEN_FIELD, scheduleCredentialRefresh } from '~/jobs/refresh-schedule.server';
import { logger } from '~/logger.server';
import { isVaultError, readCredentialSecret, writeCredentialSecrets } from '~/vault/vault.server';
import { resolveClientForCredential } from './apps.server';
import { isOAuthError, RefreshError } from './errors';
import { classifyTokenFailure, requestTokens, TokenEndpointError, TOKEN_REQUEST_TIMEOUT_MS, type ClientCredentials } from './token-endpoint.server';

export { RefreshError, isRefreshError } from './errors';

export const ACCESS_TOKEN_FIELD = 'access_token';
export { REFRESH_TOKEN_FIELD };

/**
 * How long a refresh holds its lease. Longer than the token request's own timeout, so a lease never
 * lapses while its holder may still receive (and store) a rotated refresh token.
 */
export const REFRESH_LEASE_MS = 30_000;
/** By default a refresh is skipped while the access token is valid for at least this long. */
export const DEFAULT_MIN_VALIDITY_MS = 60_000;

export type RefreshOutcome = 'refreshed' | 'still_valid' | 'raced';

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
}

const REFRESH_CONTEXT = systemAuditContext('token refresh');

function isFresh(expiresAt: Date | null, minValidityMs: number): boolean {
  // A token without an expiry never needs refreshing on a schedule.
  return expiresAt === null || expiresAt.getTime() - Date.now() > minValidityMs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes the lease if it is free or lapsed; the database's clock decides, so machines need not agree. */
async function acquireLease(credentialId: string, owner: string): Promise<boolean> {
  const rows = await prisma.$queryRaw<Array<{ id: string }>>`
    UPDATE "Credential"
       SET "refreshLeaseOwner" = ${owner},
           "refreshLeaseUntil" = now() + make_interval(secs => ${REFRESH_LEASE_MS / 1000})
     WHERE id = ${credentialId}::uuid
       AND type = 'oauth'
       AND ("refreshLeaseUntil" IS NULL OR "refreshLeaseUntil" < now())
    RETURNING id`;
  return rows.length === 1;
}

/** Only the owner releases its lease; a lapsed lease another process took is left alone. */
export async function releaseLease(credentialId: string, owner: string): Promise<void> {
  await prisma.$executeRaw`
    UPDATE "Credential" SET "refreshLeaseOwner" = NULL, "refreshLeaseUntil" = NULL
     WHERE id = ${credentialId}::uuid AND "refreshLeaseOwner" = ${owner}`;
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
 * A permanent failure sets needs_attention ("Reconnect required: …") — unless the credential's
 * version moved since we read it under the lease: then someone else stored new tokens and this
 * was a race, not a revocation.
 */
export async function failPermanently(
  credential: Loaded,
  message: string,
  context: AuditContext,
  outcome: { status: 'needs_attention' | 'expired'; reason: string } = { status: 'needs_attention', reason: `Reconnect required: ${message}` },
): Promise<RefreshResult> {
  const result = await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ version: number; expiresAt: Date | null }>>`
      SELECT version, "expiresAt" FROM "Credential" WHERE id = ${credential.id}::uuid FOR UPDATE`;
    const current = rows[0];
    if (!current || current.version !== credential.version) return { raced: true as const, expiresAt: current?.expiresAt ?? null };
    await tx.credential.update({
      where: { id: credential.id },
      data: { refreshFailingSince: credential.refreshFailingSince ?? new Date(), nextRefreshAt: null },
    });
    const status = await setCredentialStatus(tx, {
      credentialId: credential.id,
      organizationId: credential.organizationId,
      status: outcome.status,
      reason: outcome.reason,
      context,
    });
    await recordAudit(tx, {
      organizationId: credential.organizationId,
      context,
      action: 'credential.refresh_failed',
      targetType: 'credential',
      targetId: credential.id,
      credentialId: credential.id,
      details: { kind: 'permanent', reason: message },
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
 * Under the lease: the token request itself. A classified failure is recorded (permanent: needs
 * attention unless the version moved, which answers 'raced'; transient: throws RefreshError).
 */
export async function requestRefreshTokens(
  credential: Loaded,
  client: ClientCredentials & { endpoints: { tokenUrl: string } },
  refreshToken: string,
  context: AuditContext,
): Promise<RefreshedTokens | RefreshResult> {
  let tokens;
  try {
    tokens = await requestTokens(client.endpoints.tokenUrl, client, { grant_type: 'refresh_token', refresh_token: refreshToken }, TOKEN_REQUEST_TIMEOUT_MS);
  } catch (error) {
    if (!(error instanceof TokenEndpointError)) throw error;
    const verdict = classifyTokenFailure(error.failure);
    logger.warn({ credentialId: credential.id, kind: verdict.kind, reason: verdict.message }, 'OAuth refresh failed');
    if (verdict.kind === 'permanent') return failPermanently(credential, verdict.message, context);
    return failTransiently(credential, verdict.message, verdict.retryAfterMs, context);
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
async function refreshUnderLease(credentialId: string, owner: string, startVersion: number, opts: Required<Pick<RefreshOptions, 'force' | 'minValidityMs'>> & { context: AuditContext }): Promise<RefreshResult> {
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
        ? { status: 'expired', reason: 'The access token expired and there is no refresh token: reconnect or paste new tokens' }
        : { status: 'needs_attention', reason: 'Reconnect required: there is no refresh token' },
    );
  }
  let client;
  try {
    client = await resolveClientForCredential(credential);
  } catch (error) {
    if (isOAuthError(error)) return failPermanently(credential, error.message, opts.context);
    throw error;
  }

  const tokens = await requestRefreshTokens(credential, client, refreshToken, opts.context);
  if ('outcome' in tokens) return tokens;
  const { expiresAt, secrets, scopes } = tokens;

  const written = await prisma.$transaction(async (tx) => {
    const { count } = await tx.credential.updateMany({
      where: { id: credential.id, version: credential.version, refreshLeaseOwner: owner },
      data: {
        version: { increment: 1 },
        expiresAt,
        lastRefreshedAt: new Date(),
        refreshFailingSince: null,
        ...(scopes ? { oauthScopes: scopes } : {}),
      },
    });
    if (count !== 1) return null;
    await writeCredentialSecrets(tx, { organizationId: credential.organizationId, credentialId: credential.id, secrets });
    const status =
      credential.status === 'active'
        ? { changed: false }
        : await setCredentialStatus(tx, { credentialId: credential.id, organizationId: credential.organizationId, status: 'active', reason: null, context: opts.context });
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

/**
 * Refreshes an OAuth credential's access token. At most one refresh per credential runs at a time
 * across all processes; callers that find one running wait for it and answer 'raced' (someone else
 * refreshed) or 'still_valid'. Throws RefreshError: 'permanent' (needs_attention is already set
 * unless it was a race) or 'transient' (retry, after retryAfterMs when given).
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
  while (!(await acquireLease(credentialId, owner))) {
    await sleep(20 + Math.random() * 40);
    const now = await prisma.credential.findUnique({ where: { id: credentialId }, select: { version: true, expiresAt: true } });
    if (!now) throw new RefreshError('permanent', 'The credential no longer exists');
    if (now.version !== initial.version) return { outcome: 'raced', expiresAt: now.expiresAt };
    if (!force && isFresh(now.expiresAt, minValidityMs)) return { outcome: 'still_valid', expiresAt: now.expiresAt };
    if (Date.now() > giveUpAt) throw new RefreshError('transient', 'another refresh of this credential is still running', 1_000);
  }
  try {
    return await refreshUnderLease(credentialId, owner, initial.version, { force, minValidityMs, context });
  } finally {
    await releaseLease(credentialId, owner);
  }
}

/**
 * The access token to inject into an agent's request: refreshed first (single-flight) when it
 * expires within `leadMs`. A transient refresh failure still answers with a token that has not expired.
 */
export async function accessTokenForUse(credentialId: string, opts: { leadMs?: number; forceRefresh?: boolean } = {}): Promise<string> {
  const leadMs = opts.leadMs ?? DEFAULT_MIN_VALIDITY_MS;
  const credential = await prisma.credential.findUnique({
    where: { id: credentialId },
    select: { organizationId: true, type: true, status: true, expiresAt: true },
  });
  if (!credential || credential.type !== 'oauth') throw new RefreshError('permanent', 'The credential does not exist or is not an OAuth credential');
  if (credential.status === 'disconnected') throw new RefreshError('permanent', 'The credential is disconnected; connect it again');
  let expiresAt = credential.expiresAt;
  if (opts.forceRefresh || !isFresh(expiresAt, leadMs)) {
    try {
      expiresAt = (await refreshCredential(credentialId, { force: opts.forceRefresh, minValidityMs: leadMs })).expiresAt;
    } catch (error) {
      const stillUsable = expiresAt !== null && expiresAt.getTime() > Date.now();
      if (!(error instanceof RefreshError && error.kind === 'transient' && stillUsable)) throw error;
    }
  }
  const token = await readSecret(credential.organizationId, credentialId, ACCESS_TOKEN_FIELD);
  if (!token) throw new RefreshError('permanent', 'The credential holds no access token; connect it again');
  return token;
}
