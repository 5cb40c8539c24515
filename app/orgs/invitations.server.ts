// Single-use, expiring invitation links; only the SHA-256 of a link's token is stored.
import crypto from 'node:crypto';
import { prisma } from '~/db.server';
import { OrgError } from './errors';
import { assignableRoles, type Role } from './roles';
import type { Actor } from './members.server';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export function hashInvitationToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** Creates an invitation and returns its token; the token is shown once and never stored. */
export async function createInvitation(input: {
  organizationId: string;
  actor: Actor;
  role: Role;
  email?: string | null;
}) {
  if (!assignableRoles(input.actor.role).includes(input.role) || input.actor.role === 'member' || input.actor.role === 'viewer') {
    throw new OrgError(input.role === 'owner' ? 'Only owners can invite owners.' : 'Only owners and admins can invite members.', 403);
  }
  const token = crypto.randomBytes(32).toString('base64url');
  const invitation = await prisma.invitation.create({
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
  return { token, invitation };
}

export async function listPendingInvitations(organizationId: string) {
  return prisma.invitation.findMany({
    where: { organizationId, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: 'desc' },
    select: { id: true, role: true, email: true, expiresAt: true, createdAt: true, invitedBy: { select: { name: true } } },
  });
}

export async function revokeInvitation(organizationId: string, actor: Actor, invitationId: string) {
  if (actor.role !== 'owner' && actor.role !== 'admin') throw new OrgError('Only owners and admins can revoke invitations.', 403);
  const { count } = await prisma.invitation.updateMany({
    where: { id: invitationId, organizationId, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw new OrgError('That invitation was already used or revoked.', 404);
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

/**
 * Accepts an invitation for `user`: marks it used (single use, checked atomically) and adds the
 * membership in the same transaction. Someone already in the organization keeps their role.
 */
export async function acceptInvitation(token: string, user: { id: string; email: string }) {
  return prisma.$transaction(async (tx) => {
    const invitation = await tx.invitation.findUnique({
      where: { tokenHash: hashInvitationToken(token) },
      select: { id: true, role: true, email: true, expiresAt: true, acceptedAt: true, revokedAt: true, organization: { select: { id: true, slug: true, name: true } } },
    });
    if (!invitation) throw new OrgError('This invitation link is not valid.', 404);
    const state = stateOf(invitation);
    if (state !== 'valid') throw new OrgError(INVITATION_STATE_MESSAGES[state], 409);
    if (invitation.email && invitation.email !== user.email.toLowerCase()) {
      throw new OrgError(`This invitation is for ${invitation.email}. Log in with that account to accept it.`, 403);
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
    return { organization: invitation.organization, role: existing?.role ?? invitation.role, alreadyMember: Boolean(existing) };
  });
}
