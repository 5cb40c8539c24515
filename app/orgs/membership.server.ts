// requireMembership: the single gate every organization route passes through.
import { requireUserSession, type SessionUser, type UserSession } from '~/auth/session.server';
import { prisma } from '~/db.server';
import { forbidden, notFound } from '~/utils/http.server';
import { hasRole, type Role } from './roles';

export interface OrgContext {
  user: SessionUser;
  session: UserSession;
  organization: { id: string; slug: string; name: string; createdAt: Date };
  membership: { id: string; role: Role; createdAt: Date };
}

/**
 * Resolves the signed-in user, the organization named by `orgSlug` and the user's membership in it.
 * An unknown slug and an organization the user does not belong to throw the SAME 404, so slugs
 * cannot be probed; a membership below `minRole` throws 403; no session redirects to /login.
 */
export async function requireMembership(
  request: Request,
  orgSlug: string | undefined,
  minRole: Role = 'viewer',
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
  if (!hasRole(membership.role, minRole)) throw forbidden();
  const { organization, ...rest } = membership;
  return { user, session, organization, membership: rest };
}
