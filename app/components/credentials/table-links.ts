// URL helpers for the credentials table: every control is a plain link or GET form onto ?q=&type=&status=&sort=&page=&size=.
import {
  parseSort,
  toSearchParams,
  type SortKey,
  type TableSort,
  type TableState,
} from '~/credentials/table-state';

/** The query string ("?…" or "") of `state` with `change` applied. */
export function tableHref(state: TableState, change: Partial<TableState>): string {
  const params = toSearchParams({ ...state, ...change });
  const text = params.toString();
  return text ? `?${text}` : '?';
}

/** Adds or removes one value of a multi-valued filter; a filter change always goes back to page 1. */
export function toggleFilterHref<K extends 'type' | 'status'>(state: TableState, key: K, value: TableState[K][number]): string {
  const current = state[key] as string[];
  const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
  return tableHref(state, { [key]: next, page: 1 } as Partial<TableState>);
}

/** Clicking a sorted column's header flips its direction; another column starts ascending (lastUsed newest first). */
export function nextSort(state: TableState, key: SortKey): TableSort {
  const { key: currentKey, descending } = parseSort(state.sort);
  if (currentKey === key) return (descending ? key : `-${key}`) as TableSort;
  return (key === 'lastUsed' ? `-${key}` : key) as TableSort;
}

export function hasFilters(state: TableState): boolean {
  return Boolean(state.q) || state.type.length > 0 || state.status.length > 0;
}
