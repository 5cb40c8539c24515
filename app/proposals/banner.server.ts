// What the org layout shows about proposals waiting for a person: the sidebar count and the newest pending proposal for the banner.
import { prisma } from '~/db.server';
import { pendingProposalCount } from './proposals.server';

export interface PendingProposalsSummary {
  count: number;
  /** The newest pending proposal (the banner names its agent and how many credentials it asks for). */
  latest: { id: string; agent: string; credentials: number } | null;
}

export async function pendingProposalsSummary(organizationId: string, now = new Date()): Promise<PendingProposalsSummary> {
  const [count, latest] = await Promise.all([
    pendingProposalCount(organizationId, now),
    prisma.proposal.findFirst({
      where: { organizationId, status: 'pending', expiresAt: { gt: now } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { id: true, agent: { select: { name: true } }, _count: { select: { slots: true } } },
    }),
  ]);
  return { count, latest: latest ? { id: latest.id, agent: latest.agent.name, credentials: latest._count.slots } : null };
}
