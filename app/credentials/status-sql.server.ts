// The read-time status in SQL: the twin of statusNow() (./status.ts) for queries that filter, count and sort by status.
import { Prisma } from '~/generated/prisma/client';
import { REFRESH_TOKEN_FIELD } from '~/jobs/refresh-schedule.server';

/** What a query reads statuses with: the organization its rows belong to, now, and the warning window. */
export interface StatusClockSql {
  organizationId: string;
  now: Date;
  /** The warning window in days: a number, or SQL that yields one (e.g. the organization's column). */
  warningWindowDays: number | Prisma.Sql;
}

/** The organization's own warning window, as SQL (evaluated once per statement: it does not depend on the row). */
export function organizationWindowSql(organizationId: string): Prisma.Sql {
  return Prisma.sql`(SELECT o."warningWindowDays" FROM "Organization" o WHERE o."id" = ${organizationId}::uuid)`;
}

/** Where the warning window ends, as one value per statement (so no row computes the date itself). */
function windowEndSql(clock: StatusClockSql): Prisma.Sql {
  if (typeof clock.warningWindowDays === 'number') {
    return Prisma.sql`${new Date(clock.now.getTime() + clock.warningWindowDays * 24 * 60 * 60_000)}::timestamp`;
  }
  return Prisma.sql`(SELECT ${clock.now}::timestamp + make_interval(days => ${clock.warningWindowDays}))`;
}

/**
 * The organization's OAuth credentials stored active past their expiry that hold a refresh token: the few
 * rows whose status needs to know it. One uncorrelated sub-select, hashed once per statement; a per-row
 * EXISTS would be priced for every row, and that inflated estimate alone makes PostgreSQL JIT-compile the
 * 100,000-row count (~160 ms of compiling for ~20 ms of work).
 */
function refreshableOverdueSql(clock: StatusClockSql, now: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(SELECT s."credentialId" FROM "CredentialSecret" s JOIN "Credential" r ON r."id" = s."credentialId"
      WHERE r."organizationId" = ${clock.organizationId}::uuid AND r."type" = 'oauth' AND r."status" = 'active'
        AND r."expiresAt" <= ${now} AND s."field" = ${REFRESH_TOKEN_FIELD})`;
}

/**
 * A text expression with the status `statusNow()` gives for the row aliased `alias` (a row of
 * `clock.organizationId`). Same rules, in the same order.
 */
export function statusNowSql(alias: string, clock: StatusClockSql): Prisma.Sql {
  const col = (name: string) => Prisma.raw(`${alias}."${name}"`);
  // A sub-select is evaluated once per statement; a bare cast of the bound text would be parsed for every row.
  const now = Prisma.sql`(SELECT ${clock.now}::timestamp)`;
  const windowEnd = windowEndSql(clock);
  const expiryDecides = Prisma.sql`(${col('status')} IN ('active', 'expiring')
      OR (${col('status')} = 'expired' AND (${col('statusCause')} IS NOT DISTINCT FROM 'expired' OR ${col('expiresAt')} IS NOT NULL
        OR coalesce(${col('statusReason')}, '') LIKE 'Expired %'))
      OR (${col('status')} = 'needs_attention' AND ${col('statusCause')} IS NULL AND coalesce(${col('statusReason')}, '') LIKE 'Expires %'))`;
  return Prisma.sql`(CASE
    WHEN ${col('status')} = 'disconnected' THEN 'disconnected'
    WHEN ${col('type')} = 'oauth' THEN (CASE
      WHEN ${col('status')} = 'active' AND ${col('expiresAt')} <= ${now} THEN (CASE
        WHEN ${col('id')} IN ${refreshableOverdueSql(clock, now)} THEN 'needs_attention' ELSE 'expired' END)
      ELSE ${col('status')}::text END)
    WHEN ${col('expiresAt')} <= ${now} THEN 'expired'
    WHEN NOT ${expiryDecides} THEN ${col('status')}::text
    WHEN ${col('expiresAt')} <= ${windowEnd} THEN 'expiring'
    ELSE 'active'
  END)`;
}

/** The status's rank for sorting (STATUS_ORDER in ./status.ts: active first, disconnected last). */
export function statusRankSql(statusText: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`array_position(ARRAY['active', 'expiring', 'expired', 'needs_attention', 'disconnected']::text[], ${statusText})`;
}
