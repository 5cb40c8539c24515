// The credentials table: TanStack Table v9 with server-side sorting and paging; every control is a link into the URL state.
import { Link, useNavigate } from '@remix-run/react';
import {
  createColumnHelper,
  rowPaginationFeature,
  rowSortingFeature,
  tableFeatures,
  useTable,
  type SortingState,
} from '@tanstack/react-table';
import { ArrowDown, ArrowUp, ArrowUpDown, ChevronLeft, ChevronRight } from 'lucide-react';
import { useMemo } from 'react';
import { ServiceLogo } from '~/components/ServiceLogo';
import {
  PAGE_SIZES,
  parseSort,
  type CredentialStatusValue,
  type CredentialTypeValue,
  type SortKey,
  type TableState,
} from '~/credentials/table-state';
import { cn } from '~/utils/misc';
import { serviceName, TYPE_LABELS } from './labels';
import { LastUsed } from '~/usage/last-used';
import { RelativeTime } from './relative-time';
import { StatusBadge } from './status-badge';
import { nextSort, tableHref } from './table-links';
import { Tooltip } from './tooltip';

/** A row as the loader sends it (dates may arrive as strings when serialised). */
export interface CredentialTableRow {
  id: string;
  name: string;
  service: string;
  type: CredentialTypeValue;
  /** The status read now (the server's statusNow), with the stored reason while it still applies. */
  status: CredentialStatusValue;
  statusReason: string | null;
  lastUsedAt: Date | string | null;
  expiresAt: Date | string | null;
  createdAt: Date | string;
  createdByName: string | null;
}

interface ColumnLook {
  /** The sort key of a sortable column (the same as the URL's sort value). */
  sortKey?: SortKey;
  /** Width and responsive visibility, applied to the header and every cell of the column. */
  className: string;
  label: string;
}

const features = tableFeatures({ rowSortingFeature, rowPaginationFeature });
const helper = createColumnHelper<typeof features, CredentialTableRow>();

// Phones keep the name and status; the other columns appear as the screen widens.
const LOOK: Record<string, ColumnLook> = {
  name: { sortKey: 'name', className: 'w-auto', label: 'Name' },
  type: { className: 'hidden w-28 sm:table-cell', label: 'Type' },
  status: { sortKey: 'status', className: 'w-40', label: 'Status' },
  lastUsed: { sortKey: 'lastUsed', className: 'hidden w-44 md:table-cell', label: 'Last used' },
  expires: { sortKey: 'expires', className: 'hidden w-32 lg:table-cell', label: 'Expires' },
  createdBy: { className: 'hidden w-40 xl:table-cell', label: 'Created by' },
};

function SortHeader({ state, look, sorted }: { state: TableState; look: ColumnLook; sorted: false | 'asc' | 'desc' }) {
  const Icon = sorted === 'asc' ? ArrowUp : sorted === 'desc' ? ArrowDown : ArrowUpDown;
  return (
    <Link
      to={tableHref(state, { sort: nextSort(state, look.sortKey!), page: 1 })}
      preventScrollReset
      className={cn(
        'group -mx-1.5 inline-flex items-center gap-1 rounded px-1.5 py-0.5 hover:bg-slate-100 hover:text-slate-900',
        'focus-visible:outline-2 focus-visible:outline-indigo-600',
        sorted && 'text-slate-900',
      )}
    >
      {look.label}
      <Icon className={cn('size-3.5', sorted ? 'text-indigo-600' : 'text-slate-400 group-hover:text-slate-500')} aria-hidden />
      <span className="sr-only">
        {sorted ? `, sorted ${sorted === 'asc' ? 'ascending' : 'descending'}` : ''}, click to sort
      </span>
    </Link>
  );
}

function useColumns(slug: string, now: Date | string) {
  return useMemo(
    () =>
      helper.columns([
        helper.accessor('name', {
          id: 'name',
          header: 'Name',
          cell: ({ row }) => {
            const r = row.original;
            const service = serviceName(r.service);
            return (
              <div className="flex min-w-0 items-center gap-2.5 sm:gap-3">
                <span className="flex size-8 shrink-0 items-center justify-center rounded-md border border-slate-200 bg-white">
                  <ServiceLogo service={r.service} name={service} size={18} />
                </span>
                <div className="min-w-0">
                  <Tooltip content={r.name}>
                    <Link
                      to={`/orgs/${slug}/credentials/${r.id}`}
                      data-row-link
                      className="block truncate rounded-sm font-medium text-slate-900 hover:text-indigo-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
                    >
                      {r.name}
                    </Link>
                  </Tooltip>
                  <p className="truncate text-xs text-slate-500" title={service}>
                    {service}
                    <span className="sm:hidden"> · {TYPE_LABELS[r.type]}</span>
                  </p>
                </div>
              </div>
            );
          },
        }),
        helper.accessor('type', {
          id: 'type',
          header: 'Type',
          cell: ({ row }) => <span className="text-slate-700">{TYPE_LABELS[row.original.type]}</span>,
        }),
        helper.accessor('status', {
          id: 'status',
          header: 'Status',
          cell: ({ row }) => (
            <StatusBadge status={row.original.status} reason={row.original.statusReason} expiresAt={row.original.expiresAt} now={now} />
          ),
        }),
        helper.accessor('lastUsedAt', {
          id: 'lastUsed',
          header: 'Last used',
          cell: ({ row }) => <LastUsed at={row.original.lastUsedAt} now={now} />,
        }),
        helper.accessor('expiresAt', {
          id: 'expires',
          header: 'Expires',
          cell: ({ row }) => <RelativeTime date={row.original.expiresAt} now={now} empty="No expiry" />,
        }),
        helper.accessor('createdByName', {
          id: 'createdBy',
          header: 'Created by',
          cell: ({ row }) =>
            row.original.createdByName ? (
              <span className="block truncate text-slate-700" title={row.original.createdByName}>
                {row.original.createdByName}
              </span>
            ) : (
              <span className="text-slate-500">Deleted user</span>
            ),
        }),
      ]),
    [slug, now],
  );
}

/** Arrow keys move between rows (their name links); Home/End jump to the first/last row. */
function onTableKeyDown(event: React.KeyboardEvent<HTMLTableSectionElement>) {
  if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(event.key)) return;
  const links = Array.from(event.currentTarget.querySelectorAll<HTMLAnchorElement>('a[data-row-link]'));
  if (links.length === 0) return;
  const current = links.findIndex((a) => a.closest('tr')?.contains(document.activeElement));
  let next = current;
  if (event.key === 'ArrowDown') next = current < 0 ? 0 : Math.min(links.length - 1, current + 1);
  if (event.key === 'ArrowUp') next = current < 0 ? 0 : Math.max(0, current - 1);
  if (event.key === 'Home') next = 0;
  if (event.key === 'End') next = links.length - 1;
  event.preventDefault();
  links[next]?.focus();
}

export interface CredentialsTableProps {
  slug: string;
  rows: CredentialTableRow[];
  state: TableState;
  total: number;
  totalExact: boolean;
  pageCount: number;
  hasNextPage: boolean;
  now: Date | string;
  loading: boolean;
}

export function CredentialsTable({ slug, rows, state, total, totalExact, pageCount, hasNextPage, now, loading }: CredentialsTableProps) {
  const navigate = useNavigate();
  const columns = useColumns(slug, now);
  const { key, descending } = parseSort(state.sort);
  const sorting = useMemo<SortingState>(() => [{ id: key, desc: descending }], [key, descending]);
  const pagination = useMemo(() => ({ pageIndex: state.page - 1, pageSize: state.size }), [state.page, state.size]);

  // The server already filtered, sorted and paged the rows: the table only lays them out.
  const table = useTable({
    features,
    columns,
    data: rows,
    getRowId: (row) => row.id,
    state: { sorting, pagination },
    manualSorting: true,
    manualPagination: true,
    rowCount: total,
    onSortingChange: () => {},
    onPaginationChange: () => {},
  });

  const first = total === 0 ? 0 : (state.page - 1) * state.size + 1;
  const last = (state.page - 1) * state.size + rows.length;

  return (
    <div className="relative overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm">
      {loading ? (
        <div aria-hidden className="pointer-events-none absolute inset-x-0 top-0 h-0.5 overflow-hidden">
          <div className="h-full w-full animate-pulse bg-indigo-500" />
        </div>
      ) : null}
      <table
        className={cn('w-full table-fixed text-left text-sm transition-opacity', loading && 'opacity-60')}
        aria-busy={loading}
        aria-label="Credentials"
        aria-describedby="credentials-range"
      >
        <thead className="border-b border-slate-200 bg-slate-50/80 text-xs font-medium text-slate-500">
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const look = LOOK[header.column.id]!;
                const sorted = header.column.getIsSorted();
                return (
                  <th
                    key={header.id}
                    scope="col"
                    aria-sort={look.sortKey ? (sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none') : undefined}
                    className={cn('px-3 py-2.5 font-medium sm:px-4', look.className)}
                  >
                    {look.sortKey ? <SortHeader state={state} look={look} sorted={sorted} /> : <table.FlexRender header={header} />}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody className="divide-y divide-slate-100" onKeyDown={onTableKeyDown}>
          {table.getRowModel().rows.map((row) => (
            <tr
              key={row.id}
              data-credential-row={row.original.name}
              className="group cursor-pointer transition-colors hover:bg-slate-50 focus-within:bg-slate-50"
              onClick={(event) => {
                // The name link and the focusable badges handle their own clicks; anywhere else opens the row.
                const target = event.target as HTMLElement;
                if (target.closest('a, button, [tabindex]')) return;
                if (window.getSelection()?.toString()) return;
                navigate(`/orgs/${slug}/credentials/${row.original.id}`);
              }}
            >
              {row.getAllCells().map((cell) => (
                <td key={cell.id} className={cn('px-3 py-3 align-middle sm:px-4', LOOK[cell.column.id]!.className)}>
                  <table.FlexRender cell={cell} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination
        state={state}
        first={first}
        last={last}
        total={total}
        totalExact={totalExact}
        pageCount={pageCount}
        hasNextPage={hasNextPage}
      />
    </div>
  );
}

const pagerLink =
  'inline-flex h-8 items-center gap-1 rounded-md px-2.5 text-xs font-medium text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600';
const pagerDisabled = 'inline-flex h-8 items-center gap-1 rounded-md px-2.5 text-xs font-medium text-slate-400 ring-1 ring-inset ring-slate-200';

function Pagination({
  state,
  first,
  last,
  total,
  totalExact,
  pageCount,
  hasNextPage,
}: {
  state: TableState;
  first: number;
  last: number;
  total: number;
  totalExact: boolean;
  pageCount: number;
  hasNextPage: boolean;
}) {
  const fmt = (n: number) => n.toLocaleString('en-US');
  return (
    <nav
      aria-label="Pagination"
      className="flex flex-col gap-3 border-t border-slate-200 px-4 py-3 text-xs text-slate-500 sm:flex-row sm:items-center sm:justify-between"
    >
      <p id="credentials-range" aria-live="polite">
        Showing <span className="font-medium text-slate-700">{fmt(first)}–{fmt(last)}</span> of{' '}
        <span className="font-medium text-slate-700">
          {fmt(total)}
          {totalExact ? '' : '+'}
        </span>
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <div className="flex items-center gap-1" role="group" aria-label="Rows per page">
          <span aria-hidden>Rows</span>
          {PAGE_SIZES.map((size) => (
            <Link
              key={size}
              to={tableHref(state, { size, page: 1 })}
              preventScrollReset
              aria-current={size === state.size ? 'true' : undefined}
              aria-label={`${size} rows per page`}
              className={cn(
                'rounded-md px-2 py-1 font-medium focus-visible:outline-2 focus-visible:outline-indigo-600',
                size === state.size ? 'bg-slate-900 text-white' : 'text-slate-600 hover:bg-slate-100',
              )}
            >
              {size}
            </Link>
          ))}
        </div>
        <div className="flex items-center gap-2">
          <span className="whitespace-nowrap">
            Page {fmt(state.page)} of {fmt(Math.max(pageCount, 1))}
            {totalExact ? '' : '+'}
          </span>
          {state.page > 1 ? (
            <Link to={tableHref(state, { page: state.page - 1 })} preventScrollReset rel="prev" className={pagerLink}>
              <ChevronLeft className="size-3.5" aria-hidden />
              Previous
            </Link>
          ) : (
            <span className={pagerDisabled} aria-disabled="true">
              <ChevronLeft className="size-3.5" aria-hidden />
              Previous
            </span>
          )}
          {hasNextPage ? (
            <Link to={tableHref(state, { page: state.page + 1 })} preventScrollReset rel="next" className={pagerLink}>
              Next
              <ChevronRight className="size-3.5" aria-hidden />
            </Link>
          ) : (
            <span className={pagerDisabled} aria-disabled="true">
              Next
              <ChevronRight className="size-3.5" aria-hidden />
            </span>
          )}
        </div>
      </div>
    </nav>
  );
}
