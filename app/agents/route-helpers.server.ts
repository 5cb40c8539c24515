// Route glue for the agents pages: the signed-in person (role and audit origin) as the agents' actor, and the service's field errors as the form's.
import { memberAuditContext, type OrgContext } from '~/orgs/membership.server';
import type { AgentActor } from './agents.server';

export function agentActor(ctx: OrgContext, request: Request, loadContext: unknown): AgentActor & { userId: string } {
  return {
    organizationId: ctx.organization.id,
    userId: ctx.user.id,
    role: ctx.membership.role,
    context: memberAuditContext(ctx, request, loadContext),
  };
}

/** The service's field errors keyed as the form names its fields: both allowlist columns are the one `allowlist` input. */
export function allowlistFieldErrors(fieldErrors: Record<string, string[]>): Record<string, string[]> {
  const { allowedCredentials = [], deliverCredentials = [], ...rest } = fieldErrors;
  const allowlist = [...allowedCredentials, ...deliverCredentials];
  return allowlist.length > 0 ? { ...rest, allowlist } : rest;
}
