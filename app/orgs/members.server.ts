// Managing an organization's members: list, change a role, remove; an organization always keeps an owner; every change is audited.
import { recordAudit } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import type { Prisma } from '~/generated/prisma/client';
import { OrgError } from './errors';
import type { OrgActor } from './membership.server';
import { can, deniedMessage } from './permissions';
import type { Role } from './roles';

type Tx = Prisma.TransactionClient;

export const LAST_OWNER_MESSAGE = 'An organization needs at least one owner. Make someone else an owner first.';

/** The audit actions of membership changes (labels in app/audit/labels.ts). */
export const MEMBER_AUDIT_ACTIONS = {
  invite: 'member.invite',
  revokeInvitation: 'member.invitation_revoke',
  join: 'member.join',
  roleChange: 'member.role_change',
  remove: 'member.remove',
  leave: 'member.leave',
} as const;

export async function listMembers(organizationId: string) {
  const rows = await prisma.membership.findMany({
    where: { organizationId },
    orderBy: [{ createdAt: 'asc' }],
    select: { id: true, role: true, createdAt: true, user: { select: { id: true, name: true, email: true } } },
  });
  return rows;
}

/** Locks the organization's owner rows so two concurrent demotions cannot both pass the last-owner check. */
async function lockedOwnerCount(tx: Tx, organizationId: string): Promise<number> {
  const rows = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM "Membership" WHERE "organizationId" = ${organizationId}::uuid AND role = 'owner' FOR UPDATE`;
  return rows.length;
}

async function loadTarget(tx: Tx, organizationId: string, membershipId: string) {
  const target = await tx.membership.findFirst({
    where: { id: membershipId, organizationId },
    select: { id: true, role: true, userId: true, user: { select: { name: true, email: true } } },
  });
  if (!target) throw new OrgError('That member is no longer in this organization.', 404);
  return target;
}

function assertCanManage(actor: OrgActor, targetRole: Role, newRole?: Role) {
  if (!can(actor, 'member.manage', { role: targetRole, newRole })) throw new OrgError(deniedMessage(actor.role, 'member.manage'), 403);
}

/** Changes a member's role. Throws OrgError (nothing changed, nothing audited) when not allowed or when it would leave no owner. */
export async function changeMemberRole(organizationId: string, actor: OrgActor, membershipId: string, role: Role) {
  return prisma.$transaction(async (tx) => {
    const target = await loadTarget(tx, organizationId, membershipId);
    assertCanManage(actor, target.role, role);
    if (target.role === role) return target;
    if (target.role === 'owner' && (await lockedOwnerCount(tx, organizationId)) <= 1) {
      throw new OrgError(LAST_OWNER_MESSAGE, 409);
    }
    await tx.membership.update({ where: { id: target.id }, data: { role } });
    await recordAudit(tx, {
      organizationId,
      context: actor.context,
      action: MEMBER_AUDIT_ACTIONS.roleChange,
      targetType: 'user',
      targetId: target.userId,
      details: { name: target.user.name, email: target.user.email, from: target.role, to: role },
    });
    return { ...target, role };
  });
}

/** Removes a member (or lets someone leave). Throws OrgError (nothing changed) when not allowed or when it would leave no owner. */
export async function removeMember(organizationId: string, actor: OrgActor, membershipId: string) {
  return prisma.$transaction(async (tx) => {
    const target = await loadTarget(tx, organizationId, membershipId);
    assertCanManage(actor, target.role);
    if (target.role === 'owner' && (await lockedOwnerCount(tx, organizationId)) <= 1) {
      throw new OrgError(LAST_OWNER_MESSAGE, 409);
    }
    await tx.membership.delete({ where: { id: target.id } });
    await recordAudit(tx, {
      organizationId,
      context: actor.context,
      action: target.userId === actor.userId ? MEMBER_AUDIT_ACTIONS.leave : MEMBER_AUDIT_ACTIONS.remove,
      targetType: 'user',
      targetId: target.userId,
      details: { name: target.user.name, email: target.user.email, role: target.role },
    });
    return target;
  });
}
