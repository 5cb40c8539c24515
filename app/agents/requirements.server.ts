// Sets an agent's requirements: by an admin on the agent's page or the management API, or by the agent itself (PUT /api/v1/agent/requirements); audited either way.
import { recordAudit, type AuditContext } from '~/audit/audit.server';
import { fieldErrorsFromZod } from '~/credentials/schemas';
import { prisma } from '~/db.server';
import { allows, deniedMessage } from '~/orgs/permissions';
import type { Role } from '~/orgs/roles';
import { AgentError } from './agents.server';
import { requirementsSchema, type Requirement, type RequirementInput } from './requirements';

/** An admin (role decides), or the agent itself (`self`: it may set only its own). */
export type RequirementsActor = { organizationId: string; role: Role; context: AuditContext } | { organizationId: string; self: string; context: AuditContext };

export async function setAgentRequirements(actor: RequirementsActor, agentId: string, input: RequirementInput[] | unknown): Promise<Requirement[]> {
  if ('role' in actor && !allows(actor.role, 'agent.manage')) throw new AgentError('forbidden', deniedMessage(actor.role, 'agent.manage'));
  if ('self' in actor && actor.self !== agentId) throw new AgentError('forbidden', 'An agent may set only its own requirements');
  const parsed = requirementsSchema.safeParse(input);
  if (!parsed.success) throw new AgentError('validation', 'Check the highlighted requirements', fieldErrorsFromZod(parsed.error));
  const requirements = parsed.data;
  await prisma.$transaction(async (tx) => {
    const agent = await tx.agent.findFirst({ where: { id: agentId, organizationId: actor.organizationId }, select: { id: true, name: true, requirements: true } });
    if (!agent) throw new AgentError('not_found', 'Agent not found');
    await tx.agent.update({ where: { id: agentId }, data: { requirements } });
    const before = new Set((Array.isArray(agent.requirements) ? agent.requirements : []).map((r) => (r as { name?: string }).name));
    const after = new Set(requirements.map((r) => r.name));
    await recordAudit(tx, {
      organizationId: actor.organizationId,
      context: actor.context,
      action: 'agent.requirements_update',
      targetType: 'agent',
      targetId: agentId,
      details: {
        name: agent.name,
        requirements: requirements.map((r) => r.name),
        added: [...after].filter((n) => !before.has(n)),
        removed: [...before].filter((n): n is string => typeof n === 'string' && !after.has(n)),
      },
    });
  });
  return requirements;
}
