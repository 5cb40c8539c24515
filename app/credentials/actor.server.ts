// Builds the CredentialActor for credential services from the signed-in membership and the request.
import { auditContextFromRequest, type AuditContext } from '~/audit/audit.server';
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

/** The audit log's actor and origin for a credential actor: the person, or the API token acting for them. */
export function credentialAuditContext(actor: CredentialActor): AuditContext {
  const who = actor.token
    ? { type: 'api_token' as const, id: actor.token.id, label: actor.token.label }
    : { type: 'user' as const, id: actor.userId, label: actor.userLabel };
  return { actor: who, ip: actor.ip, userAgent: actor.userAgent };
}
