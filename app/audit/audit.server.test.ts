// The audit log against a real PostgreSQL: chain integrity, concurrency, tampering, filters and CSV.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unique } from '../../test/db';
import { createAuditTestDatabase, runSql, tamper } from './test-support';

type AuditModule = typeof import('./audit.server');
type Db = typeof import('../db.server');

let db: { url: string; drop(): Promise<void> };
let audit: AuditModule;
let prisma: Db['prisma'];

beforeAll(async () => {
  db = await createAuditTestDatabase();
  // This file's worker talks only to the scratch database; the Prisma client reads the URL when loaded.
  process.env.DATABASE_URL = db.url;
  audit = await import('./audit.server');
  ({ prisma } = await import('../db.server'));
});

afterAll(async () => {
  await prisma?.$disconnect();
  await db?.drop();
});

async function createOrg() {
  const slug = unique('org');
  return prisma.organization.create({ data: { slug, name: slug } });
}

const alice = { type: 'user', id: 'user-alice', label: 'alice@example.test' } as const;

function record(organizationId: string, action: string, extra: Partial<Parameters<AuditModule['recordAudit']>[1]> = {}) {
  return prisma.$transaction((tx) =>
    audit.recordAudit(tx, {
      organizationId,
      context: { actor: alice, ip: '203.0.113.7', userAgent: 'vitest' },
      action,
      ...extra,
    }),
  );
}

describe('recordAudit and verifyAuditChain', () => {
  it('a fresh organization with many events verifies, across verification batches', async () => {
    const org = await createOrg();
    expect(await audit.verifyAuditChain(org.id)).toEqual({ ok: true, count: 0 });
    for (let batch = 0; batch < 5; batch++) {
      await prisma.$transaction(
        async (tx) => {
          for (let i = 0; i < 201; i++) {
            await audit.recordAudit(tx, {
              organizationId: org.id,
              context: audit.systemAuditContext('health sweep'),
              action: 'credential.checked',
              details: { batch, i, nested: { list: [1, 'two', null], when: new Date(0) } },
            });
          }
        },
        { timeout: 60_000 },
      );
    }
    expect(await audit.verifyAuditChain(org.id)).toEqual({ ok: true, count: 1005 });
    const first = await prisma.auditEvent.findFirstOrThrow({ where: { organizationId: org.id, seq: 1 } });
    expect(first.prevHash).toBe('0'.repeat(64));
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
  }, 60_000);

  it('20 concurrent recordAudit calls produce gapless seqs and a valid chain', async () => {
    const org = await createOrg();
    await Promise.all(Array.from({ length: 20 }, (_, i) => record(org.id, 'credential.used', { details: { i } })));
    const rows = await prisma.auditEvent.findMany({ where: { organizationId: org.id }, orderBy: { seq: 'asc' } });
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => (r.details as { i: number }).i)).size).toBe(20);
    expect(await audit.verifyAuditChain(org.id)).toEqual({ ok: true, count: 20 });
  });

  it('an audit row rolls back with the change it describes', async () => {
    const org = await createOrg();
    await expect(
      prisma.$transaction(async (tx) => {
        await audit.recordAudit(tx, { organizationId: org.id, context: audit.systemAuditContext('test'), action: 'org.renamed' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await prisma.auditEvent.count({ where: { organizationId: org.id } })).toBe(0);
  });

  it('refuses to run outside a transaction', async () => {
    const org = await createOrg();
    await expect(
      audit.recordAudit(prisma as never, { organizationId: org.id, context: audit.systemAuditContext('test'), action: 'x' }),
    ).rejects.toThrow(/transaction client/);
  });

  it('editing a row’s details is reported as a hash mismatch at that seq', async () => {
    const org = await createOrg();
    for (let i = 0; i < 6; i++) await record(org.id, 'credential.update', { details: { name: `cred-${i}` } });
    const changed = await tamper(
      db.url,
      `UPDATE "AuditEvent" SET details = '{"name":"innocent"}' WHERE "organizationId" = $1 AND seq = 4`,
      [org.id],
    );
    expect(changed).toBe(1);
    expect(await audit.verifyAuditChain(org.id)).toEqual({ ok: false, count: 3, firstBadSeq: 4, reason: 'hash mismatch' });
  });

  it('a row rewritten with a recomputed hash breaks the link of the next row', async () => {
    const org = await createOrg();
    for (let i = 0; i < 5; i++) await record(org.id, 'credential.reveal', { details: { i } });
    const row = await prisma.auditEvent.findFirstOrThrow({ where: { organizationId: org.id, seq: 2 } });
    const forged = { ...row, actorLabel: 'someone-else' };
    await tamper(db.url, `UPDATE "AuditEvent" SET "actorLabel" = $2, hash = $3 WHERE id = $1`, [
      row.id.toString(),
      forged.actorLabel,
      audit.computeAuditHash(forged),
    ]);
    expect(await audit.verifyAuditChain(org.id)).toEqual({ ok: false, count: 2, firstBadSeq: 3, reason: 'broken link' });
  });

  it('deleting a middle row is reported as a gap at its seq', async () => {
    const org = await createOrg();
    for (let i = 0; i < 7; i++) await record(org.id, 'credential.delete');
    await tamper(db.url, `DELETE FROM "AuditEvent" WHERE "organizationId" = $1 AND seq = 5`, [org.id]);
    expect(await audit.verifyAuditChain(org.id)).toEqual({
      ok: false,
      count: 4,
      firstBadSeq: 5,
      reason: 'gap in sequence (row deleted)',
    });
  });

  it('a secret-looking key in details is stripped before it is stored', async () => {
    const org = await createOrg();
    const row = await record(org.id, 'credential.create', {
      details: {
        name: 'prod-openai',
        value: 'sk-live-should-never-appear',
        apiKey: 'sk-nope',
        fields: { accessToken: 'gho_x', refresh_token: 'r', keyVersion: 2, username: 'bot' },
        headers: [{ Authorization: 'Bearer abc', 'X-Api-Key': 'k', accept: 'json' }],
      },
    });
    expect(row.details).toEqual({
      name: 'prod-openai',
      fields: { keyVersion: 2, username: 'bot' },
      headers: [{ accept: 'json' }],
    });
    const stored = await runSql(db.url, `SELECT details::text AS d FROM "AuditEvent" WHERE id = $1`, [row.id.toString()]);
    expect(stored.rows[0].d).not.toMatch(/sk-|gho_|Bearer/);
    expect(await audit.verifyAuditChain(org.id)).toEqual({ ok: true, count: 1 });
  });
});

describe('append-only trigger', () => {
  it('refuses UPDATE and DELETE of an audit row, even by raw SQL', async () => {
    const org = await createOrg();
    await record(org.id, 'credential.create');
    await expect(runSql(db.url, `UPDATE "AuditEvent" SET action = 'x' WHERE "organizationId" = $1`, [org.id])).rejects.toThrow(
      /append-only/,
    );
    await expect(runSql(db.url, `DELETE FROM "AuditEvent" WHERE "organizationId" = $1`, [org.id])).rejects.toThrow(/append-only/);
    await expect(runSql(db.url, `TRUNCATE "AuditEvent"`)).rejects.toThrow(/append-only/);
    expect(await audit.verifyAuditChain(org.id)).toEqual({ ok: true, count: 1 });
  });

  it('deleting the organization still removes its audit trail by cascade', async () => {
    const org = await createOrg();
    await record(org.id, 'credential.create');
    await prisma.organization.delete({ where: { id: org.id } });
    expect(await prisma.auditEvent.count({ where: { organizationId: org.id } })).toBe(0);
  });
});

describe('auditContextFromRequest', () => {
  it('takes the first X-Forwarded-For hop and the user agent', () => {
    const request = new Request('http://localhost/x', {
      headers: { 'x-forwarded-for': '198.51.100.4, 10.0.0.1', 'user-agent': 'Mozilla/5.0' },
    });
    expect(audit.auditContextFromRequest(request, alice)).toEqual({ actor: alice, ip: '198.51.100.4', userAgent: 'Mozilla/5.0' });
    expect(audit.auditContextFromRequest(new Request('http://localhost/x'), alice)).toEqual({ actor: alice, ip: 'unknown', userAgent: null });
  });
});

describe('listAuditEvents', () => {
  it('filters by actor, action, credential and time, newest first, with keyset pages', async () => {
    const org = await createOrg();
    const other = await createOrg();
    const credentialId = '8a4d5f0e-3c1b-4b7a-9e2d-1f0a2b3c4d5e';
    const agent = { type: 'agent', id: 'agent-1', label: 'deploy bot' } as const;
    const ctx = (actor: typeof alice | typeof agent) => ({ actor, ip: null, userAgent: null });
    await record(org.id, 'credential.create', { credentialId });
    const before = new Date();
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 5; i++) await record(org.id, 'credential.used', { credentialId, context: ctx(agent) });
    await record(org.id, 'member.invite', { context: ctx(alice) });
    await record(other.id, 'credential.used', { credentialId });

    const byAgent = await audit.listAuditEvents(org.id, { actorType: 'agent' });
    expect(byAgent.events.map((e) => e.seq)).toEqual([6, 5, 4, 3, 2]);
    expect(byAgent.events.every((e) => e.actorId === 'agent-1' && e.actorLabel === 'deploy bot')).toBe(true);

    expect((await audit.listAuditEvents(org.id, { actorId: 'user-alice' })).events.map((e) => e.seq)).toEqual([7, 1]);
    expect((await audit.listAuditEvents(org.id, { action: 'member.invite' })).events.map((e) => e.seq)).toEqual([7]);
    expect((await audit.listAuditEvents(org.id, { credentialId })).events).toHaveLength(6);
    expect((await audit.listAuditEvents(org.id, { from: before, action: 'credential.create' })).events).toHaveLength(0);
    expect((await audit.listAuditEvents(org.id, { to: before })).events.map((e) => e.seq)).toEqual([1]);

    const page1 = await audit.listAuditEvents(org.id, { limit: 3 });
    expect(page1.events.map((e) => e.seq)).toEqual([7, 6, 5]);
    const page2 = await audit.listAuditEvents(org.id, { limit: 3, cursor: page1.nextCursor! });
    expect(page2.events.map((e) => e.seq)).toEqual([4, 3, 2]);
    const page3 = await audit.listAuditEvents(org.id, { limit: 3, cursor: page2.nextCursor! });
    expect(page3).toMatchObject({ events: [{ seq: 1 }], nextCursor: null });
    expect(typeof page3.events[0]!.id).toBe('string');
  });

  it('search params parse into filters with field errors for bad input', () => {
    const parsed = audit.auditFilterSchema.safeParse(
      Object.fromEntries(new URLSearchParams('actorType=robot&credentialId=nope&from=&limit=9999')),
    );
    expect(parsed.error!.issues.map((i) => i.path[0]).sort()).toEqual(['actorType', 'credentialId', 'limit']);
  });
});

describe('auditEventsCsv', () => {
  it('streams a header and escapes commas, quotes and newlines', async () => {
    const org = await createOrg();
    await record(org.id, 'credential.update', {
      context: { actor: { type: 'user', id: 'u1', label: 'Doe, "Jane"\nAdmin' }, ip: '203.0.113.9', userAgent: '=HYPERLINK("x")' },
      details: { note: 'a,b "c"' },
    });
    await record(org.id, 'credential.reveal');
    const text = await new Response(audit.auditEventsCsv(org.id)).text();
    const lines = text.split('\n');
    expect(lines[0]).toBe('seq,createdAt,actorType,actorId,actorLabel,action,targetType,targetId,credentialId,ip,userAgent,details,hash');
    expect(lines[1]).toMatch(/^2,\d{4}-\d\d-\d\dT[\d:.]+Z,user,user-alice,alice@example.test,credential.reveal,/);
    expect(text).toContain(`"Doe, ""Jane""\nAdmin"`);
    expect(text).toContain(`"'=HYPERLINK(""x"")"`);
    expect(text).toContain(`"{""note"":""a,b \\""c\\""""}"`);
    expect(text.trimEnd().split('\n')).toHaveLength(1 + 1 + 2);
  });

  it('exports every page of a filtered selection', async () => {
    const org = await createOrg();
    for (let i = 0; i < 12; i++) await record(org.id, i % 2 ? 'credential.used' : 'credential.update');
    const text = await new Response(audit.auditEventsCsv(org.id, { action: 'credential.used', limit: 2 })).text();
    const seqs = text.trimEnd().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
    expect(seqs).toEqual([12, 10, 8, 6, 4, 2]);
  });
});
