// The credentials page's banner: credentials that turned expiring, expired or needs-attention (read now) since this member last dismissed it.
import { organizationWindowSql, statusNowSql } from '~/credentials/status-sql.server';
import type { CredentialStatusValue } from '~/credentials/status';
import { prisma } from '~/db.server';
import { Prisma } from '~/generated/prisma/client';

/** The statuses the banner warns about, worst first. */
export const BANNER_STATUSES = ['needs_attention', 'expired', 'expiring'] as const satisfies readonly CredentialStatusValue[];
export type BannerStatus = (typeof BANNER_STATUSES)[number];

export interface AttentionBanner {
  /** How many credentials turned to a banner status since the member last looked. */
  count: number;
  byStatus: Record<BannerStatus, number>;
  /**
   * The newest few, for the banner's list: names, the status read now, the stored reason while it applies
   * and the expiry, so the page says the time left with the same formatter as the Expires column. Never a secret.
   */
  items: { id: string; name: string; status: BannerStatus; reason: string | null; expiresAt: string | null; changedAt: string }[];
}

const SHOWN = 3;

type Row = {
  id: string;
  name: string;
  status: BannerStatus;
  reason: string | null;
  expiresAt: Date | null;
  changedAt: Date;
  total: number;
  needsAttention: number;
  expired: number;
  expiring: number;
};

/**
 * Loader helper: null when there is nothing new. A credential is new when its status read now (statusNow) is
 * one of BANNER_STATUSES and it got there after Membership.attentionSeenAt (everything, for a member who never
 * dismissed it). "Got there" is statusChangedAt when the stored status holds, and otherwise the instant the
 * clock decided it: the expiry for expired (and for an OAuth token overdue for refresh), the start of the
 * warning window for expiring; never before the stored status itself last changed (a key created already
 * inside its window got there when it was created), as the sweep would have written it.
 */
export async function attentionBanner(
  orgId: string,
  membership: { id: string; attentionSeenAt?: Date | null },
  now: Date = new Date(),
): Promise<AttentionBanner | null> {
  const seenAt =
    membership.attentionSeenAt !== undefined
      ? membership.attentionSeenAt
      : (await prisma.membership.findUnique({ where: { id: membership.id }, select: { attentionSeenAt: true } }))?.attentionSeenAt ?? null;
  const windowDays = organizationWindowSql(orgId);
  const windowEnd = Prisma.sql`(SELECT ${now}::timestamp + make_interval(days => ${windowDays}))`;
  const after = (column: Prisma.Sql, shift = Prisma.empty) =>
    seenAt ? Prisma.sql`AND ${column} > ${seenAt}::timestamp${shift}` : Prisma.empty;
  const shift = Prisma.sql` + make_interval(days => ${windowDays})`;
  // The prefilter only narrows (every row it lets through is judged by its status read now); each branch
  // walks an index: (organizationId, status, statusChangedAt) and (organizationId, expiresAt).
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT c."id", c."name", sn."status", CASE WHEN sn."status" = c."status"::text THEN c."statusReason" END AS "reason",
           c."expiresAt", ch."changedAt",
           (count(*) OVER ())::int AS "total",
           (count(*) FILTER (WHERE sn."status" = 'needs_attention') OVER ())::int AS "needsAttention",
           (count(*) FILTER (WHERE sn."status" = 'expired') OVER ())::int AS "expired",
           (count(*) FILTER (WHERE sn."status" = 'expiring') OVER ())::int AS "expiring"
    FROM "Credential" c
    CROSS JOIN LATERAL (SELECT ${statusNowSql('c', { organizationId: orgId, now, warningWindowDays: windowDays })} AS "status") AS sn
    CROSS JOIN LATERAL (SELECT CASE
        WHEN sn."status" = c."status"::text THEN c."statusChangedAt"
        WHEN sn."status" = 'expiring' THEN GREATEST(c."expiresAt" - make_interval(days => ${windowDays}), c."statusChangedAt")
        ELSE GREATEST(c."expiresAt", c."statusChangedAt") END AS "changedAt") AS ch
    WHERE c."organizationId" = ${orgId}::uuid
      AND (
        (c."status" IN ('needs_attention', 'expired', 'expiring') ${after(Prisma.raw('c."statusChangedAt"'))})
        OR (c."expiresAt" <= ${now}::timestamp ${after(Prisma.raw('GREATEST(c."expiresAt", c."statusChangedAt")'))})
        OR (c."type" <> 'oauth' AND c."expiresAt" <= ${windowEnd}
            ${seenAt ? Prisma.sql`AND (c."expiresAt" > ${seenAt}::timestamp${shift} OR c."statusChangedAt" > ${seenAt}::timestamp)` : Prisma.empty})
      )
      AND sn."status" IN ('needs_attention', 'expired', 'expiring')
      ${seenAt ? Prisma.sql`AND ch."changedAt" > ${seenAt}::timestamp` : Prisma.empty}
    ORDER BY ch."changedAt" DESC, c."id" ASC
    LIMIT ${SHOWN}`;
  const head = rows[0];
  if (!head) return null;
  return {
    count: head.total,
    byStatus: { needs_attention: head.needsAttention, expired: head.expired, expiring: head.expiring },
    items: rows.map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      reason: r.reason,
      expiresAt: r.expiresAt?.toISOString() ?? null,
      changedAt: r.changedAt.toISOString(),
    })),
  };
}

/** The dismiss action: items that changed up to now stop showing for this member. */
export async function dismissAttention(membershipId: string, now: Date = new Date()): Promise<void> {
  await prisma.membership.update({ where: { id: membershipId }, data: { attentionSeenAt: now } });
}
