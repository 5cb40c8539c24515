// Last-used tracking on both backends: no database write per use, one statement per flush window, newest time wins.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';

const savedRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function load(backend: 'redis' | 'postgres') {
  vi.resetModules();
  if (backend === 'redis') process.env.REDIS_URL = savedRedisUrl;
  else delete process.env.REDIS_URL;
  // A prefix per test, so a flush only sees this test's uses.
  process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX?.split('-usage')[0] ?? 'lk-test'}-usage-${crypto.randomBytes(3).toString('hex')}`;
  return {
    usage: await import('./usage.server'),
    store: await import('./store.server'),
    support: await import('~/jobs/test-support'),
    db: await import('~/db.server'),
  };
}

let m: Awaited<ReturnType<typeof load>> | undefined;
afterEach(async () => {
  await m?.store.closeUsageStore();
  process.env.REDIS_URL = savedRedisUrl;
});

describe.each(['redis', 'postgres'] as const)('usage tracking on the %s backend', (backend) => {
  it('uses write nothing to PostgreSQL until the flush, which writes the newest times in one statement', async () => {
    m = await load(backend);
    const { prisma } = m.db;
    const org = await m.support.createOrg();
    const credA = await m.support.createKeyCredential(org, null);
    const credB = await m.support.createKeyCredential(org, null);
    const agent = await prisma.agent.create({ data: { organizationId: org.organizationId, name: `agent-${crypto.randomBytes(3).toString('hex')}` } });

    for (let i = 0; i < 50; i++) {
      await m.usage.recordCredentialUse({ id: i % 2 ? credA : credB, organizationId: org.organizationId }, i % 5 === 0 ? null : agent);
    }
    const lastUse = Date.now();
    await m.usage.recordCredentialUse({ id: credA, organizationId: org.organizationId }, agent);
    expect((await prisma.credential.findUniqueOrThrow({ where: { id: credA } })).lastUsedAt).toBeNull();

    const report = await m.store.flushUsage();
    expect(report.statements).toBe(1);
    expect(report.credentials).toBe(2);
    const a = await prisma.credential.findUniqueOrThrow({ where: { id: credA } });
    expect(a.lastUsedAt!.getTime()).toBeGreaterThanOrEqual(lastUse);
    const agentRow = await prisma.agent.findUniqueOrThrow({ where: { id: agent.id } });
    expect(agentRow.lastUsedAt!.getTime()).toBe(a.lastUsedAt!.getTime());
    const pairs = await prisma.agentCredentialUsage.findMany({ where: { agentId: agent.id }, orderBy: { credentialId: 'asc' } });
    expect(pairs).toHaveLength(2);
    expect(pairs.reduce((n, p) => n + Number(p.useCount), 0)).toBe(41);

    // An empty window writes nothing; an older time never moves lastUsedAt back.
    expect((await m.store.flushUsage()).statements).toBe(0);
    await m.store.usageStore().record(credA, agent.id, a.lastUsedAt!.getTime() - 60_000);
    await m.store.flushUsage();
    expect((await prisma.credential.findUniqueOrThrow({ where: { id: credA } })).lastUsedAt!.getTime()).toBe(a.lastUsedAt!.getTime());
  });
  it('agent use is audited once per agent and credential per window, with the count, the newest time and the origin', async () => {
    m = await load(backend);
    const { prisma } = m.db;
    const audit = await import('~/audit/audit.server');
    const org = await m.support.createOrg();
    const cred = await m.support.createKeyCredential(org, null);
    const other = await m.support.createKeyCredential(org, null);
    const agent = await prisma.agent.create({ data: { organizationId: org.organizationId, name: `agent-${crypto.randomBytes(3).toString('hex')}` } });
    const before = await prisma.auditEvent.count({ where: { organizationId: org.organizationId, action: m.store.USE_AUDIT_ACTION } });

    for (let i = 0; i < 7; i++) await m.usage.recordCredentialUse({ id: cred, organizationId: org.organizationId }, agent, { ip: '203.0.113.9' });
    await m.usage.recordCredentialUse({ id: other, organizationId: org.organizationId }, agent, { ip: '198.51.100.4' });
    // A use without an agent (a person) is not an agent-use audit row: people's actions are audited where they happen.
    await m.usage.recordCredentialUse({ id: other, organizationId: org.organizationId }, null);

    const report = await m.store.flushUsage();
    expect(report).toMatchObject({ statements: 1, auditEvents: 2 });
    const rows = await prisma.auditEvent.findMany({
      where: { organizationId: org.organizationId, action: m.store.USE_AUDIT_ACTION },
      orderBy: { seq: 'asc' },
    });
    expect(rows).toHaveLength(before + 2);
    const mine = rows.find((r) => r.credentialId === cred)!;
    expect(mine).toMatchObject({ actorType: 'agent', actorId: agent.id, actorLabel: agent.name, ip: '203.0.113.9', targetId: cred });
    expect(mine.details).toMatchObject({ uses: 7 });
    expect(rows.find((r) => r.credentialId === other)).toMatchObject({ ip: '198.51.100.4', details: { uses: 1 } });
    // The batch extends the organization's hash chain like any other event.
    expect(await audit.verifyAuditChain(org.organizationId)).toMatchObject({ ok: true });
    // An empty window audits nothing.
    expect(await m.store.flushUsage()).toMatchObject({ auditEvents: 0 });
  });
});
