import crypto from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '~/db.server';
import type { CredentialStatus, CredentialType } from '~/generated/prisma/client';
import { unique } from '../../test/db';
import {
  buildRowsQuery,
  escapeLike,
  invalidateCredentialCounts,
  listCredentials,
  SEARCH_COUNT_CAP,
} from './query.server';
import { statusNow } from './status';
import { DEFAULT_TABLE_STATE, type TableState } from './table-state';

const state = (overrides: Partial<TableState> = {}): TableState => ({ ...DEFAULT_TABLE_STATE, ...overrides });

interface Seed {
  name: string;
  service?: string;
  type?: CredentialType;
  status?: CredentialStatus;
  statusReason?: string | null;
  statusCause?: string | null;
  lastUsedAt?: Date | null;
  expiresAt?: Date | null;
  createdById?: string | null;
}

async function createOrg() {
  const slug = unique('tbl');
  return prisma.organization.create({ data: { slug, name: slug } });
}

async function insert(organizationId: string, seeds: Seed[]) {
  const rows = seeds.map((s) => ({
    id: crypto.randomUUID(),
    organizationId,
    name: s.name,
    service: s.service ?? 'custom',
    type: s.type ?? 'api_key',
    status: s.status ?? 'active',
    statusReason: s.statusReason ?? null,
    statusCause: s.statusCause ?? null,
    lastUsedAt: s.lastUsedAt ?? null,
    expiresAt: s.expiresAt ?? null,
    createdById: s.createdById ?? null,
  }));
  await prisma.credential.createMany({ data: rows });
  invalidateCredentialCounts(organizationId);
  return rows;
}

const names = (result: { rows: { name: string }[] }) => result.rows.map((r) => r.name).sort();
const DAY = 24 * 60 * 60_000;

describe('listCredentials: filters, search and counts', () => {
  let orgId: string;
  let otherOrgId: string;
  let creatorName: string;

  beforeAll(async () => {
    const creator = await prisma.user.create({
      data: { email: `${unique('creator')}@example.test`, name: 'Ada Creator', passwordHash: 'x' },
    });
    creatorName = creator.name;
    orgId = (await createOrg()).id;
    otherOrgId = (await createOrg()).id;
    await insert(orgId, [
      { name: 'Mixed-CASE-Name', service: 'openai', type: 'api_key', createdById: creator.id },
      { name: 'ci:deploy', service: 'github', type: 'oauth', status: 'disconnected', statusReason: 'Disconnected: revoked' },
      { name: 'ci:release', service: 'github', type: 'oauth', status: 'needs_attention', statusReason: 'Reconnect required: token revoked' },
      { name: 'db-login', service: 'postgresql', type: 'password', status: 'expired', statusReason: 'Expired' },
      { name: 'gcp-sa', service: 'gcp', type: 'file', status: 'expiring', statusCause: 'expiring_soon', expiresAt: new Date(Date.now() + 3 * DAY) },
      { name: 'percent-100%-ready', service: 'stripe' },
      { name: 'percent-100x-ready', service: 'stripe' },
      { name: 'under_score', service: 'stripe' },
      { name: 'underXscore', service: 'stripe' },
      { name: 'back\\slash', service: 'stripe' },
      { name: 'backXslash', service: 'stripe' },
    ]);
    await insert(otherOrgId, [
      { name: 'other-github-token', service: 'github', type: 'api_key', status: 'needs_attention' },
      { name: 'Mixed-CASE-Name', service: 'openai', type: 'api_key', status: 'expired' },
    ]);
  });

  it('returns the columns of the table and nothing secret', async () => {
    const result = await listCredentials(orgId, state({ q: 'mixed' }));
    expect(result.rows).toHaveLength(1);
    expect(Object.keys(result.rows[0]!).sort()).toEqual(
      ['createdAt', 'createdByName', 'expiresAt', 'id', 'lastUsedAt', 'name', 'service', 'status', 'statusReason', 'type'].sort(),
    );
    expect(result.rows[0]).toMatchObject({ type: 'api_key', status: 'active', createdByName: creatorName });
    expect(result.rows[0]!.createdAt).toBeInstanceOf(Date);
  });

  it('filters by one type', async () => {
    expect(names(await listCredentials(orgId, state({ type: ['oauth'] })))).toEqual(['ci:deploy', 'ci:release']);
  });

  it('filters by several types and statuses at once', async () => {
    const result = await listCredentials(orgId, state({ type: ['oauth', 'file'], status: ['needs_attention', 'expiring'] }));
    expect(names(result)).toEqual(['ci:release', 'gcp-sa']);
    expect(result.total).toBe(2);
  });

  it('filters by status', async () => {
    expect(names(await listCredentials(orgId, state({ status: ['expired', 'disconnected'] })))).toEqual(['ci:deploy', 'db-login']);
  });

  it('searches names case-insensitively', async () => {
    expect(names(await listCredentials(orgId, state({ q: 'mIxEd-case' })))).toEqual(['Mixed-CASE-Name']);
  });

  it('searches services case-insensitively', async () => {
    expect(names(await listCredentials(orgId, state({ q: 'GITHUB' })))).toEqual(['ci:deploy', 'ci:release']);
  });

  it('searches the service’s display name: "Google" finds a Google Cloud service-account file', async () => {
    expect(names(await listCredentials(orgId, state({ q: 'Google' })))).toEqual(['gcp-sa']);
    expect(names(await listCredentials(orgId, state({ q: 'service ACCOUNT' })))).toEqual(['gcp-sa']);
  });

  it('matches % in the search term literally', async () => {
    expect(names(await listCredentials(orgId, state({ q: '100%' })))).toEqual(['percent-100%-ready']);
  });

  it('matches _ in the search term literally', async () => {
    expect(names(await listCredentials(orgId, state({ q: 'under_' })))).toEqual(['under_score']);
  });

  it('matches a backslash in the search term literally', async () => {
    expect(names(await listCredentials(orgId, state({ q: 'k\\s' })))).toEqual(['back\\slash']);
  });

  it('treats SQL in the search term as text: no rows, nothing dropped', async () => {
    for (const q of [`'; DROP TABLE "Credential"; --`, `' OR '1'='1`, `%' OR 1=1 --`, `\\'; SELECT pg_sleep(1); --`]) {
      const result = await listCredentials(orgId, state({ q }));
      expect(result.rows).toEqual([]);
      expect(result.total).toBe(0);
    }
    expect(await prisma.credential.count({ where: { organizationId: orgId } })).toBe(11);
  });

  it('never shows another organization’s credentials', async () => {
    const all = await listCredentials(orgId, state({ size: 100 }));
    expect(all.total).toBe(11);
    expect(names(all)).not.toContain('other-github-token');
    const other = await listCredentials(otherOrgId, state({ q: 'mixed' }));
    expect(other.rows.map((r) => r.status)).toEqual(['expired']);
    expect((await listCredentials(orgId, state({ q: 'other-github' }))).rows).toEqual([]);
  });

  it('counts chips and the summary for the whole organization', async () => {
    const result = await listCredentials(orgId, state());
    expect(result.counts.byType).toEqual({ oauth: 2, api_key: 7, password: 1, file: 1 });
    expect(result.counts.byStatus).toEqual({ active: 7, expiring: 1, expired: 1, needs_attention: 1, disconnected: 1 });
    expect(result.summary).toEqual({ needsAttention: 1, expiring: 1, expired: 1 });
    expect(result.countsExact).toBe(true);
    expect(result.totalExact).toBe(true);
  });

  it('faceted chip counts: type chips honour the status filter and the search, status chips the type filter', async () => {
    const result = await listCredentials(orgId, state({ q: 'ci:', status: ['needs_attention'], type: ['oauth'] }));
    expect(result.total).toBe(1);
    expect(result.counts.byType).toEqual({ oauth: 1, api_key: 0, password: 0, file: 0 });
    expect(result.counts.byStatus).toEqual({ active: 0, expiring: 0, expired: 0, needs_attention: 1, disconnected: 1 });
    // The summary is about the whole organization, not the filtered view.
    expect(result.summary).toEqual({ needsAttention: 1, expiring: 1, expired: 1 });
  });

  it('reads statuses at request time: a key past its expiry is expired, one inside the window expiring, before any sweep', async () => {
    const org = await createOrg();
    await insert(org.id, [
      { name: 'past', expiresAt: new Date(Date.now() - 60_000) },
      { name: 'soon', expiresAt: new Date(Date.now() + 2 * DAY) },
      { name: 'later', expiresAt: new Date(Date.now() + 30 * DAY) },
      { name: 'legacy', status: 'needs_attention', statusReason: 'Expires in 2 days', expiresAt: new Date(Date.now() + 2 * DAY) },
      { name: 'rejected', status: 'needs_attention', statusReason: 'OpenAI answered 401', statusCause: 'rejected', expiresAt: new Date(Date.now() + 2 * DAY) },
    ]);
    const all = await listCredentials(org.id, state());
    expect(Object.fromEntries(all.rows.map((r) => [r.name, r.status]))).toEqual({
      past: 'expired',
      soon: 'expiring',
      later: 'active',
      legacy: 'expiring',
      rejected: 'needs_attention',
    });
    // A reason written for another status is not shown under the one read now.
    expect(all.rows.find((r) => r.name === 'legacy')!.statusReason).toBeNull();
    expect(all.rows.find((r) => r.name === 'rejected')!.statusReason).toBe('OpenAI answered 401');
    expect(all.counts.byStatus).toEqual({ active: 1, expiring: 2, expired: 1, needs_attention: 1, disconnected: 0 });
    expect(all.summary).toEqual({ needsAttention: 1, expiring: 2, expired: 1 });
    expect(names(await listCredentials(org.id, state({ status: ['expired'] })))).toEqual(['past']);
    expect(names(await listCredentials(org.id, state({ status: ['expiring'] })))).toEqual(['legacy', 'soon']);
    expect(names(await listCredentials(org.id, state({ q: 'e', status: ['expiring'] })))).toEqual(['legacy']);
    expect((await listCredentials(org.id, state({ q: 'past' }))).counts.byStatus).toMatchObject({ expiring: 0, expired: 1 });
  });

  it('an OAuth credential stored active past its expiry is never shown active', async () => {
    const org = await createOrg();
    const [stale] = await insert(org.id, [
      { name: 'oauth-stale', type: 'oauth', expiresAt: new Date(Date.now() - 60_000) },
      { name: 'oauth-fresh', type: 'oauth', expiresAt: new Date(Date.now() + 60_000) },
      { name: 'oauth-final', type: 'oauth', expiresAt: new Date(Date.now() - 60_000) },
    ]);
    await prisma.credentialSecret.create({ data: { credentialId: stale!.id, field: 'refresh_token', ciphertext: new Uint8Array([1]), keyVersion: 1 } });
    const rows = (await listCredentials(org.id, state())).rows;
    expect(Object.fromEntries(rows.map((r) => [r.name, r.status]))).toEqual({
      'oauth-stale': 'needs_attention',
      'oauth-fresh': 'active',
      'oauth-final': 'expired',
    });
    expect((await listCredentials(org.id, state({ status: ['active'] }))).rows.map((r) => r.name)).toEqual(['oauth-fresh']);
  });

  it('shows a new credential in the counts as soon as its writer invalidates them', async () => {
    const org = await createOrg();
    await insert(org.id, [{ name: 'one', status: 'expired' }]);
    expect((await listCredentials(org.id, state())).summary.expired).toBe(1);
    await prisma.credential.create({ data: { organizationId: org.id, name: 'two', service: 'custom', type: 'api_key', status: 'expired' } });
    invalidateCredentialCounts(org.id);
    const result = await listCredentials(org.id, state());
    expect(result.summary.expired).toBe(2);
    expect(result.total).toBe(2);
  });
});

describe('listCredentials: sorting and paging', () => {
  let orgId: string;
  const SAME_TIME = new Date('2026-01-01T00:00:00.000Z');
  let seeded: { id: string; name: string; type: CredentialType; lastUsedAt: Date | null; status: CredentialStatus; statusReason: string | null; expiresAt: Date | null }[];

  beforeAll(async () => {
    orgId = (await createOrg()).id;
    // 130 rows: 90 share one lastUsedAt (ties), 40 were never used; statuses and expiries repeat too.
    const statuses: CredentialStatus[] = ['active', 'expiring', 'expired', 'needs_attention', 'disconnected'];
    seeded = await insert(
      orgId,
      Array.from({ length: 130 }, (_, i) => ({
        name: `cred-${String((i * 37) % 130).padStart(3, '0')}`,
        lastUsedAt: i < 90 ? SAME_TIME : null,
        status: statuses[i % 5],
        expiresAt: i % 3 === 0 ? null : SAME_TIME,
      })),
    );
  });

  async function allPages(sort: TableState['sort'], size: TableState['size'], q = '') {
    const first = await listCredentials(orgId, state({ sort, size, q }));
    const ids: string[] = [...first.rows.map((r) => r.id)];
    for (let page = 2; page <= first.pageCount; page++) {
      ids.push(...(await listCredentials(orgId, state({ sort, size, page, q }))).rows.map((r) => r.id));
    }
    return { first, ids };
  }

  it.each(['name', '-status', 'lastUsed', '-lastUsed', '-expires'] as const)(
    'a search pages in exactly the same order as the unsearched table (sort %s)',
    async (sort) => {
      const searched = await allPages(sort, 25, 'CRED-');
      expect(searched.first.total).toBe(130);
      expect(searched.ids).toEqual((await allPages(sort, 25)).ids);
    },
  );

  it('a searched page beyond the end has no rows but the right total', async () => {
    const beyond = await listCredentials(orgId, state({ q: 'cred', size: 25, page: 9 }));
    expect(beyond.rows).toEqual([]);
    expect(beyond.total).toBe(130);
    expect(beyond.pageCount).toBe(6);
  });

  it.each(['name', '-name', 'status', '-status', 'lastUsed', '-lastUsed', 'expires', '-expires'] as const)(
    'pages through ties without repeating or skipping a row (sort %s)',
    async (sort) => {
      const { first, ids } = await allPages(sort, 25);
      expect(first.total).toBe(130);
      expect(first.pageCount).toBe(6);
      expect(ids).toHaveLength(130);
      expect(new Set(ids).size).toBe(130);
      expect(new Set(ids)).toEqual(new Set(seeded.map((r) => r.id)));
    },
  );

  it('orders ties by id and keeps never-used credentials last in both directions', async () => {
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const dated = seeded.filter((r) => r.lastUsedAt).sort(byId);
    const never = seeded.filter((r) => !r.lastUsedAt).sort(byId);
    expect((await allPages('lastUsed', 25)).ids).toEqual([...dated, ...never].map((r) => r.id));
    expect((await allPages('-lastUsed', 25)).ids).toEqual([...dated.reverse(), ...never.reverse()].map((r) => r.id));
  });

  it('sorts by name (and by the status read now, mildest first, then name) like the column says', async () => {
    const byName = [...seeded].sort((a, b) => (a.name < b.name ? -1 : 1));
    expect((await allPages('name', 50)).ids).toEqual(byName.map((r) => r.id));
    const rank = { active: 0, expiring: 1, expired: 2, needs_attention: 3, disconnected: 4 };
    const now = new Date();
    const shown = (r: (typeof seeded)[number]) => statusNow(r, { now, warningWindowDays: 7 }).status;
    const byStatus = [...byName].sort((a, b) => rank[shown(a)] - rank[shown(b)]);
    expect((await allPages('status', 50)).ids).toEqual(byStatus.map((r) => r.id));
    expect((await allPages('-status', 50)).ids).toEqual([...byStatus].reverse().map((r) => r.id));
  });

  it('a page that straddles the dated and never-used rows, and one among the never-used only, are exact', async () => {
    const whole = (await listCredentials(orgId, state({ sort: '-lastUsed', size: 100, page: 1 }))).rows.map((r) => r.id);
    const rest = (await listCredentials(orgId, state({ sort: '-lastUsed', size: 100, page: 2 }))).rows.map((r) => r.id);
    const expected = [...whole, ...rest];
    const page4 = await listCredentials(orgId, state({ sort: '-lastUsed', size: 25, page: 4 }));
    expect(page4.rows.map((r) => r.id)).toEqual(expected.slice(75, 100));
    expect(page4.rows.filter((r) => r.lastUsedAt === null)).toHaveLength(10);
    const page5 = await listCredentials(orgId, state({ sort: '-lastUsed', size: 25, page: 5 }));
    expect(page5.rows.map((r) => r.id)).toEqual(expected.slice(100, 125));
  });

  it('the last page is partial', async () => {
    const last = await listCredentials(orgId, state({ size: 25, page: 6 }));
    expect(last.rows).toHaveLength(5);
    expect(last.hasNextPage).toBe(false);
  });

  it('a page beyond the end has no rows but the right total and page count', async () => {
    for (const sort of ['name', '-lastUsed'] as const) {
      const beyond = await listCredentials(orgId, state({ sort, size: 25, page: 40 }));
      expect(beyond.rows).toEqual([]);
      expect(beyond.total).toBe(130);
      expect(beyond.pageCount).toBe(6);
    }
  });

  it('page sizes 25, 50 and 100 give the matching page counts', async () => {
    for (const [size, pages] of [[25, 6], [50, 3], [100, 2]] as const) {
      const result = await listCredentials(orgId, state({ size }));
      expect(result.rows).toHaveLength(Math.min(size, 130));
      expect(result.pageCount).toBe(pages);
    }
  });
});

describe('listCredentials: a search matching more than the count cap', () => {
  it(`says "${SEARCH_COUNT_CAP.toLocaleString('en')}+" and keeps the next page reachable`, async () => {
    const orgId = (await createOrg()).id;
    const n = SEARCH_COUNT_CAP + 200;
    await prisma.$executeRaw`
      INSERT INTO "Credential" ("id", "organizationId", "name", "service", "type", "updatedAt")
      SELECT gen_random_uuid(), ${orgId}::uuid, 'bulk-' || g, 'custom', 'api_key', now()
      FROM generate_series(1, ${n}) AS g`;
    invalidateCredentialCounts(orgId);
    const first = await listCredentials(orgId, state({ q: 'bulk' }));
    expect(first.totalExact).toBe(false);
    expect(first.countsExact).toBe(false);
    expect(first.total).toBe(SEARCH_COUNT_CAP);
    expect(first.hasNextPage).toBe(true);
    expect(first.rows).toHaveLength(50);
    // Past the cap the count stretches to the current page, so it stays navigable.
    const deep = await listCredentials(orgId, state({ q: 'bulk', page: 203 }));
    expect(deep.rows).toHaveLength(50);
    expect(deep.hasNextPage).toBe(true);
    const end = await listCredentials(orgId, state({ q: 'bulk', page: 205 }));
    expect(end.rows).toHaveLength(0);
    expect(end.totalExact).toBe(true);
    expect(end.total).toBe(n);
    // Without a search the total is exact from the grouped counts.
    expect((await listCredentials(orgId, state())).total).toBe(n);
  });
});

describe('the query builder', () => {
  const org = '00000000-0000-4000-8000-000000000001';

  it('escapes LIKE wildcards and the escape character', () => {
    expect(escapeLike('100%_a\\b')).toBe('100\\%\\_a\\\\b');
  });

  it('binds the search term, filters and organization as parameters, never as SQL text', () => {
    const q = `'; DROP TABLE "Credential"; --`;
    const query = buildRowsQuery(org, state({ q, type: ['oauth'], status: ['expired'], page: 3, size: 25 }));
    expect(query.sql).not.toContain('DROP');
    expect(query.sql).not.toContain(org);
    expect(query.text).toContain(`ILIKE $`);
    expect(query.sql).toContain(`ESCAPE '\\'`);
    expect(query.values).toEqual(expect.arrayContaining([org, ['oauth'], ['expired'], `%${q}%`, 25, 50]));
  });

  it.each([
    ['name', 'c."name" ASC, c."id" ASC'],
    ['-name', 'c."name" DESC, c."id" DESC'],
    ['status', `array_position(ARRAY['active', 'expiring', 'expired', 'needs_attention', 'disconnected']::text[], (CASE`],
    ['lastUsed', 'c."lastUsedAt" ASC NULLS LAST, c."id" ASC'],
    ['-expires', 'c."expiresAt" DESC NULLS LAST, c."id" DESC'],
  ] as const)('orders %s with the id as the final tiebreaker', (sort, orderBy) => {
    expect(buildRowsQuery(org, state({ sort })).sql).toContain(`ORDER BY ${orderBy}`);
  });
});
