// Single-use, expiring invitation links; only the SHA-256 of a link's token is stored; invite, revoke and accept are audited.
import crypto from 'node:crypto';
import { recordAudit, type AuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import type { Prisma } from '~/generated/prisma/client';
import { OrgError } from './errors';
import { MEMBER_AUDIT_ACTIONS } from './members.server';
import { userAuditLabel, type OrgActor } from './membership.server';
import { allows, can, deniedMessage } from './permissions';
import type { Role } from './roles';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export function hashInvitationToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** Creates an invitation and returns its token; the token is shown once and never stored. */
export async function createInvitation(input: {
  organizationId: string;
  actor: OrgActor;
  role: Role;
  email?: string | null;
}) {
  if (!can(input.actor, 'member.invite', { newRole: input.role })) throw new OrgError(deniedMessage(input.actor.role, 'member.invite'), 403);
  const token = crypto.randomBytes(32).toString('base64url');
  const invitation = await prisma.$transaction(async (tx) => {
    const invitation = await tx.invitation.create({
      data: {
        organizationId: input.organizationId,
        role: input.role,
        email: input.email?.toLowerCase() || null,
        tokenHash: hashInvitationToken(token),
        invitedById: input.actor.userId,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      },
      select: { id: true, role: true, email: true, expiresAt: true },
    });
    // The link's token never enters the log: it is a credential for joining.
    await recordAudit(tx, {
      organizationId: input.organizationId,
      context: input.actor.context,
      action: MEMBER_AUDIT_ACTIONS.invite,
      targetType: 'invitation',
      targetId: invitation.id,
      details: { role: invitation.role, email: invitation.email, expiresAt: invitation.expiresAt.toISOString() },
    });
    return invitation;
  });
  return { token, invitation };
}

export async function listPendingInvitations(organizationId: string) {
  return prisma.invitation.findMany({
    where: { organizationId, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: 'desc' },
    select: { id: true, role: true, email: true, expiresAt: true, createdAt: true, invitedBy: { select: { name: true } } },
  });
}

export async function revokeInvitation(organizationId: string, actor: OrgActor, invitationId: string) {
  if (!allows(actor.role, 'member.invite')) throw new OrgError(deniedMessage(actor.role, 'member.invite'), 403);
  await prisma.$transaction(async (tx) => {
    const invitation = await tx.invitation.findFirst({ where: { id: invitationId, organizationId }, select: { role: true, email: true } });
    if (!invitation) throw new OrgError('That invitation was already used or revoked.', 404);
    if (!can(actor, 'member.invite', { newRole: invitation.role })) throw new OrgError(deniedMessage(actor.role, 'member.invite'), 403);
    const { count } = await tx.invitation.updateMany({
      where: { id: invitationId, organizationId, acceptedAt: null, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (count === 0) throw new OrgError('That invitation was already used or revoked.', 404);
    await recordAudit(tx, {
      organizationId,
      context: actor.context,
      action: MEMBER_AUDIT_ACTIONS.revokeInvitation,
      targetType: 'invitation',
      targetId: invitationId,
      details: { role: invitation.role, email: invitation.email },
    });
  });
}

/** The token of an invitation page path ("/invitations/<token>"), e.g. a sign-up's redirectTo; null for any other path. */
export function invitationTokenFromPath(path: string | null | undefined): string | null {
  const match = /^\/invitations\/([A-Za-z0-9_-]{1,200})$/.exec(path ?? '');
  return match ? match[1]! : null;
}

export type InvitationState = 'valid' | 'expired' | 'used' | 'revoked';

export const INVITATION_STATE_MESSAGES: Record<Exclude<InvitationState, 'valid'>, string> = {
  expired: 'This invitation has expired. Ask an admin of the organization for a new link.',
  used: 'This invitation has already been used. Ask an admin of the organization for a new link.',
  revoked: 'This invitation was revoked. Ask an admin of the organization for a new link.',
};

function stateOf(invitation: { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date }, now = new Date()): InvitationState {
  if (invitation.revokedAt) return 'revoked';
  if (invitation.acceptedAt) return 'used';
  if (invitation.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'valid';
}

/** What the invitation page shows: organization name, role, and whether the link still works. */
export async function findInvitation(token: string) {
  const invitation = await prisma.invitation.findUnique({
    where: { tokenHash: hashInvitationToken(token) },
    select: {
      id: true,
      role: true,
      email: true,
      expiresAt: true,
      acceptedAt: true,
      revokedAt: true,
      organization: { select: { id: true, name: true, slug: true } },
    },
  });
  if (!invitation) return null;
  return { ...invitation, state: stateOf(invitation) };
}

/** Where an acceptance came from, for its audit row (the actor is the person who joins). */
export interface AcceptOrigin {
  ip: string | null;
  userAgent: string | null;
}

export function invitationEmailMismatchMessage(email: string, signingUp: boolean): string {
  return signingUp
    ? `This invitation is for ${email}. Sign up with that address, or ask for a new link.`
    : `This invitation is for ${email}. Log in with that account to accept it.`;
}

/**
 * Accepts an invitation for `user` inside the caller's transaction: marks it used (single use,
 * checked atomically), adds the membership and writes its audit row. Someone already in the
 * organization keeps their role. Sign-up calls it in the transaction that creates the account.
 */
export async function acceptInvitationInTx(
  tx: Prisma.TransactionClient,
  token: string,
  user: { id: string; email: string; name: string },
  origin: AcceptOrigin,
  options: { signingUp?: boolean } = {},
) {
  const invitation = await tx.invitation.findUnique({
    where: { tokenHash: hashInvitationToken(token) },
    select: { id: true, role: true, email: true, expiresAt: true, acceptedAt: true, revokedAt: true, organization: { select: { id: true, slug: true, name: true } } },
  });
  if (!invitation) throw new OrgError('This invitation link is not valid.', 404);
  const state = stateOf(invitation);
  if (state !== 'valid') throw new OrgError(INVITATION_STATE_MESSAGES[state], 409);
  if (invitation.email && invitation.email !== user.email.toLowerCase()) {
    throw new OrgError(invitationEmailMismatchMessage(invitation.email, options.signingUp ?? false), 403);
  }
  const { count } = await tx.invitation.updateMany({
    where: { id: invitation.id, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    data: { acceptedAt: new Date(), acceptedById: user.id },
  });
  if (count !== 1) throw new OrgError(INVITATION_STATE_MESSAGES.used, 409);
  const existing = await tx.membership.findUnique({
    where: { organizationId_userId: { organizationId: invitation.organization.id, userId: user.id } },
    select: { role: true },
  });
  if (!existing) {
    await tx.membership.create({ data: { organizationId: invitation.organization.id, userId: user.id, role: invitation.role } });
  }
  const context: AuditContext = {
    actor: { type: 'user', id: user.id, label: userAuditLabel(user) },
    ip: origin.ip,
    userAgent: origin.userAgent,
  };
  await recordAudit(tx, {
    organizationId: invitation.organization.id,
    context,
    action: MEMBER_AUDIT_ACTIONS.join,
    targetType: 'user',
    targetId: user.id,
    details: {
      name: user.name,
      email: user.email,
      role: existing?.role ?? invitation.role,
      invitationId: invitation.id,
      ...(existing ? { alreadyMember: true } : {}),
      ...(options.signingUp ? { signedUp: true } : {}),
    },
  });
  return { organization: invitation.organization, role: existing?.role ?? invitation.role, alreadyMember: Boolean(existing) };
}

/** Accepts an invitation for a signed-in person (the invitation page's button). */
export async function acceptInvitation(token: string, user: { id: string; email: string; name: string }, origin: AcceptOrigin) {
  return prisma.$transaction((tx) => acceptInvitationInTx(tx, token, user, origin));
}
