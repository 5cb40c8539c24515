// Sealed values a proposal holds until it is decided: what the agent supplied, and tokens a person connected on the approval page (ProposalSecret rows).
import { recordAudit, type AuditContext } from '~/audit/audit.server';
import { publishInvalidation } from '~/cluster/invalidation.server';
import { prisma } from '~/db.server';
import type { Prisma } from '~/generated/prisma/client';
import { openSecret, sealSecret } from '~/vault/vault.server';
import { PROPOSAL_AUDIT_ACTIONS } from './proposals';

type Tx = Prisma.TransactionClient;

export const valueField = (position: number) => `value:${position}`;
export const tokensField = (position: number) => `tokens:${position}`;

/** Sealed under the organization's data key, bound to the proposal and the field (the slot). */
function location(organizationId: string, proposalId: string, field: string) {
  return { organizationId, credentialId: proposalId, field };
}

export async function sealProposalSecret(tx: Tx, organizationId: string, proposalId: string, field: string, plaintext: string): Promise<void> {
  const sealed = await sealSecret({ ...location(organizationId, proposalId, field), plaintext }, tx);
  await tx.proposalSecret.upsert({
    where: { proposalId_field: { proposalId, field } },
    create: { proposalId, field, ciphertext: new Uint8Array(sealed.ciphertext), keyVersion: sealed.keyVersion },
    update: { ciphertext: new Uint8Array(sealed.ciphertext), keyVersion: sealed.keyVersion },
  });
}

/** The plaintext of one sealed proposal value, or null when there is none. */
export async function openProposalSecret(organizationId: string, proposalId: string, field: string): Promise<string | null> {
  const row = await prisma.proposalSecret.findUnique({ where: { proposalId_field: { proposalId, field } } });
  if (!row) return null;
  const bytes = await openSecret({ ...location(organizationId, proposalId, field), ciphertext: row.ciphertext, keyVersion: row.keyVersion });
  const text = bytes.toString('utf8');
  bytes.fill(0);
  return text;
}

/**
 * Seals tokens from a Connect on the approval page onto a pending slot (replacing earlier ones). Null when
 * the proposal is no longer pending or the slot is not an OAuth one: nothing is stored then.
 */
export async function stageProposalTokens(input: {
  organizationId: string;
  proposalId: string;
  position: number;
  tokens: { account: string | null };
  context: AuditContext;
}): Promise<{ proposalId: string } | null> {
  const { organizationId, proposalId, position } = input;
  if (!/^[0-9a-f-]{36}$/i.test(proposalId) || !Number.isSafeInteger(position)) return null;
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT id FROM "Proposal" WHERE id = ${proposalId}::uuid AND "organizationId" = ${organizationId}::uuid
        AND status = 'pending' AND "expiresAt" > now() FOR UPDATE`;
    if (!rows[0]) return null;
    const { count } = await tx.proposalSlot.updateMany({
      where: { proposalId, position, kind: 'connect' },
      data: { connectedAccount: input.tokens.account, connectedAt: new Date() },
    });
    if (count !== 1) return null;
    await sealProposalSecret(tx, organizationId, proposalId, tokensField(position), JSON.stringify(input.tokens));
    const slot = await tx.proposalSlot.findUniqueOrThrow({ where: { proposalId_position: { proposalId, position } }, select: { name: true } });
    await recordAudit(tx, {
      organizationId,
      context: input.context,
      action: PROPOSAL_AUDIT_ACTIONS.slotConnected,
      targetType: 'proposal',
      targetId: proposalId,
      details: { slot: slot.name, account: input.tokens.account },
    });
    await publishInvalidation(tx, 'proposals', organizationId);
    return { proposalId };
  });
}
