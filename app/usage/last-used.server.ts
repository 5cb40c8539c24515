// Reads of "last used" for the portal, from the columns ADR 005 names as the truth (written only by the usage flush).
import { prisma } from '~/db.server';

/** When each agent last used this credential (AgentCredentialUsage), for the credential page's "Agents with access". */
export async function lastUseByAgent(credentialId: string): Promise<Map<string, Date>> {
  const rows = await prisma.agentCredentialUsage.findMany({ where: { credentialId }, select: { agentId: true, lastUsedAt: true } });
  return new Map(rows.map((r) => [r.agentId, r.lastUsedAt]));
}
