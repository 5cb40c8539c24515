// The credentials table's server side: filtering, sorting, paging and counting in SQL by the status read now, fast at 100k rows.
import { LRUCache } from 'lru-cache';
import { listServices } from '~/credentials/catalog';
import { prisma as defaultPrisma } from '~/db.server';
import { Prisma, type PrismaClient } from '~/generated/prisma/client';
import { organizationWindowSql, statusNowSql, statusRankSql } from './status-sql.server';
import {
  CREDENTIAL_STATUSES,
  CREDENTIAL_TYPES,
  parseSort,
  type CredentialStatusValue,
  type CredentialTypeValue,
  type TableState,
} from './table-state';

/** One row of the table. Deliberately no secret, no secret metadata: only what the columns show. */
export interface CredentialRow {
  id: string;
  name: string;
  service: string;
  type: CredentialTypeValue;
  /** The status read now (statusNow), not necessarily the stored one. */
  status: CredentialStatusValue;
  /** The stored reason while it still describes the status; null when the clock decided (say it from expiresAt). */
  statusReason: string | null;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  createdAt: Date;
  createdByName: string | null;
}

export interface CredentialListResult {
  rows: CredentialRow[];
  /** Rows matching the filters; a lower bound when totalExact is false (a broad search, shown as "10,000+"). */
  total: number;
  totalExact: boolean;
  pageCount: number;
  hasNextPage: boolean;
  /**
   * Chip counts. byType honours the status filter and byStatus the type filter (each chip says how many rows
   * clicking it would add), both honour the search. Lower bounds when countsExact is false.
   */
  counts: { byType: Record<CredentialTypeValue, number>; byStatus: Record<CredentialStatusValue, number> };
  countsExact: boolean;
  /** The whole organization, regardless of filters. */
  summary: { needsAttention: number; expiring: number; expired: number };
}

/** Above this many matches a search stops counting exactly (and says "10,000+"). */
export const SEARCH_COUNT_CAP = 10_000;
/** How long an organization's unfiltered counts are reused. Mutations call invalidateCredentialCounts. */
export const COUNTS_TTL_MS = 5_000;

/** Escapes LIKE wildcards so the term matches literally: \ first, then % and _. */
export function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** Ids of the catalog services whose display name contains the term (case-insensitive). */
export function servicesNamed(term: string): string[] {
  const needle = term.toLocaleLowerCase('en');
  return listServices()
    .filter((service) => service.displayName.toLocaleLowerCase('en').includes(needle))
    .map((service) => service.id);
}

/** The status of each row of the organization, read at `now` with the organization's warning window. */
export function tableStatusSql(organizationId: string, now: Date, alias = 'c'): Prisma.Sql {
  return statusNowSql(alias, { organizationId, now, warningWindowDays: organizationWindowSql(organizationId) });
}

export interface WhereOptions {
  alias?: string;
  /** The clock statuses are read with (one per page, so rows, counts and filters agree). */
  now?: Date;
  /** An already computed status column to filter on instead of computing it again. */
  statusColumn?: Prisma.Sql;
}

/**
 * The WHERE clause of a state. Every user value is a bound parameter; only fixed SQL text is inlined. The
 * status filter matches the status read now, so "Expired" finds a key past its expiry that the sweep has
 * not reached yet.
 */
export function buildWhere(
  organizationId: string,
  filters: Pick<TableState, 'q' | 'type' | 'status'>,
  options: WhereOptions | string = {},
): Prisma.Sql {
  const { alias = 'c', now = new Date(), statusColumn } = typeof options === 'string' ? { alias: options } : options;
  const col = (name: string) => Prisma.raw(`${alias}."${name}"`);
  const parts: Prisma.Sql[] = [Prisma.sql`${col('organizationId')} = ${organizationId}::uuid`];
  if (filters.type.length > 0) {
    parts.push(Prisma.sql`${col('type')} = ANY(${filters.type}::"CredentialType"[])`);
  }
  if (filters.status.length > 0) {
    const status = statusColumn ?? tableStatusSql(organizationId, now, alias);
    parts.push(Prisma.sql`${status} = ANY(${filters.status}::text[])`);
  }
  if (filters.q) {
    const pattern = `%${escapeLike(filters.q)}%`;
    // People search by what they read in the table: the service's display name ("Google" finds gcp), not only its id.
    const named = servicesNamed(filters.q);
    const byName = named.length > 0 ? Prisma.sql` OR ${col('service')} = ANY(${named}::text[])` : Prisma.empty;
    parts.push(
      Prisma.sql`(${col('name')} ILIKE ${pattern} ESCAPE '\\' OR ${col('service')} ILIKE ${pattern} ESCAPE '\\'${byName})`,
    );
  }
  return Prisma.join(parts, ' AND ');
}

const NULLABLE_SORT_COLUMNS = { lastUsed: 'lastUsedAt', expires: 'expiresAt' } as const;

/**
 * ORDER BY for a sort. Always ends with the unique id so pages never repeat or skip rows among ties;
 * nullable columns put their NULLs (never used, never expires) last in both directions. Each order is
 * the exact reverse of its opposite, so one index (organizationId, column…, id) serves both directions.
 */
export function buildOrderBy(sort: TableState['sort'], alias = 'c', status: Prisma.Sql = Prisma.raw(`${alias}."status"::text`)): Prisma.Sql {
  const { key, descending } = parseSort(sort);
  const dir = descending ? 'DESC' : 'ASC';
  const a = alias;
  switch (key) {
    case 'name':
      return Prisma.raw(`${a}."name" ${dir}, ${a}."id" ${dir}`);
    case 'status':
      // By the status read now, mildest first (STATUS_ORDER), then by name.
      return Prisma.sql`${statusRankSql(status)} ${Prisma.raw(dir)}, ${Prisma.raw(`${a}."name" ${dir}, ${a}."id" ${dir}`)}`;
    case 'lastUsed':
    case 'expires':
      return Prisma.raw(`${a}."${NULLABLE_SORT_COLUMNS[key]}" ${dir} NULLS LAST, ${a}."id" ${dir}`);
  }
}

/** The page's columns; `sn` is the row's status read now (a lateral of tableStatusSql). */
const ROW_COLUMNS = Prisma.raw(
  `c."id", c."name", c."service", c."type"::text AS "type", sn."status" AS "status",
   CASE WHEN sn."status" = c."status"::text THEN c."statusReason" END AS "statusReason",
   c."lastUsedAt", c."expiresAt", c."createdAt", u."name" AS "createdByName"`,
);

function statusLateral(organizationId: string, now: Date): Prisma.Sql {
  return Prisma.sql`CROSS JOIN LATERAL (SELECT ${tableStatusSql(organizationId, now)} AS "status") AS sn`;
}

/** Restricts a nullable-column sort to its dated rows or to its NULL rows (see listCredentials). */
export type NullsPart = { column: 'lastUsedAt' | 'expiresAt'; part: 'dated' | 'null' };

/**
 * The page's rows as one statement. A deferred join: the ids of the page are picked first (the sort and
 * OFFSET walk narrow index entries, not whole rows), then only those rows are read and joined.
 */
export function buildRowsQuery(
  organizationId: string,
  state: TableState,
  window: { offset: number; limit: number; nulls?: NullsPart } = {
    offset: (state.page - 1) * state.size,
    limit: state.size,
  },
  now: Date = new Date(),
): Prisma.Sql {
  let where = buildWhere(organizationId, state, { now });
  const statusSorted = parseSort(state.sort).key === 'status';
  let order = buildOrderBy(state.sort, 'c', tableStatusSql(organizationId, now));
  if (window.nulls) {
    const { column, part } = window.nulls;
    const dir = parseSort(state.sort).descending ? 'DESC' : 'ASC';
    // Same order as buildOrderBy on each part, written so that a plain btree on
    // (organizationId, column, id) walks it directly (a DESC scan puts NULLs first, so they are split off).
    where = Prisma.sql`${where} AND ${Prisma.raw(`c."${column}" IS ${part === 'null' ? '' : 'NOT '}NULL`)}`;
    order = Prisma.raw(part === 'null' ? `c."id" ${dir}` : `c."${column}" ${dir}, c."id" ${dir}`);
  }
  const pageIds = Prisma.sql`
      SELECT c."id" FROM "Credential" c
      WHERE ${where}
      ORDER BY ${order}
      LIMIT ${window.limit} OFFSET ${window.offset}`;
  // The page's few rows are put in order again; by status, with the status already read for them.
  return Prisma.sql`
    SELECT ${ROW_COLUMNS}
    FROM (${pageIds}) AS page
    JOIN "Credential" c ON c."id" = page."id"
    ${statusLateral(organizationId, now)}
    LEFT JOIN "User" u ON u."id" = c."createdById"
    ORDER BY ${statusSorted ? buildOrderBy(state.sort, 'c', Prisma.raw('sn."status"')) : order}`;
}

/** How many rows matching the filters have a value in a nullable sort column. */
export function buildDatedCountQuery(organizationId: string, state: TableState, column: NullsPart['column'], now: Date = new Date()): Prisma.Sql {
  // The ORDER BY changes nothing in the count; it steers the planner to an index-only scan of
  // (organizationId, column, id), measured at about half the time of the sequential scan it picks otherwise.
  return Prisma.sql`
    SELECT count(*)::int AS "n" FROM (
      SELECT 1 FROM "Credential" c
      WHERE ${buildWhere(organizationId, state, { now })} AND ${Prisma.raw(`c."${column}" IS NOT NULL`)}
      ORDER BY ${Prisma.raw(`c."${column}", c."id"`)}
    ) AS dated`;
}

/**
 * A search in one statement: the matches (at most `cap`, found through the trigram indexes) are
 * collected once, then grouped for the chips and the total, and sorted for the page. Always returns
 * at least one row, carrying `matrix` and `matched`; the page's columns are NULL when it has no rows.
 * When `matched` reaches `cap` the matches were cut short and the page must not be used.
 */
export function buildSearchQuery(organizationId: string, state: TableState, cap: number, now: Date = new Date()): Prisma.Sql {
  const search = buildWhere(organizationId, { q: state.q, type: [], status: [] }, { now });
  const filters = buildWhere(organizationId, { q: '', type: state.type, status: state.status }, { now, statusColumn: Prisma.raw('c."statusNow"') });
  const order = buildOrderBy(state.sort, 'c', Prisma.raw('c."statusNow"'));
  return Prisma.sql`
    WITH found AS MATERIALIZED (
      SELECT c."id", c."organizationId", c."type", c."status", c."statusCause", c."statusReason", c."name", c."lastUsedAt", c."expiresAt"
      FROM "Credential" c WHERE ${search} LIMIT ${cap}
    ),
    -- The status is read after the search, over the matches only: inside the LIMITed scan its cost would steer
    -- the planner away from the trigram indexes.
    matches AS MATERIALIZED (
      SELECT c."id", c."organizationId", c."type", ${tableStatusSql(organizationId, now)} AS "statusNow", c."name", c."lastUsedAt", c."expiresAt"
      FROM found c
    ),
    grouped AS (
      SELECT c."type"::text AS "type", c."statusNow" AS "status", count(*)::int AS "n" FROM matches c GROUP BY 1, 2
    ),
    counts AS (
      SELECT coalesce(json_agg(g), '[]'::json) AS "matrix", coalesce(sum(g."n"), 0)::int AS "matched" FROM grouped g
    ),
    page AS (
      SELECT c."id", row_number() OVER (ORDER BY ${order}) AS "position"
      FROM matches c WHERE ${filters}
      ORDER BY ${order}
      LIMIT ${state.size} OFFSET ${(state.page - 1) * state.size}
    )
    SELECT counts."matrix", counts."matched", r.*
    FROM counts
    LEFT JOIN (
      SELECT ${ROW_COLUMNS}, page."position"
      FROM page JOIN "Credential" c ON c."id" = page."id"
      ${statusLateral(organizationId, now)}
      LEFT JOIN "User" u ON u."id" = c."createdById"
    ) AS r ON true
    ORDER BY r."position"`;
}

/** Counts per (type, status read now) of the rows matching a search, stopping after `cap` rows. */
export function buildMatrixQuery(organizationId: string, q: string, cap: number | null, now: Date = new Date()): Prisma.Sql {
  const where = buildWhere(organizationId, { q, type: [], status: [] }, { now });
  // OFFSET 0 keeps the sub-select from being flattened: grouped as a computed expression, the status gets a
  // row-count estimate of distinct values, and a sort instead of a hash (twice the time at 100k rows).
  const limit = cap === null ? Prisma.sql`OFFSET 0` : Prisma.sql`LIMIT ${cap}`;
  return Prisma.sql`
    SELECT m."type"::text AS "type", m."status" AS "status", count(*)::int AS "n"
    FROM (SELECT c."type", ${tableStatusSql(organizationId, now)} AS "status" FROM "Credential" c WHERE ${where} ${limit}) AS m
    GROUP BY 1, 2`;
}

/** How many rows match every filter, stopping after `cap` rows. */
export function buildCappedCountQuery(organizationId: string, state: TableState, cap: number, now: Date = new Date()): Prisma.Sql {
  return Prisma.sql`
    SELECT count(*)::int AS "n"
    FROM (SELECT 1 FROM "Credential" c WHERE ${buildWhere(organizationId, state, { now })} LIMIT ${cap}) AS m`;
}

type SearchRow = { [K in keyof CredentialRow]: CredentialRow[K] | null } & {
  matrix: MatrixRow[] | string;
  matched: number;
  position: bigint | number | null;
};

function toCredentialRow(r: SearchRow): CredentialRow {
  return {
    id: r.id!,
    name: r.name!,
    service: r.service!,
    type: r.type!,
    status: r.status!,
    statusReason: r.statusReason,
    lastUsedAt: r.lastUsedAt,
    expiresAt: r.expiresAt,
    createdAt: r.createdAt!,
    createdByName: r.createdByName,
  };
}

type Matrix = Map<string, number>; // key `${type}/${status}`

interface MatrixRow {
  type: CredentialTypeValue;
  status: CredentialStatusValue;
  n: number;
}

function toMatrix(rows: MatrixRow[]): { matrix: Matrix; sum: number } {
  const matrix: Matrix = new Map();
  let sum = 0;
  for (const r of rows) {
    matrix.set(`${r.type}/${r.status}`, r.n);
    sum += r.n;
  }
  return { matrix, sum };
}

function cell(matrix: Matrix, type: string, status: string): number {
  return matrix.get(`${type}/${status}`) ?? 0;
}

/** Chip counts and the filtered total from a (type × status) matrix. */
export function countsFromMatrix(matrix: Matrix, state: Pick<TableState, 'type' | 'status'>) {
  const types: readonly string[] = state.type.length > 0 ? state.type : CREDENTIAL_TYPES;
  const statuses: readonly string[] = state.status.length > 0 ? state.status : CREDENTIAL_STATUSES;
  const byType = Object.fromEntries(
    CREDENTIAL_TYPES.map((t) => [t, statuses.reduce((n: number, s) => n + cell(matrix, t, s), 0)]),
  ) as Record<CredentialTypeValue, number>;
  const byStatus = Object.fromEntries(
    CREDENTIAL_STATUSES.map((s) => [s, types.reduce((n: number, t) => n + cell(matrix, t, s), 0)]),
  ) as Record<CredentialStatusValue, number>;
  let total = 0;
  for (const t of types) for (const s of statuses) total += cell(matrix, t, s);
  return { byType, byStatus, total };
}

// Per-process cache of each organization's unfiltered matrix: the chips and summary cost one grouped
// query per organization every few seconds, not one per keystroke. Bounded so many tenants cannot grow it.
const organizationMatrixCache = new LRUCache<string, Matrix>({ max: 1_000, ttl: COUNTS_TTL_MS });

/** Forget an organization's cached counts (call after creating, deleting or changing the status of credentials). */
export function invalidateCredentialCounts(organizationId: string): void {
  organizationMatrixCache.delete(organizationId);
}

type Db = Pick<PrismaClient, '$queryRaw'>;

async function organizationMatrix(db: Db, organizationId: string, now: Date): Promise<Matrix> {
  const cached = organizationMatrixCache.get(organizationId);
  if (cached) return cached;
  const rows = await db.$queryRaw<MatrixRow[]>(buildMatrixQuery(organizationId, '', null, now));
  const { matrix } = toMatrix(rows);
  organizationMatrixCache.set(organizationId, matrix);
  return matrix;
}

/**
 * The page's rows. Descending sorts on a nullable column read the dated rows first and the NULL rows
 * after them, as two index walks, because PostgreSQL cannot walk an ascending index backwards with
 * NULLS LAST. The split is exact: the NULL part's offset comes from what the dated part returned, or
 * from a count only when the page lies entirely among the NULL rows.
 */
async function fetchRows(db: Db, organizationId: string, state: TableState, now: Date): Promise<CredentialRow[]> {
  const offset = (state.page - 1) * state.size;
  const { key, descending } = parseSort(state.sort);
  if (!descending || (key !== 'lastUsed' && key !== 'expires')) {
    return db.$queryRaw<CredentialRow[]>(
      buildRowsQuery(organizationId, state, { offset, limit: state.size }, now),
    );
  }
  const column = NULLABLE_SORT_COLUMNS[key];
  const dated = await db.$queryRaw<CredentialRow[]>(
    buildRowsQuery(organizationId, state, { offset, limit: state.size, nulls: { column, part: 'dated' } }, now),
  );
  if (dated.length === state.size) return dated;
  let nullOffset = 0;
  if (dated.length === 0) {
    const [row] = await db.$queryRaw<{ n: number }[]>(buildDatedCountQuery(organizationId, state, column, now));
    nullOffset = Math.max(0, offset - (row?.n ?? 0));
  }
  const nulls = await db.$queryRaw<CredentialRow[]>(
    buildRowsQuery(
      organizationId,
      state,
      { offset: nullOffset, limit: state.size - dated.length, nulls: { column, part: 'null' } },
      now,
    ),
  );
  return [...dated, ...nulls];
}

/**
 * What the credentials page's loader calls. The organization comes from the signed-in membership;
 * a state from parseTableState.
 */
export async function listCredentials(
  organizationId: string,
  state: TableState,
  db: Db = defaultPrisma,
  now: Date = new Date(),
): Promise<CredentialListResult> {
  const orgMatrixPromise = organizationMatrix(db, organizationId, now);
  // Awaited below; this only keeps an early failure from being reported as unhandled meanwhile.
  orgMatrixPromise.catch(() => {});

  let rows: CredentialRow[];
  let total: number;
  let totalExact = true;
  let counts: CredentialListResult['counts'];
  let countsExact = true;

  if (!state.q) {
    const rowsPromise = fetchRows(db, organizationId, state, now);
    rowsPromise.catch(() => {});
    const derived = countsFromMatrix(await orgMatrixPromise, state);
    total = derived.total;
    counts = { byType: derived.byType, byStatus: derived.byStatus };
    rows = await rowsPromise;
  } else {
    // A search looks at most SEARCH_COUNT_CAP matches (+1 to know there are more): cheap on every keystroke.
    const result = await db.$queryRaw<SearchRow[]>(buildSearchQuery(organizationId, state, SEARCH_COUNT_CAP + 1, now));
    const head = result[0];
    const matrixRows: MatrixRow[] = typeof head?.matrix === 'string' ? JSON.parse(head.matrix) : (head?.matrix ?? []);
    const { matrix, sum } = toMatrix(matrixRows);
    const derived = countsFromMatrix(matrix, state);
    counts = { byType: derived.byType, byStatus: derived.byStatus };
    if (sum <= SEARCH_COUNT_CAP) {
      total = derived.total;
      rows = result.filter((r) => r.id !== null).map(toCredentialRow);
    } else {
      // Many matches: they are dense, so walking the sort index fills a page quickly.
      countsExact = false;
      const rowsPromise = fetchRows(db, organizationId, state, now);
      rowsPromise.catch(() => {});
      // The current page must stay reachable even past the cap, so count at least up to it.
      const cap = Math.max(SEARCH_COUNT_CAP, state.page * state.size) + 1;
      const [row] = await db.$queryRaw<{ n: number }[]>(buildCappedCountQuery(organizationId, state, cap, now));
      const n = row?.n ?? 0;
      totalExact = n < cap;
      total = totalExact ? n : cap - 1;
      rows = await rowsPromise;
    }
  }

  const orgMatrix = await orgMatrixPromise;
  const pageCount = Math.ceil(total / state.size);
  return {
    rows,
    total,
    totalExact,
    pageCount,
    hasNextPage: state.page < pageCount || (!totalExact && rows.length === state.size),
    counts,
    countsExact,
    summary: {
      needsAttention: countsFromMatrix(orgMatrix, { type: [], status: ['needs_attention'] }).total,
      expiring: countsFromMatrix(orgMatrix, { type: [], status: ['expiring'] }).total,
      expired: countsFromMatrix(orgMatrix, { type: [], status: ['expired'] }).total,
    },
  };
}
