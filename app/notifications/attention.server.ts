// The needs-attention banner: credentials that turned "needs attention" since this member last dismissed it.
import { prisma } from '~/db.server';

export interface AttentionBanner {
  /** How many credentials turned needs-attention since the member last looked. */
  count: number;
  /** The newest few, for the banner's list (names and reasons only; never a secret). */
  items: { id: string; name: string; reason: string | null; changedAt: string }[];
}

const SHOWN = 3;

/**
 * Loader helper: null when there is nothing new. "New" means status needs_attention with a
 * statusChangedAt after Membership.attentionSeenAt (everything, for a member who never dismissed it).
 */
export async function attentionBanner(
  orgId: string,
  membership: { id: string; attentionSeenAt?: Date | null },
): Promise<AttentionBanner | null> {
  const seenAt =
    membership.attentionSeenAt !== undefined
      ? membership.attentionSeenAt
      : (await prisma.membership.findUnique({ where: { id: membership.id }, select: { attentionSeenAt: true } }))?.attentionSeenAt ?? null;
  const where = {
    organizationId: orgId,
    status: 'needs_attention' as const,
    ...(seenAt ? { statusChangedAt: { gt: seenAt } } : {}),
  };
  const [count, rows] = await Promise.all([
    prisma.credential.count({ where }),
    prisma.credential.findMany({
      where,
      orderBy: [{ statusChangedAt: 'desc' }, { id: 'asc' }],
      take: SHOWN,
      select: { id: true, name: true, statusReason: true, statusChangedAt: true },
    }),
  ]);
  if (count === 0) return null;
  return {
    count,
    items: rows.map((r) => ({ id: r.id, name: r.name, reason: r.statusReason, changedAt: r.statusChangedAt.toISOString() })),
  };
}

/** The dismiss action: items that changed up to now stop showing for this member. */
export async function dismissAttention(membershipId: string, now: Date = new Date()): Promise<void> {
  await prisma.membership.update({ where: { id: membershipId }, data: { attentionSeenAt: now } });
}
