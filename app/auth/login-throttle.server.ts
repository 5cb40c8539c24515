// Login throttling per account and per IP, counted in PostgreSQL (table rate_limits) so every replica agrees.
import { remember } from '@epic-web/remember';
import pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { getEnv } from '~/config/env.server';

const WINDOW_SECONDS = 15 * 60;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_IP = 50;

const pool = remember('rate-limit-pg-pool', () => {
  const connectionString = getEnv().DATABASE_URL;
  if (!connectionString) throw new Error('DATABASE_URL is not set');
  return new pg.Pool({ connectionString, max: 4 });
});

function limiter(keyPrefix: string, points: number) {
  return new RateLimiterPostgres({
    storeClient: pool,
    storeType: 'pool',
    tableName: 'rate_limits',
    tableCreated: true,
    clearExpiredByTimeout: false,
    keyPrefix,
    points,
    duration: WINDOW_SECONDS,
  });
}

const byEmail = remember('login-limiter-email', () => limiter('login_fail_email', MAX_FAILURES_PER_EMAIL));
const byIp = remember('login-limiter-ip', () => limiter('login_fail_ip', MAX_FAILURES_PER_IP));

/** Milliseconds until the next attempt is allowed, or 0 when the email and IP may try now. */
export async function loginRetryAfterMs(email: string, ip: string | null): Promise<number> {
  const checks: Array<Promise<RateLimiterRes | null>> = [byEmail.get(email)];
  if (ip) checks.push(byIp.get(ip));
  const results = await Promise.all(checks);
  const limits = [MAX_FAILURES_PER_EMAIL, MAX_FAILURES_PER_IP];
  let wait = 0;
  results.forEach((res, i) => {
    if (res && res.consumedPoints >= limits[i]!) wait = Math.max(wait, res.msBeforeNext);
  });
  return wait;
}

/** Counts one failed login for the email and the IP. */
export async function recordLoginFailure(email: string, ip: string | null): Promise<void> {
  const swallowLimit = (error: unknown) => {
    // Going over the limit rejects with a RateLimiterRes; that is the point, not an error.
    if (error instanceof RateLimiterRes) return;
    throw error;
  };
  await Promise.all([
    byEmail.consume(email).catch(swallowLimit),
    ip ? byIp.consume(ip).catch(swallowLimit) : Promise.resolve(),
  ]);
}

/** A successful login forgets the account's failures (the IP's stay). */
export async function clearLoginFailures(email: string): Promise<void> {
  await byEmail.delete(email);
}

export function tooManyAttemptsMessage(retryAfterMs: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
  return `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}
