// Database-backed browser sessions: the cookie holds a random token, the database its SHA-256.
import crypto from 'node:crypto';
import { redirect } from '@remix-run/node';
import { getEnv } from '~/config/env.server';
import { prisma } from '~/db.server';
import type { Prisma } from '~/generated/prisma/client';

export const SESSION_COOKIE = '__session';
const DAY_MS = 24 * 60 * 60 * 1000;
export const REAUTH_WINDOW_MS = 5 * 60 * 1000;

/** The user fields that may reach loaders; never the password hash. */
export const publicUserSelect = {
  id: true,
  email: true,
  name: true,
  isPlatformAdmin: true,
} as const satisfies Prisma.UserSelect;

export type SessionUser = Prisma.UserGetPayload<{ select: typeof publicUserSelect }>;

export interface UserSession {
  id: string;
  userId: string;
  expiresAt: Date;
  lastSeenAt: Date;
  reauthenticatedAt: Date | null;
}

type Db = Prisma.TransactionClient | typeof prisma;

export function hashSessionToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

function ttlMs(): number {
  return getEnv().SESSION_TTL_DAYS * DAY_MS;
}

function serializeSessionCookie(token: string, expiresAt: Date): string {
  const parts = [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Expires=${expiresAt.toUTCString()}`,
    `Max-Age=${Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000))}`,
  ];
  if (getEnv().NODE_ENV === 'production') parts.push('Secure');
  return parts.join('; ');
}

/** A Set-Cookie header that removes the session cookie. */
export function clearSessionCookie(): string {
  const parts = [`${SESSION_COOKIE}=`, 'Path=/', 'HttpOnly', 'SameSite=Lax', 'Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'Max-Age=0'];
  if (getEnv().NODE_ENV === 'production') parts.push('Secure');
  return parts.join('; ');
}

/** The raw token from the request's cookie, if it looks like one of ours. */
export function readSessionToken(request: Request): string | null {
  const header = request.headers.get('Cookie');
  if (!header) return null;
  for (const pair of header.split(';')) {
    const index = pair.indexOf('=');
    if (index === -1) continue;
    if (pair.slice(0, index).trim() !== SESSION_COOKIE) continue;
    const value = pair.slice(index + 1).trim();
    return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : null;
  }
  return null;
}

export interface SessionMeta {
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * Starts a new session for `userId`. Any session named by the request's current cookie is
 * deleted first, so logging in never keeps a session id that existed before (fixation).
 */
export async function createSession(
  db: Db,
  userId: string,
  request: Request,
  meta: SessionMeta = {},
): Promise<{ session: UserSession; cookie: string }> {
  const previous = readSessionToken(request);
  if (previous) await db.session.deleteMany({ where: { id: hashSessionToken(previous) } });
  const token = crypto.randomBytes(32).toString('base64url');
  const now = new Date();
  const session = await db.session.create({
    data: {
      id: hashSessionToken(token),
      userId,
      expiresAt: new Date(now.getTime() + ttlMs()),
      lastSeenAt: now,
      ip: meta.ip ?? null,
      userAgent: (meta.userAgent ?? request.headers.get('User-Agent'))?.slice(0, 512) ?? null,
    },
  });
  return { session, cookie: serializeSessionCookie(token, session.expiresAt) };
}

/** The signed-in session and user, or null when the cookie is missing, unknown or expired. */
export async function getUserSession(request: Request): Promise<{ session: UserSession; user: SessionUser } | null> {
  const token = readSessionToken(request);
  if (!token) return null;
  const row = await prisma.session.findUnique({
    where: { id: hashSessionToken(token) },
    select: {
      id: true,
      userId: true,
      expiresAt: true,
      lastSeenAt: true,
      reauthenticatedAt: true,
      user: { select: publicUserSelect },
    },
  });
  if (!row) return null;
  if (row.expiresAt.getTime() <= Date.now()) {
    await prisma.session.deleteMany({ where: { id: row.id } });
    return null;
  }
  const { user, ...session } = row;
  return { session, user };
}

export async function getOptionalUser(request: Request): Promise<SessionUser | null> {
  return (await getUserSession(request))?.user ?? null;
}

function loginRedirect(request: Request): Response {
  const url = new URL(request.url);
  const target = `${url.pathname}${url.search}`;
  const search = target === '/' ? '' : `?${new URLSearchParams({ redirectTo: target })}`;
  return redirect(`/login${search}`);
}

/** The signed-in session and user; otherwise throws a redirect to /login that comes back here. */
export async function requireUserSession(request: Request): Promise<{ session: UserSession; user: SessionUser }> {
  const result = await getUserSession(request);
  if (!result) throw loginRedirect(request);
  return result;
}

export async function requireUser(request: Request): Promise<SessionUser> {
  return (await requireUserSession(request)).user;
}

/** Throws a redirect to `to` when someone is already signed in (login and signup pages). */
export async function requireAnonymous(request: Request, to = '/'): Promise<void> {
  if (await getUserSession(request)) throw redirect(to);
}

/**
 * Sliding expiry: once more than a day has passed since the session was last renewed, push its
 * expiry out by the full TTL and answer with a fresh cookie (null when nothing is due).
 */
export async function renewSessionIfDue(request: Request, now = new Date()): Promise<string | null> {
  const token = readSessionToken(request);
  if (!token) return null;
  const id = hashSessionToken(token);
  const cutoff = new Date(now.getTime() - DAY_MS);
  const expiresAt = new Date(now.getTime() + ttlMs());
  // The conditional update makes concurrent requests renew at most once.
  const { count } = await prisma.session.updateMany({
    where: { id, lastSeenAt: { lt: cutoff }, expiresAt: { gt: now } },
    data: { lastSeenAt: now, expiresAt },
  });
  return count === 1 ? serializeSessionCookie(token, expiresAt) : null;
}

/** Deletes the request's session (if any) and returns the header that clears the cookie. */
export async function destroySession(request: Request): Promise<string> {
  const token = readSessionToken(request);
  if (token) await prisma.session.deleteMany({ where: { id: hashSessionToken(token) } });
  return clearSessionCookie();
}

/** Records that the session's user has just re-entered their password. */
export async function markReauthenticated(sessionId: string, at = new Date()): Promise<void> {
  await prisma.session.update({ where: { id: sessionId }, data: { reauthenticatedAt: at } });
}

/** True when the password was re-entered within `windowMs` (default 5 minutes). */
export function hasRecentReauth(session: Pick<UserSession, 'reauthenticatedAt'>, windowMs = REAUTH_WINDOW_MS, now = new Date()): boolean {
  return session.reauthenticatedAt !== null && now.getTime() - session.reauthenticatedAt.getTime() <= windowMs;
}

export class ReauthRequiredError extends Error {
  constructor() {
    super('Confirm your password to continue.');
    this.name = 'ReauthRequiredError';
  }
}

/** Throws ReauthRequiredError unless the password was re-entered within `windowMs`. */
export function requireRecentReauth(session: Pick<UserSession, 'reauthenticatedAt'>, windowMs = REAUTH_WINDOW_MS): void {
  if (!hasRecentReauth(session, windowMs)) throw new ReauthRequiredError();
}
