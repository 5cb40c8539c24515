// Route glue for the agents pages: the signed-in person as the agents' audit actor, and agent errors as field errors.
import { auditContextFromRequest } from '~/audit/audit.server';
import type { OrgContext } from '~/orgs/membership.server';
import type { AgentActor } from './agents.server';

export function agentActor(ctx: OrgContext, request: Request): AgentActor & { userId: string } {
  return {
    organizationId: ctx.organization.id,
    userId: ctx.user.id,
    context: auditContextFromRequest(request, { type: 'user', id: ctx.user.id, label: ctx.user.email }),
  };
}
