// Builds the CredentialActor for credential services from the signed-in membership and the request.
import { auditContextFromRequest } from '~/audit/audit.server';
import type { CredentialActor } from '~/credentials/credentials.server';
import type { OrgContext } from '~/orgs/membership.server';
import { clientIp } from '~/utils/http.server';

/**
 * Who is acting on credentials in this request. Identity and role come from the membership resolved
 * by requireMembership, never from the request body. The IP prefers the express load context (the
 * socket as seen through the trusted proxy setting) and falls back to the audit log's header rule.
 */
export function credentialActor(ctx: OrgContext, request: Request, loadContext?: unknown): CredentialActor {
  const { user, organization, membership } = ctx;
  const userLabel = user.name ? `${user.name} <${user.email}>` : user.email;
  const origin = auditContextFromRequest(request, { type: 'user', id: user.id, label: userLabel });
  return {
    organizationId: organization.id,
    userId: user.id,
    userLabel,
    role: membership.role,
    ip: clientIp(loadContext) ?? origin.ip,
    userAgent: origin.userAgent,
  };
}
