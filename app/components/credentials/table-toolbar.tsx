// The credentials table's controls: search as you type (a GET form), type and status chips with counts (every status, Expiring included), the summary strip.
import { Form, Link, useSubmit } from '@remix-run/react';
import { AlertTriangle, Check, Clock, Hourglass, Search, X } from 'lucide-react';
import { useEffect, useRef } from 'react';
import {
  CREDENTIAL_STATUSES,
  CREDENTIAL_TYPES,
  MAX_QUERY_LENGTH,
  type CredentialStatusValue,
  type CredentialTypeValue,
  type TableState,
} from '~/credentials/table-state';
import { cn } from '~/utils/misc';
import { STATUS_LABELS, TYPE_LABELS } from './labels';
import { hasFilters, tableHref, toggleFilterHref } from './table-links';

const SEARCH_DEBOUNCE_MS = 250;

/**
 * A GET form: without JavaScript, Enter submits it. With JavaScript each keystroke submits after a pause,
 * replacing the history entry so the back button skips the half-typed terms.
 */
export function SearchForm({ state }: { state: TableState }) {
  const submit = useSubmit();
  const formRef = useRef<HTMLFormElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>();

  // Back/forward and chip links change q underneath the input; follow them unless the person is typing.
  useEffect(() => {
    const input = inputRef.current;
    if (input && document.activeElement !== input && input.value !== state.q) input.value = state.q;
  }, [state.q]);

  useEffect(() => () => clearTimeout(timer.current), []);

  // "/" jumps to the search box, as in most dashboards.
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      const target = event.target as HTMLElement | null;
      if (event.key !== '/' || event.metaKey || event.ctrlKey || event.altKey) return;
      if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
      event.preventDefault();
      inputRef.current?.focus();
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <Form
      ref={formRef}
      method="get"
      role="search"
      aria-label="Search credentials"
      className="relative w-full sm:max-w-xs"
      onSubmit={() => clearTimeout(timer.current)}
    >
      <label htmlFor="credential-search" className="sr-only">
        Search by name or service
      </label>
      <Search className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-slate-400" aria-hidden />
      <input
        ref={inputRef}
        id="credential-search"
        type="search"
        name="q"
        defaultValue={state.q}
        maxLength={MAX_QUERY_LENGTH}
        placeholder="Search name or service…"
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => {
          const form = event.currentTarget.form;
          clearTimeout(timer.current);
          timer.current = setTimeout(() => {
            if (form) submit(form, { replace: true, preventScrollReset: true });
          }, SEARCH_DEBOUNCE_MS);
        }}
        className="block h-9 w-full rounded-lg border-0 bg-white pr-3 pl-9 text-sm text-slate-900 shadow-sm ring-1 ring-slate-300 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-600 focus:outline-none"
      />
      {state.type.map((t) => (
        <input key={t} type="hidden" name="type" value={t} />
      ))}
      {state.status.map((s) => (
        <input key={s} type="hidden" name="status" value={s} />
      ))}
      {state.sort !== 'name' ? <input type="hidden" name="sort" value={state.sort} /> : null}
      {state.size !== 50 ? <input type="hidden" name="size" value={state.size} /> : null}
    </Form>
  );
}

function Chip({ href, selected, label, count, exact }: { href: string; selected: boolean; label: string; count: number; exact: boolean }) {
  return (
    <Link
      to={href}
      preventScrollReset
      replace={false}
      aria-current={selected ? 'true' : undefined}
      className={cn(
        'inline-flex h-7 items-center gap-1.5 rounded-full px-2.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset transition-colors',
        'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600',
        selected
          ? 'bg-indigo-50 text-indigo-700 ring-indigo-300 hover:bg-indigo-100'
          : 'bg-white text-slate-700 ring-slate-300 hover:bg-slate-50',
      )}
    >
      {selected ? <Check className="size-3" aria-hidden /> : null}
      {label}
      <span className={cn('tabular-nums', selected ? 'text-indigo-500' : 'text-slate-500')}>
        {count.toLocaleString('en-US')}
        {exact ? '' : '+'}
      </span>
      <span className="sr-only">{selected ? ' credentials, filter on' : ' credentials'}</span>
    </Link>
  );
}

export function FilterChips({
  state,
  counts,
  countsExact,
}: {
  state: TableState;
  counts: { byType: Record<CredentialTypeValue, number>; byStatus: Record<CredentialStatusValue, number> };
  countsExact: boolean;
}) {
  return (
    <div className="flex flex-col gap-2 lg:flex-row lg:items-center lg:gap-4">
      <div role="group" aria-label="Filter by type" className="flex flex-wrap items-center gap-1.5">
        <span className="mr-1 text-xs font-medium text-slate-500" aria-hidden>
          Type
        </span>
        {CREDENTIAL_TYPES.map((t) => (
          <Chip
            key={t}
            href={toggleFilterHref(state, 'type', t)}
            selected={state.type.includes(t)}
            label={TYPE_LABELS[t]}
            count={counts.byType[t]}
            exact={countsExact}
          />
        ))}
      </div>
      <div role="group" aria-label="Filter by status" className="flex flex-wrap items-center gap-1.5">
        <span className="mr-1 text-xs font-medium text-slate-500" aria-hidden>
          Status
        </span>
        {CREDENTIAL_STATUSES.map((s) => (
          <Chip
            key={s}
            href={toggleFilterHref(state, 'status', s)}
            selected={state.status.includes(s)}
            label={STATUS_LABELS[s]}
            count={counts.byStatus[s]}
            exact={countsExact}
          />
        ))}
      </div>
      {hasFilters(state) ? (
        <Link
          to={tableHref(state, { q: '', type: [], status: [], page: 1 })}
          preventScrollReset
          className="inline-flex h-7 items-center gap-1 self-start rounded-md px-2 text-xs font-medium text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600 lg:self-auto"
        >
          <X className="size-3.5" aria-hidden />
          Clear filters
        </Link>
      ) : null}
    </div>
  );
}

/** Organization-wide counts of what needs a person, worst first, each a link that filters the table to it. */
export function SummaryStrip({ summary }: { summary: { needsAttention: number; expired: number; expiring: number } }) {
  const items = [
    {
      status: 'needs_attention' as const,
      count: summary.needsAttention,
      text: summary.needsAttention === 1 ? 'needs attention' : 'need attention',
      icon: AlertTriangle,
      tone: 'text-orange-900 bg-orange-100 ring-orange-300 hover:bg-orange-200/70',
    },
    {
      status: 'expired' as const,
      count: summary.expired,
      text: 'expired',
      icon: Clock,
      tone: 'text-red-700 bg-red-50 ring-red-200 hover:bg-red-100',
    },
    {
      status: 'expiring' as const,
      count: summary.expiring,
      text: summary.expiring === 1 ? 'expires soon' : 'expire soon',
      icon: Hourglass,
      tone: 'text-amber-800 bg-amber-50 ring-amber-300 hover:bg-amber-100',
    },
  ];
  if (items.every((i) => i.count === 0)) return null;
  return (
    <nav aria-label="Summary" className="flex flex-wrap gap-2">
      {items
        .filter((i) => i.count > 0)
        .map(({ status, count, text, icon: Icon, tone }) => (
          <Link
            key={status}
            to={`?status=${status}`}
            className={cn(
              'inline-flex items-center gap-2 rounded-lg px-3 py-1.5 text-sm font-medium ring-1 ring-inset focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600',
              tone,
            )}
          >
            <Icon className="size-4" aria-hidden />
            <span>
              <span className="tabular-nums">{count.toLocaleString('en-US')}</span> {text}
            </span>
          </Link>
        ))}
    </nav>
  );
}
