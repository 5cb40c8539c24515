// Login throttling through the real login action and PostgreSQL: per account and address pair, per account, 429 with Retry-After.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prisma } from '~/db.server';
import { action as loginAction } from '~/routes/login';
import {
  ACCOUNT_WINDOW_SECONDS,
  MAX_CONSECUTIVE_FAILURES_PER_PAIR,
  MAX_FAILURES_PER_ACCOUNT,
  PAIR_BLOCK_SECONDS,
  recordLoginFailure,
} from './login-throttle.server';
import { createSignedUpUser, postRequest, settle, STRONG_PASSWORD, testContext, unwrapData } from './test-helpers';

/** A documentation address (RFC 5737) no other test uses. */
function address(): string {
  return `198.51.100.${crypto.randomInt(1, 255)}-${crypto.randomBytes(4).toString('hex')}`;
}

type Reply = { error?: Record<string, string[] | null> | null };

async function login(email: string, password: string, ip: string) {
  const result = await settle(() =>
    loginAction({ request: postRequest('/login', { email, password }), params: {}, context: { ...testContext, clientIp: ip } }),
  );
  if (result instanceof Response) return { status: result.status, message: null, retryAfter: result.headers.get('Retry-After') };
  const { data, status } = unwrapData(result);
  const headers = new Headers(((result as { init?: ResponseInit | null }).init?.headers ?? {}) as HeadersInit);
  return { status, message: (data as Reply).error?.['']?.[0] ?? null, retryAfter: headers.get('Retry-After') };
}

async function failFrom(email: string, ip: string, times: number) {
  for (let i = 0; i < times; i++) {
    const attempt = await login(email, `Wrong-password-${i}`, ip);
    expect(attempt).toMatchObject({ status: 400, message: 'Email or password is incorrect.' });
  }
}

describe('login throttling', () => {
  it(`a stranger's ${MAX_CONSECUTIVE_FAILURES_PER_PAIR} wrong passwords from one address leave the real user able to log in from theirs`, async () => {
    const user = await createSignedUpUser();
    const stranger = address();
    await failFrom(user.email, stranger, MAX_CONSECUTIVE_FAILURES_PER_PAIR);

    const real = await login(user.email, STRONG_PASSWORD, address());
    expect(real.status).toBe(302);
    expect(await prisma.session.count({ where: { userId: user.userId } })).toBe(2);
    // The stranger's address stays blocked for that account.
    expect((await login(user.email, STRONG_PASSWORD, stranger)).status).toBe(429);
  });

  it(`the attempt after ${MAX_CONSECUTIVE_FAILURES_PER_PAIR} wrong passwords from the same address answers 429 with Retry-After, even with the right password`, async () => {
    const user = await createSignedUpUser();
    const ip = address();
    await failFrom(user.email, ip, MAX_CONSECUTIVE_FAILURES_PER_PAIR);

    for (const password of ['Wrong-password-again', STRONG_PASSWORD]) {
      const blocked = await login(user.email, password, ip);
      expect(blocked.status).toBe(429);
      expect(blocked.message).toBe('Too many attempts. Try again in 15 minutes.');
      const seconds = Number(blocked.retryAfter);
      expect(seconds).toBeGreaterThan(PAIR_BLOCK_SECONDS - 60);
      expect(seconds).toBeLessThanOrEqual(PAIR_BLOCK_SECONDS);
    }
    expect(await prisma.session.count({ where: { userId: user.userId } })).toBe(1);
  });

  it('a successful login starts the address over: failures before it do not add up with failures after it', async () => {
    const user = await createSignedUpUser();
    const ip = address();
    await failFrom(user.email, ip, MAX_CONSECUTIVE_FAILURES_PER_PAIR - 1);
    expect((await login(user.email, STRONG_PASSWORD, ip)).status).toBe(302);
    await failFrom(user.email, ip, MAX_CONSECUTIVE_FAILURES_PER_PAIR - 1);
    expect((await login(user.email, STRONG_PASSWORD, ip)).status).toBe(302);
  });

  it(`many addresses guessing one account are slowed: after ${MAX_FAILURES_PER_ACCOUNT} failures in an hour every address waits`, async () => {
    const user = await createSignedUpUser();
    // Spread so that no single address reaches its own block: only the account's budget is spent.
    const perAddress = MAX_CONSECUTIVE_FAILURES_PER_PAIR - 1;
    const spent = MAX_FAILURES_PER_ACCOUNT - 1;
    const batches = Array.from({ length: Math.ceil(spent / perAddress) }, (_, i) => Math.min(perAddress, spent - i * perAddress));
    await Promise.all(
      batches.map(async (count) => {
        const ip = address();
        for (let i = 0; i < count; i++) await recordLoginFailure(user.email, ip);
      }),
    );
    // The last failure of the budget through the real form, from yet another address.
    await failFrom(user.email, address(), 1);

    const fresh = await login(user.email, STRONG_PASSWORD, address());
    expect(fresh.status).toBe(429);
    expect(Number(fresh.retryAfter)).toBeGreaterThan(0);
    expect(Number(fresh.retryAfter)).toBeLessThanOrEqual(ACCOUNT_WINDOW_SECONDS);
    expect(fresh.message).toMatch(/^Too many attempts\. Try again in \d+ minutes?\.$/);
    expect(await prisma.session.count({ where: { userId: user.userId } })).toBe(1);
  }, 60_000);

  it('unknown emails are throttled the same way, so throttling tells nothing about who has an account', async () => {
    const ip = address();
    const email = `nobody-${crypto.randomBytes(4).toString('hex')}@example.test`;
    await failFrom(email, ip, MAX_CONSECUTIVE_FAILURES_PER_PAIR);
    const blocked = await login(email, STRONG_PASSWORD, ip);
    expect(blocked.status).toBe(429);
    expect(blocked.retryAfter).not.toBeNull();
  });
});
