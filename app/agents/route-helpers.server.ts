// Route glue for the agents pages: the signed-in person (role and audit origin) as the agents' actor.
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
