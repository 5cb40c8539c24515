// Signing up and logging in: the account rules behind /signup and /login.
import { prisma } from '~/db.server';
import { createOrganization } from '~/orgs/organizations.server';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './password.server';
import {
  clearLoginFailures,
  loginRetryAfterMs,
  recordLoginFailure,
  tooManyAttemptsMessage,
} from './login-throttle.server';
import type { LoginInput, SignupInput } from './schemas';
import { createSession, markReauthenticated, type SessionMeta, type UserSession } from './session.server';

export const EMAIL_TAKEN_MESSAGE = 'An account with this email already exists. Log in instead.';
export const LOGIN_FAILED_MESSAGE = 'Email or password is incorrect.';

export type SignupResult =
  | { ok: true; userId: string; organizationSlug: string; cookie: string }
  | { ok: false; fieldErrors: Partial<Record<'email' | 'password' | 'name' | 'organizationName', string[]>> };

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 'P2002';
}

/**
 * Creates the user, their first organization (as owner) and a session, all in one transaction:
 * any error leaves nothing behind.
 */
export async function signUp(input: SignupInput, request: Request, meta: SessionMeta = {}): Promise<SignupResult> {
  const emailTaken = { ok: false as const, fieldErrors: { email: [EMAIL_TAKEN_MESSAGE] } };
  if (await prisma.user.findUnique({ where: { email: input.email }, select: { id: true } })) return emailTaken;
  const passwordHash = await hashPassword(input.password);
  try {
    return await prisma.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email: input.email, name: input.name, passwordHash } });
      const organization = await createOrganization(tx, { name: input.organizationName, ownerId: user.id });
      const { cookie } = await createSession(tx, user.id, request, meta);
      return { ok: true as const, userId: user.id, organizationSlug: organization.slug, cookie };
    });
  } catch (error) {
    // Two sign-ups with the same email at once: the unique index decides, the loser gets the field error.
    if (isUniqueViolation(error)) return emailTaken;
    throw error;
  }
}

export type LoginResult = { ok: true; userId: string; cookie: string } | { ok: false; formError: string };

/**
 * Checks the password (argon2id) under the per-email and per-IP throttle. Unknown emails and
 * wrong passwords get the same message and take the same time.
 */
export async function logIn(input: LoginInput, request: Request, meta: SessionMeta = {}): Promise<LoginResult> {
  const ip = meta.ip ?? null;
  const wait = await loginRetryAfterMs(input.email, ip);
  if (wait > 0) return { ok: false, formError: tooManyAttemptsMessage(wait) };

  const user = await prisma.user.findUnique({ where: { email: input.email }, select: { id: true, passwordHash: true } });
  const valid = user ? await verifyPassword(user.passwordHash, input.password) : await verifyAgainstDummy(input.password);
  if (!user || !valid) {
    await recordLoginFailure(input.email, ip);
    return { ok: false, formError: LOGIN_FAILED_MESSAGE };
  }
  await clearLoginFailures(input.email);
  const { cookie } = await prisma.$transaction((tx) => createSession(tx, user.id, request, meta));
  return { ok: true, userId: user.id, cookie };
}

/**
 * Re-entering the password for a sensitive action (e.g. revealing a secret): on success the
 * session remembers the time, which requireRecentReauth checks. Shares the login throttle.
 */
export async function reauthenticate(
  session: Pick<UserSession, 'id' | 'userId'>,
  password: string,
  meta: SessionMeta = {},
): Promise<{ ok: true } | { ok: false; error: string }> {
  const user = await prisma.user.findUniqueOrThrow({ where: { id: session.userId }, select: { email: true, passwordHash: true } });
  const wait = await loginRetryAfterMs(user.email, meta.ip ?? null);
  if (wait > 0) return { ok: false, error: tooManyAttemptsMessage(wait) };
  if (!(await verifyPassword(user.passwordHash, password))) {
    await recordLoginFailure(user.email, meta.ip ?? null);
    return { ok: false, error: 'That password is incorrect.' };
  }
  await markReauthenticated(session.id);
  return { ok: true };
}
