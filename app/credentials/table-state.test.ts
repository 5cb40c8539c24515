import { describe, expect, it } from 'vitest';
import { DEFAULT_TABLE_STATE, parseSort, parseTableState, toSearchParams } from './table-state';

describe('parseTableState', () => {
  it('gives the defaults for an empty query string', () => {
    expect(parseTableState('')).toEqual({ q: '', type: [], status: [], sort: 'name', page: 1, size: 50 });
  });

  it('reads every field of a valid URL', () => {
    const state = parseTableState('q=github&type=oauth&type=api_key&status=expired&sort=-lastUsed&page=3&size=100');
    expect(state).toEqual({
      q: 'github',
      type: ['oauth', 'api_key'],
      status: ['expired'],
      sort: '-lastUsed',
      page: 3,
      size: 100,
    });
  });

  it('accepts comma lists, drops unknown values and duplicates, and orders filters canonically', () => {
    const state = parseTableState('type=file,oauth&type=bogus&type=oauth&status=disconnected,active,nope');
    expect(state.type).toEqual(['oauth', 'file']);
    expect(state.status).toEqual(['active', 'disconnected']);
  });

  it.each([
    ['sort=bogus', { sort: 'name' }],
    ['sort=', { sort: 'name' }],
    ['page=0', { page: 1 }],
    ['page=-4', { page: 1 }],
    ['page=abc', { page: 1 }],
    ['page=2.5', { page: 1 }],
    ['page=99999999999', { page: 1 }],
    ['size=30', { size: 50 }],
    ['size=abc', { size: 50 }],
    ['size=25', { size: 25 }],
  ])('falls back field by field on invalid input (%s)', (query, expected) => {
    expect(parseTableState(query)).toEqual({ ...DEFAULT_TABLE_STATE, ...expected });
  });

  it('never throws, whatever the input', () => {
    const nasty = ["q='; DROP TABLE \"Credential\"; --", 'type[]=x', '%%%', 'page=%00', 'size=1e2', 'sort=__proto__'];
    for (const query of nasty) expect(() => parseTableState(query)).not.toThrow();
    expect(parseTableState('size=1e2').size).toBe(100);
  });

  it('trims the search term and caps its length', () => {
    expect(parseTableState('q=%20%20git%20').q).toBe('git');
    expect(parseTableState(`q=${'a'.repeat(500)}`).q).toHaveLength(100);
  });

  it('reads a plain object of params as well (Remix params / tests)', () => {
    expect(parseTableState({ type: ['oauth', 'file'], page: '2' })).toMatchObject({ type: ['oauth', 'file'], page: 2 });
  });
});

describe('toSearchParams', () => {
  it('omits every default, so the plain table has a clean URL', () => {
    expect(toSearchParams(DEFAULT_TABLE_STATE).toString()).toBe('');
  });

  it('round-trips through parseTableState', () => {
    const state = {
      q: '100% _done',
      type: ['oauth' as const, 'file' as const],
      status: ['needs_attention' as const],
      sort: '-expires' as const,
      page: 7,
      size: 25 as const,
    };
    const params = toSearchParams(state);
    expect(params.getAll('type')).toEqual(['oauth', 'file']);
    expect(parseTableState(params.toString())).toEqual(state);
  });
});

describe('parseSort', () => {
  it('splits a sort into its column and direction', () => {
    expect(parseSort('-lastUsed')).toEqual({ key: 'lastUsed', descending: true });
    expect(parseSort('name')).toEqual({ key: 'name', descending: false });
  });
});
