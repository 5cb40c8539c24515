// The organization's proposal settings as Settings shows them (changes go through setProposalExpiryDays, which audits them).
import { prisma } from '~/db.server';
import { DEFAULT_PROPOSAL_EXPIRY_DAYS } from './proposals';

/** How many days a pending proposal waits before it expires. */
export async function proposalExpiryDays(organizationId: string): Promise<number> {
  const org = await prisma.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { proposalExpiryDays: true } });
  return org.proposalExpiryDays || DEFAULT_PROPOSAL_EXPIRY_DAYS;
}
