// The organization's credentials a proposal names for a grant or a delete, so the approval page shows what they are and links to them.
import { prisma } from '~/db.server';
import type { ProposalView } from './proposals';

export interface ExistingCredential {
  id: string;
  service: string;
  type: string;
}

export async function existingCredentialsOf(organizationId: string, proposal: Pick<ProposalView, 'credentials'>): Promise<Record<string, ExistingCredential>> {
  const names = proposal.credentials.filter((c) => c.kind === 'grant' || c.kind === 'delete').map((c) => c.name);
  if (names.length === 0) return {};
  const rows = await prisma.credential.findMany({ where: { organizationId, name: { in: names } }, select: { id: true, name: true, service: true, type: true } });
  return Object.fromEntries(rows.map((r) => [r.name, { id: r.id, service: r.service, type: r.type }]));
}
