// Signing up and logging in: the account rules behind /signup and /login.
import { prisma } from '~/db.server';
import type { Prisma } from '~/generated/prisma/client';
import { OrgError } from '~/orgs/errors';
import { acceptInvitationInTx, findInvitation, INVITATION_STATE_MESSAGES, invitationEmailMismatchMessage } from '~/orgs/invitations.server';
import { userAuditLabel } from '~/orgs/membership.server';
import { createOrganization } from '~/orgs/organizations.server';
import type { InvitedSignupInput } from '~/orgs/schemas';
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
  | { ok: true; userId: string; organizationSlug: string; organizationName: string; cookie: string }
  | { ok: false; fieldErrors: Partial<Record<'email' | 'password' | 'name' | 'organizationName', string[]>>; formErrors?: string[] };

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error as { code: unknown }).code === 'P2002';
}

type NewUser = { id: string; email: string; name: string };

/**
 * Creates the user, lets `join` put them into an organization, and opens a session, all in one
 * transaction: any error (a taken email, a used invitation) leaves nothing behind.
 */
async function createAccount(
  input: { name: string; email: string; password: string },
  request: Request,
  meta: SessionMeta,
  join: (tx: Prisma.TransactionClient, user: NewUser) => Promise<{ slug: string; name: string }>,
): Promise<SignupResult> {
  const emailTaken = { ok: false as const, fieldErrors: { email: [EMAIL_TAKEN_MESSAGE] } };
  if (await prisma.user.findUnique({ where: { email: input.email }, select: { id: true } })) return emailTaken;
  const passwordHash = await hashPassword(input.password);
  try {
    return await prisma.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email: input.email, name: input.name, passwordHash }, select: { id: true, email: true, name: true } });
      const organization = await join(tx, user);
      const { cookie } = await createSession(tx, user.id, request, meta);
      return { ok: true as const, userId: user.id, organizationSlug: organization.slug, organizationName: organization.name, cookie };
    });
  } catch (error) {
    // Two sign-ups with the same email at once: the unique index decides, the loser gets the field error.
    if (isUniqueViolation(error)) return emailTaken;
    throw error;
  }
}

function origin(request: Request, meta: SessionMeta) {
  return { ip: meta.ip ?? null, userAgent: meta.userAgent ?? request.headers.get('user-agent')?.slice(0, 512) ?? null };
}

/** Signing up on its own: the account and its first organization (as owner), audited as the organization's first row. */
export async function signUp(input: SignupInput, request: Request, meta: SessionMeta = {}): Promise<SignupResult> {
  return createAccount(input, request, meta, (tx, user) =>
    createOrganization(tx, {
      name: input.organizationName,
      ownerId: user.id,
      context: { actor: { type: 'user', id: user.id, label: userAuditLabel(user) }, ...origin(request, meta) },
    }),
  );
}

/**
 * Signing up from an invitation link: the account joins the invited organization with the invited
 * role, and no organization of its own is created. An email-bound invitation needs that email.
 */
export async function signUpFromInvitation(input: InvitedSignupInput, request: Request, meta: SessionMeta = {}): Promise<SignupResult> {
  const invitation = await findInvitation(input.invitation);
  if (!invitation) return { ok: false, fieldErrors: {}, formErrors: ['This invitation link is not valid. Check that you copied all of it.'] };
  if (invitation.state !== 'valid') return { ok: false, fieldErrors: {}, formErrors: [INVITATION_STATE_MESSAGES[invitation.state]] };
  if (invitation.email && invitation.email !== input.email) {
    return { ok: false, fieldErrors: { email: [invitationEmailMismatchMessage(invitation.email, true)] } };
  }
  try {
    return await createAccount(input, request, meta, async (tx, user) => {
      const { organization } = await acceptInvitationInTx(tx, input.invitation, user, origin(request, meta), { signingUp: true });
      return organization;
    });
  } catch (error) {
    // The invitation was used, revoked or expired meanwhile: the account was rolled back with it.
    if (error instanceof OrgError) return { ok: false, fieldErrors: {}, formErrors: [error.message] };
    throw error;
  }
}

export type LoginResult =
  | { ok: true; userId: string; cookie: string }
  | { ok: false; formError: string; /** Set when throttled: the login answers 429 with Retry-After. */ retryAfterMs?: number };

/**
 * Checks the password (argon2id) under the login throttle (per account and IP pair, per account,
 * per IP: login-throttle.server.ts). Unknown emails and wrong passwords get the same message and
 * take the same time.
 */
export async function logIn(input: LoginInput, request: Request, meta: SessionMeta = {}): Promise<LoginResult> {
  const ip = meta.ip ?? null;
  const wait = await loginRetryAfterMs(input.email, ip);
  if (wait > 0) return { ok: false, formError: tooManyAttemptsMessage(wait), retryAfterMs: wait };

  const user = await prisma.user.findUnique({ where: { email: input.email }, select: { id: true, passwordHash: true } });
  const valid = user ? await verifyPassword(user.passwordHash, input.password) : await verifyAgainstDummy(input.password);
  if (!user || !valid) {
    await recordLoginFailure(input.email, ip);
    return { ok: false, formError: LOGIN_FAILED_MESSAGE };
  }
  await clearLoginFailures(input.email, ip);
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
  await clearLoginFailures(user.email, meta.ip ?? null);
  await markReauthenticated(session.id);
  return { ok: true };
}
