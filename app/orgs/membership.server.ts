// requireMembership: the single gate every organization route passes through, and the role matrix applied to it.
import { auditContextFromRequest, type AuditContext } from '~/audit/audit.server';
import { requireUserSession, type SessionUser, type UserSession } from '~/auth/session.server';
import { prisma } from '~/db.server';
import { forbidden, notFound } from '~/utils/http.server';
import { allows, can, deniedMessage, type Permission, type Subject, type Target } from './permissions';
import type { Role } from './roles';

/** Who changes the organization, and from where (every change writes an audit row with this context). */
export interface OrgActor {
  userId: string;
  role: Role;
  context: AuditContext;
}

export interface OrgContext {
  user: SessionUser;
  session: UserSession;
  organization: { id: string; slug: string; name: string; createdAt: Date };
  membership: { id: string; role: Role; createdAt: Date };
}

/**
 * Resolves the signed-in user, the organization named by `orgSlug` and the user's membership in it.
 * An unknown slug and an organization the user does not belong to throw the SAME 404, so slugs
 * cannot be probed; a role the matrix gives no grant of `permission` throws 403; no session
 * redirects to /login. Scoped grants ("own") are checked again against the target by the service.
 */
export async function requireMembership(
  request: Request,
  orgSlug: string | undefined,
  permission: Permission = 'organization.view',
): Promise<OrgContext> {
  const { user, session } = await requireUserSession(request);
  if (!orgSlug) throw notFound();
  const membership = await prisma.membership.findFirst({
    where: { userId: user.id, organization: { slug: orgSlug } },
    select: {
      id: true,
      role: true,
      createdAt: true,
      organization: { select: { id: true, slug: true, name: true, createdAt: true } },
    },
  });
  if (!membership) throw notFound();
  if (!allows(membership.role, permission)) throw forbidden(deniedMessage(membership.role, permission));
  const { organization, ...rest } = membership;
  return { user, session, organization, membership: rest };
}

/** The signed-in member as the role matrix sees them. */
export function subjectOf(ctx: Pick<OrgContext, 'user' | 'membership'>): Subject {
  return { role: ctx.membership.role, userId: ctx.user.id };
}

/** Whether the signed-in member may do `permission` (to `target`, for scoped grants): for the UI. */
export function memberCan(ctx: Pick<OrgContext, 'user' | 'membership'>, permission: Permission, target?: Target | null): boolean {
  return target === undefined ? allows(ctx.membership.role, permission) : can(subjectOf(ctx), permission, target);
}

/** Throws 403 with the matrix's sentence unless the member may do `permission` to `target`. */
export function assertMemberCan(ctx: Pick<OrgContext, 'user' | 'membership'>, permission: Permission, target: Target | null): void {
  if (!can(subjectOf(ctx), permission, target)) throw forbidden(deniedMessage(ctx.membership.role, permission));
}

/** How a person reads in the audit log's CSV: "Ada Lovelace <ada@example.com>" (the page shows the current name). */
export function userAuditLabel(user: { name: string; email: string }): string {
  return user.name ? `${user.name} <${user.email}>` : user.email;
}

/** The signed-in member as the audit log's actor, with the request's IP (from the load context) and user agent. */
export function memberAuditContext(ctx: Pick<OrgContext, 'user'>, request: Request, loadContext: unknown): AuditContext {
  return auditContextFromRequest(request, { type: 'user', id: ctx.user.id, label: userAuditLabel(ctx.user) }, loadContext);
}

/** Who changes the organization (members, invitations, settings): id and role from the membership, origin from the request. */
export function orgActor(ctx: Pick<OrgContext, 'user' | 'membership'>, request: Request, loadContext: unknown): OrgActor {
  return { userId: ctx.user.id, role: ctx.membership.role, context: memberAuditContext(ctx, request, loadContext) };
}
