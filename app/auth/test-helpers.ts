// Test fixtures for accounts and organizations: real sign-ups, session cookies and route calls.
import crypto from 'node:crypto';
import type { AppLoadContext } from '@remix-run/node';
import { prisma } from '~/db.server';
import type { Role } from '~/orgs/roles';
import { signUp } from './accounts.server';
import { createSession } from './session.server';

export const BASE = 'http://localhost:3000';
export const STRONG_PASSWORD = 'Correct-Horse-42-battery';

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${crypto.randomBytes(5).toString('hex')}@example.test`;
}

/** "__session=…" from a Set-Cookie header, ready to send back in a Cookie header. */
export function cookiePair(setCookie: string | null | undefined): string {
  if (!setCookie) throw new Error('no Set-Cookie header');
  const match = /(?:^|,\s*)(__session=[^;]*)/.exec(setCookie);
  if (!match) throw new Error(`no __session cookie in ${setCookie}`);
  return match[1]!;
}

export function getRequest(path: string, cookie?: string): Request {
  return new Request(`${BASE}${path}`, { headers: cookie ? { Cookie: cookie } : {} });
}

export function postRequest(path: string, form: Record<string, string>, cookie?: string): Request {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
  if (cookie) headers.Cookie = cookie;
  return new Request(`${BASE}${path}`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
}

export const testContext = { cspNonce: 'test-nonce' } as AppLoadContext;

/** Signs a new user up through the real service; returns their cookie and first organization. */
export async function createSignedUpUser(overrides: Partial<{ name: string; email: string; password: string; organizationName: string }> = {}) {
  const input = {
    name: overrides.name ?? 'Test User',
    email: overrides.email ?? uniqueEmail(),
    password: overrides.password ?? STRONG_PASSWORD,
    organizationName: overrides.organizationName ?? `Org ${crypto.randomBytes(4).toString('hex')}`,
  };
  const result = await signUp(input, new Request(`${BASE}/signup`, { method: 'POST' }));
  if (!result.ok) throw new Error(`sign-up failed: ${JSON.stringify(result.fieldErrors)}`);
  return { ...input, userId: result.userId, slug: result.organizationSlug, cookie: cookiePair(result.cookie) };
}

/** Adds a new user to `organizationSlug` with `role` and signs them in. */
export async function createMember(organizationSlug: string, role: Role) {
  const other = await createSignedUpUser();
  const org = await prisma.organization.findUniqueOrThrow({ where: { slug: organizationSlug } });
  const membership = await prisma.membership.create({ data: { organizationId: org.id, userId: other.userId, role } });
  return { ...other, membershipId: membership.id, organizationId: org.id };
}

/** Signs an existing user in once more (a second browser). */
export async function newSessionCookie(userId: string): Promise<string> {
  const { cookie } = await createSession(prisma, userId, new Request(BASE));
  return cookiePair(cookie);
}

/** Runs a loader or action and returns what it threw or returned, so tests can inspect either. */
export async function settle<T>(fn: () => Promise<T>): Promise<T | Response> {
  try {
    return await fn();
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

/** The payload and status of a `data()` result (or a plain object) from a loader/action. */
export function unwrapData(result: unknown): { data: unknown; status: number } {
  if (result && typeof result === 'object' && (result as { type?: string }).type === 'DataWithResponseInit') {
    const r = result as { data: unknown; init: ResponseInit | null };
    return { data: r.data, status: r.init?.status ?? 200 };
  }
  return { data: result, status: 200 };
}
