// The read-time status in SQL: the twin of statusNow() (./status.ts) for queries that filter, count and sort by status.
import { Prisma } from '~/generated/prisma/client';
import { REFRESH_TOKEN_FIELD } from '~/jobs/refresh-schedule.server';

/** The clock a query reads statuses with: now, and where the organization's warning window ends. */
export interface StatusClockSql {
  now: Date;
  /** The warning window in days: a number, or SQL that yields one (e.g. the organization's column). */
  warningWindowDays: number | Prisma.Sql;
}

/** The organization's own warning window, as SQL (evaluated once per statement: it does not depend on the row). */
export function organizationWindowSql(organizationId: string): Prisma.Sql {
  return Prisma.sql`(SELECT o."warningWindowDays" FROM "Organization" o WHERE o."id" = ${organizationId}::uuid)`;
}

/**
 * A text expression with the status `statusNow()` gives for the row aliased `alias`. Same rules, in the same
 * order; the EXISTS runs only for OAuth rows stored active past their expiry (CASE evaluates lazily).
 */
export function statusNowSql(alias: string, clock: StatusClockSql): Prisma.Sql {
  const col = (name: string) => Prisma.raw(`${alias}."${name}"`);
  const now = Prisma.sql`${clock.now}::timestamp`;
  const windowDays = typeof clock.warningWindowDays === 'number' ? Prisma.sql`${clock.warningWindowDays}::int` : clock.warningWindowDays;
  const expiryDecides = Prisma.sql`(${col('status')} IN ('active', 'expiring')
      OR (${col('status')} = 'expired' AND (${col('statusCause')} IS NOT DISTINCT FROM 'expired' OR ${col('expiresAt')} IS NOT NULL
        OR coalesce(${col('statusReason')}, '') LIKE 'Expired %'))
      OR (${col('status')} = 'needs_attention' AND ${col('statusCause')} IS NULL AND coalesce(${col('statusReason')}, '') LIKE 'Expires %'))`;
  return Prisma.sql`(CASE
    WHEN ${col('status')} = 'disconnected' THEN 'disconnected'
    WHEN ${col('type')} = 'oauth' THEN (CASE
      WHEN ${col('status')} = 'active' AND ${col('expiresAt')} <= ${now} THEN (CASE
        WHEN EXISTS (SELECT 1 FROM "CredentialSecret" s WHERE s."credentialId" = ${col('id')} AND s."field" = ${REFRESH_TOKEN_FIELD})
        THEN 'needs_attention' ELSE 'expired' END)
      ELSE ${col('status')}::text END)
    WHEN ${col('expiresAt')} <= ${now} THEN 'expired'
    WHEN NOT ${expiryDecides} THEN ${col('status')}::text
    WHEN ${col('expiresAt')} <= ${now} + make_interval(days => ${windowDays}) THEN 'expiring'
    ELSE 'active'
  END)`;
}

/** The status's rank for sorting (STATUS_ORDER in ./status.ts: active first, disconnected last). */
export function statusRankSql(statusText: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`array_position(ARRAY['active', 'expiring', 'expired', 'needs_attention', 'disconnected']::text[], ${statusText})`;
}
