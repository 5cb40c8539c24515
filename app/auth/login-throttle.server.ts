// Login throttling, counted in PostgreSQL (table rate_limits) so every replica agrees: per account and IP pair, per account, per IP.
import crypto from 'node:crypto';
import { remember } from '@epic-web/remember';
import pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { getEnv } from '~/config/env.server';

/*
 * rate-limiter-flexible's login-protection pattern: consecutive failures of one (account, IP) pair block
 * that pair, so a stranger guessing from their own address never locks the real user out of theirs; a
 * larger per-account budget still slows many addresses guessing one account; a per-IP budget slows one
 * address guessing many accounts. Only failures count, and a successful login forgets its pair's.
 */
export const MAX_CONSECUTIVE_FAILURES_PER_PAIR = 5;
export const PAIR_BLOCK_SECONDS = 15 * 60;
/** Above what one address can spend on one account (5 per 15 minutes): locking an account out takes many addresses. */
export const MAX_FAILURES_PER_ACCOUNT = 100;
export const ACCOUNT_WINDOW_SECONDS = 60 * 60;
export const MAX_FAILURES_PER_IP = 50;
export const IP_WINDOW_SECONDS = 15 * 60;

/** How long a pair's consecutive failures are remembered when no block or success ends them. */
const PAIR_MEMORY_SECONDS = 24 * 60 * 60;

const pool = remember('rate-limit-pg-pool', () => {
  const connectionString = getEnv().DATABASE_URL;
  if (!connectionString) throw new Error('DATABASE_URL is not set');
  return new pg.Pool({ connectionString, max: 4 });
});

function limiter(keyPrefix: string, points: number, duration: number) {
  return new RateLimiterPostgres({
    storeClient: pool,
    storeType: 'pool',
    tableName: 'rate_limits',
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix,
    points,
    duration,
  });
}

const byPair = remember('login-limiter-pair', () =>
  limiter('login_fail_consecutive_email_ip', MAX_CONSECUTIVE_FAILURES_PER_PAIR, PAIR_MEMORY_SECONDS),
);
const byAccount = remember('login-limiter-account', () => limiter('login_fail_email_hourly', MAX_FAILURES_PER_ACCOUNT, ACCOUNT_WINDOW_SECONDS));
const byIp = remember('login-limiter-ip', () => limiter('login_fail_ip', MAX_FAILURES_PER_IP, IP_WINDOW_SECONDS));

/** Keys are hashed: emails stay out of rate_limits, and a 254-character address still fits its 255-character key. */
function hashed(...parts: string[]): string {
  return crypto.createHash('sha256').update(parts.join('\n')).digest('hex');
}

const pairKey = (email: string, ip: string | null) => hashed(email, ip ?? 'no-ip');
const accountKey = (email: string) => hashed(email);

/** Milliseconds until this email may try again from this IP, or 0 when it may try now. */
export async function loginRetryAfterMs(email: string, ip: string | null): Promise<number> {
  const [pair, account, address] = await Promise.all([
    byPair.get(pairKey(email, ip)),
    byAccount.get(accountKey(email)),
    ip ? byIp.get(ip) : Promise.resolve(null),
  ]);
  const waits = [
    [pair, MAX_CONSECUTIVE_FAILURES_PER_PAIR],
    [account, MAX_FAILURES_PER_ACCOUNT],
    [address, MAX_FAILURES_PER_IP],
  ] as const;
  let wait = 0;
  for (const [res, limit] of waits) if (res && res.consumedPoints >= limit) wait = Math.max(wait, res.msBeforeNext);
  return wait;
}

/** Counts one failed login: for the pair (blocking it on its fifth consecutive failure), the account and the IP. */
export async function recordLoginFailure(email: string, ip: string | null): Promise<void> {
  const overLimit = (error: unknown): RateLimiterRes => {
    // Going over the limit rejects with a RateLimiterRes; that is the point, not an error.
    if (error instanceof RateLimiterRes) return error;
    throw error;
  };
  const key = pairKey(email, ip);
  const [pair] = await Promise.all([
    byPair.consume(key).catch(overLimit),
    byAccount.consume(accountKey(email)).catch(overLimit),
    ip ? byIp.consume(ip).catch(overLimit) : Promise.resolve(null),
  ]);
  // The pair's window is a day long (failures are "consecutive" until a success), its block only 15 minutes.
  if (pair.consumedPoints >= MAX_CONSECUTIVE_FAILURES_PER_PAIR) await byPair.block(key, PAIR_BLOCK_SECONDS);
}

/** A successful login forgets its pair's failures; the account's and the IP's budgets stay spent. */
export async function clearLoginFailures(email: string, ip: string | null): Promise<void> {
  await byPair.delete(pairKey(email, ip));
}

export function tooManyAttemptsMessage(retryAfterMs: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
  return `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

/** The Retry-After header's value (whole seconds, at least 1). */
export function retryAfterSeconds(retryAfterMs: number): string {
  return String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
}
