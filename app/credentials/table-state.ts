// The credentials table's state as it lives in the URL (?q=&type=&status=&sort=&page=&size=), parsed leniently.
import { z } from 'zod';
import { CREDENTIAL_STATUSES, type CredentialStatusValue } from './status';

export const CREDENTIAL_TYPES = ['oauth', 'api_key', 'password', 'file'] as const;
// The status chips and ?status= filter use the one vocabulary (./status.ts), in its order.
export { CREDENTIAL_STATUSES, type CredentialStatusValue };
export const SORTS = [
  'name',
  '-name',
  'status',
  '-status',
  'lastUsed',
  '-lastUsed',
  'expires',
  '-expires',
] as const;
export const PAGE_SIZES = [25, 50, 100] as const;

export type CredentialTypeValue = (typeof CREDENTIAL_TYPES)[number];
export type TableSort = (typeof SORTS)[number];
export type PageSize = (typeof PAGE_SIZES)[number];
export type SortKey = 'name' | 'status' | 'lastUsed' | 'expires';

export interface TableState {
  /** Search term (control characters as spaces, trimmed, at most MAX_QUERY_LENGTH characters); '' means no search. */
  q: string;
  type: CredentialTypeValue[];
  status: CredentialStatusValue[];
  sort: TableSort;
  page: number;
  size: PageSize;
}

export const MAX_QUERY_LENGTH = 100;
/** Far beyond any real table (100 rows × 1,000,000 pages); keeps OFFSET arithmetic well inside int range. */
export const MAX_PAGE = 1_000_000;

export const DEFAULT_TABLE_STATE: Readonly<TableState> = Object.freeze({
  q: '',
  type: [],
  status: [],
  sort: 'name',
  page: 1,
  size: 50,
});

/** C0 and C1 control characters and DEL. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]+/g;

// Each field falls back to its default on bad input instead of failing the whole parse:
// a hand-edited or stale link should still show the table.
const qSchema = z
  .string()
  // Control characters (NUL, which PostgreSQL cannot compare, tabs, newlines from a paste) match no name: spaces instead.
  .transform((s) => s.replace(CONTROL_CHARACTERS, ' ').trim().slice(0, MAX_QUERY_LENGTH))
  .catch(DEFAULT_TABLE_STATE.q);

const sortSchema = z.enum(SORTS).catch(DEFAULT_TABLE_STATE.sort);

const pageSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(MAX_PAGE)
  .catch(DEFAULT_TABLE_STATE.page);

const sizeSchema = z.coerce
  .number()
  .pipe(z.union([z.literal(25), z.literal(50), z.literal(100)]))
  .catch(DEFAULT_TABLE_STATE.size);

/** Accepts repeated params (?type=a&type=b) and comma lists (?type=a,b); drops unknown values and duplicates. */
function listSchema<const T extends readonly [string, ...string[]]>(values: T) {
  const allowed = new Set<string>(values);
  return z
    .array(z.string())
    .transform((raw) => {
      const picked = new Set<string>();
      for (const entry of raw) {
        for (const part of entry.split(',')) {
          const value = part.trim();
          if (allowed.has(value)) picked.add(value);
        }
      }
      // Canonical order (the declaration order) so equal filters give equal URLs and cache keys.
      return values.filter((v) => picked.has(v)) as T[number][];
    })
    .catch([]);
}

export const tableStateSchema = z.object({
  q: qSchema,
  type: listSchema(CREDENTIAL_TYPES),
  status: listSchema(CREDENTIAL_STATUSES),
  sort: sortSchema,
  page: pageSchema,
  size: sizeSchema,
});

type SearchParamsInput = URLSearchParams | string | Record<string, string | string[] | undefined>;

function toURLSearchParams(input: SearchParamsInput): URLSearchParams {
  if (input instanceof URLSearchParams) return input;
  if (typeof input === 'string') return new URLSearchParams(input);
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  return params;
}

/** Parses URL search params into a table state. Never throws: anything invalid falls back to its default. */
export function parseTableState(input: SearchParamsInput): TableState {
  const params = toURLSearchParams(input);
  const single = (key: string) => params.get(key) ?? undefined;
  return tableStateSchema.parse({
    q: single('q'),
    type: params.getAll('type'),
    status: params.getAll('status'),
    sort: single('sort'),
    page: single('page'),
    size: single('size'),
  });
}

/** The URL params for a state, omitting defaults so the plain table has a clean URL. */
export function toSearchParams(state: Partial<TableState>): URLSearchParams {
  const full = { ...DEFAULT_TABLE_STATE, ...state };
  const params = new URLSearchParams();
  if (full.q) params.set('q', full.q);
  for (const t of full.type) params.append('type', t);
  for (const s of full.status) params.append('status', s);
  if (full.sort !== DEFAULT_TABLE_STATE.sort) params.set('sort', full.sort);
  if (full.page !== DEFAULT_TABLE_STATE.page) params.set('page', String(full.page));
  if (full.size !== DEFAULT_TABLE_STATE.size) params.set('size', String(full.size));
  return params;
}

/** Splits a sort into its column and direction ('-lastUsed' → lastUsed, descending). */
export function parseSort(sort: TableSort): { key: SortKey; descending: boolean } {
  const descending = sort.startsWith('-');
  return { key: (descending ? sort.slice(1) : sort) as SortKey, descending };
}
