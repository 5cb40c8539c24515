// Who is calling the API: an agent token (lk_…) or a management token (lkm_…), and what each may do.
import type { IncomingHttpHeaders } from 'node:http';
import { authenticateAgent, type AgentActor, type AuthenticatedAgent } from '~/agents/agents.server';
import type { CredentialActor } from '~/credentials/credentials.server';
import { allows, deniedMessage, type Permission } from '~/orgs/permissions';
import {
  authenticateManagementToken,
  managementAuditActor,
  managementBearer,
  type ManagementPrincipal,
} from '~/tokens/management-tokens.server';
import { ApiError } from './errors.server';

export type Principal = { kind: 'agent'; agent: AuthenticatedAgent } | { kind: 'management'; token: ManagementPrincipal };

export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

/** The caller behind `Authorization: Bearer …`, or a 401 that says which tokens are accepted. */
export async function authenticate(headers: IncomingHttpHeaders): Promise<Principal> {
  const header = headers.authorization;
  const management = managementBearer(header);
  if (management) {
    const token = await authenticateManagementToken(management);
    if (token) return { kind: 'management', token };
  } else {
    const agent = await authenticateAgent(headers['proxy-authorization'] ?? header);
    if (agent) return { kind: 'agent', agent };
  }
  throw new ApiError(401, 'unauthorized', 'A valid token is required: Authorization: Bearer lk_… (agent) or lkm_… (management)');
}

/** The organization the caller acts in: always from the token, never from the request. */
export function organizationOf(principal: Principal): string {
  return principal.kind === 'agent' ? principal.agent.organizationId : principal.token.organizationId;
}

/** A stable key of the caller (the idempotency scope): the token's id. */
export function principalKey(principal: Principal): string {
  return principal.kind === 'agent' ? `agent-token:${principal.agent.tokenId}` : `api-token:${principal.token.tokenId}`;
}

/** A management token allowed `permission` by its role; an agent token is refused. */
export function requireManagement(principal: Principal, permission?: Permission): ManagementPrincipal {
  if (principal.kind !== 'management') {
    throw new ApiError(403, 'management_token_required', 'This endpoint needs a management token (lkm_…); agent tokens use credentials, they do not manage them');
  }
  if (permission && !allows(principal.token.role, permission)) throw new ApiError(403, 'forbidden', deniedMessage(principal.token.role, permission));
  return principal.token;
}

export function requireAgent(principal: Principal): AuthenticatedAgent {
  if (principal.kind !== 'agent') throw new ApiError(403, 'forbidden', 'This endpoint is for agent tokens (lk_…)');
  return principal.agent;
}

/** The credential services' actor for a management token: its person, its capped role, the token as the audit actor. */
export function credentialActorOf(token: ManagementPrincipal, origin: RequestOrigin): CredentialActor {
  const audit = managementAuditActor(token);
  return {
    organizationId: token.organizationId,
    userId: token.userId,
    userLabel: token.userName ? `${token.userName} <${token.userEmail}>` : token.userEmail,
    role: token.role,
    ip: origin.ip,
    userAgent: origin.userAgent,
    token: { id: token.tokenId, label: audit.label },
  };
}

export function agentActorOf(token: ManagementPrincipal, origin: RequestOrigin): AgentActor & { userId: string } {
  return { organizationId: token.organizationId, role: token.role, userId: token.userId, context: { actor: managementAuditActor(token), ...origin } };
}
