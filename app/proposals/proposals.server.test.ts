// Proposals against the real database: atomic approval, one approval of two at once, isolation, the allowlist rule for deletes, limits, expiry on a controlled clock, sealed values, and re-encryption.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestAgent, createTestCredential, createTestOrg, type TestOrg } from '~/api/test-support';
import { verifyAuditChain } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import { closeQueues } from '~/queue/queue.server';
import { rotateOrganizationKey, reencryptOrganizationSecrets, secretVersionUsage } from '~/vault/rotation.server';
import { MAX_PENDING_PROPOSALS_PER_AGENT, MAX_SLOTS_PER_PROPOSAL } from './proposals';
import {
  approveProposal,
  createProposal,
  expireDueProposals,
  getProposal,
  listProposals,
  ProposalError,
  rejectProposal,
  revealSuppliedValue,
  type ProposingAgent,
} from './proposals.server';

const publicUrl = 'http://latchkey.test';
const CANARY = `canary_${crypto.randomBytes(12).toString('hex')}`;

afterAll(async () => {
  await closeQueues();
});

function suffix() {
  return crypto.randomBytes(3).toString('hex');
}

async function proposingAgent(org: TestOrg, allowlist: string[] = []): Promise<ProposingAgent> {
  const { agent } = await createTestAgent(org, allowlist);
  return { id: agent.id, name: agent.name, organizationId: org.id, allowedCredentials: agent.allowedCredentials };
}

function agentContext(agent: ProposingAgent) {
  return { actor: { type: 'agent' as const, id: agent.id, label: agent.name }, ip: null, userAgent: 'vitest' };
}

function propose(agent: ProposingAgent, credentials: unknown[], now?: Date) {
  return createProposal(agent, { message: 'Needed for the nightly job', credentials }, { publicUrl, context: agentContext(agent), now });
}

async function rejection(promise: Promise<unknown>): Promise<ProposalError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProposalError);
  return error as ProposalError;
}

const stripeKey = () => `sk_test_${crypto.randomBytes(16).toString('hex')}`;

describe('approval', () => {
  it('an invalid slot applies nothing and names the slot; fixed, everything is applied and granted in one step', async () => {
    const org = await createTestOrg();
    const agent = await proposingAgent(org);
    const good = `openai_${suffix()}`;
    const bad = `stripe_${suffix()}`;
    const proposal = await propose(agent, [
      { name: good, service: 'openai', type: 'api_key' },
      { name: bad, service: 'stripe', type: 'api_key' },
    ]);
    const openaiKey = `sk-proj-${crypto.randomBytes(20).toString('hex')}`;
    const error = await rejection(approveProposal(org.actor, proposal.id, { values: { [good]: { key: openaiKey }, [bad]: { key: 'nope' } } }, { publicUrl }));
    expect(error.code).toBe('validation');
    expect(error.message).toMatch(new RegExp(`Nothing was applied: ${bad}`));
    expect(Object.keys(error.fieldErrors)).toEqual([`values.${bad}.key`]);
    expect(await prisma.credential.count({ where: { organizationId: org.id } })).toBe(0);
    expect((await prisma.proposal.findUniqueOrThrow({ where: { id: proposal.id } })).status).toBe('pending');

    const approved = await approveProposal(org.actor, proposal.id, { values: { [good]: { key: openaiKey }, [bad]: { key: stripeKey() } } }, { publicUrl });
    expect(approved.status).toBe('approved');
    expect(approved.credentials.every((c) => c.credentialId)).toBe(true);
    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agent.id } })).allowedCredentials).toEqual([good, bad]);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { organizationId: org.id, action: 'proposal.approved' } });
    expect(audit.details).toMatchObject({ granted: [good, bad], slots: [{ name: good, kind: 'create' }, { name: bad, kind: 'create' }] });
    // Each created credential's own audit row names the proposal.
    expect(await prisma.auditEvent.count({ where: { organizationId: org.id, action: 'credential.create', details: { path: ['proposalId'], equals: proposal.id } } })).toBe(2);
    expect((await verifyAuditChain(org.id)).ok).toBe(true);
  });

  it('a name taken meanwhile rolls the whole approval back', async () => {
    const org = await createTestOrg();
    const agent = await proposingAgent(org);
    const first = `first_${suffix()}`;
    const second = `second_${suffix()}`;
    const proposal = await propose(agent, [
      { name: first, service: 'stripe', type: 'api_key' },
      { name: second, service: 'stripe', type: 'api_key' },
    ]);
    await createTestCredential(org, { name: second, service: 'stripe', type: 'api_key', fields: { key: stripeKey() } });
    const error = await rejection(approveProposal(org.actor, proposal.id, { values: { [first]: { key: stripeKey() }, [second]: { key: stripeKey() } } }, { publicUrl }));
    expect(error.fieldErrors[`values.${second}.name`]?.[0]).toMatch(/already exists/);
    expect(await prisma.credential.count({ where: { organizationId: org.id, name: first } })).toBe(0);
    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agent.id } })).allowedCredentials).toEqual([]);
  });

  it('two admins approving at once: applied once, the other is told', async () => {
    const org = await createTestOrg();
    const agent = await proposingAgent(org);
    const name = `race_${suffix()}`;
    const proposal = await propose(agent, [{ name, service: 'stripe', type: 'api_key' }]);
    const secondAdmin = await prisma.user.create({ data: { email: `second-${suffix()}@example.test`, name: 'Second', passwordHash: 'x' } });
    await prisma.membership.create({ data: { organizationId: org.id, userId: secondAdmin.id, role: 'admin' } });
    const other = { ...org.actor, userId: secondAdmin.id, userLabel: 'Second', role: 'admin' as const };
    const results = await Promise.allSettled([
      approveProposal(org.actor, proposal.id, { values: { [name]: { key: stripeKey() } } }, { publicUrl }),
      approveProposal(other, proposal.id, { values: { [name]: { key: stripeKey() } } }, { publicUrl }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((failed.reason as ProposalError).code).toBe('conflict');
    expect(await prisma.credential.count({ where: { organizationId: org.id, name } })).toBe(1);
    expect(await prisma.auditEvent.count({ where: { organizationId: org.id, action: 'proposal.approved' } })).toBe(1);
  });

  it('grants an existing credential, deletes one in the allowlist; a member may approve only adds', async () => {
    const org = await createTestOrg();
    const existing = `existing_${suffix()}`;
    const doomed = `doomed_${suffix()}`;
    await createTestCredential(org, { name: existing, service: 'stripe', type: 'api_key', fields: { key: stripeKey() } });
    const victim = await createTestCredential(org, { name: doomed, service: 'stripe', type: 'api_key', fields: { key: stripeKey() } });
    const agent = await proposingAgent(org, [doomed]);
    const proposal = await propose(agent, [{ name: existing }, { action: 'delete', name: doomed }]);
    expect(proposal.credentials.map((c) => c.kind)).toEqual(['grant', 'delete']);
    const member = await prisma.user.create({ data: { email: `member-${suffix()}@example.test`, name: 'Member', passwordHash: 'x' } });
    await prisma.membership.create({ data: { organizationId: org.id, userId: member.id, role: 'member' } });
    const asMember = { ...org.actor, userId: member.id, userLabel: 'Member', role: 'member' as const };
    const refused = await rejection(approveProposal(asMember, proposal.id, {}, { publicUrl }));
    expect(refused.code).toBe('forbidden');
    expect(refused.message).toMatch(/^Only owners and admins can approve proposals that delete credentials/);

    await approveProposal(org.actor, proposal.id, {}, { publicUrl });
    expect(await prisma.credential.findUnique({ where: { id: victim.id } })).toBeNull();
    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agent.id } })).allowedCredentials).toEqual([doomed, existing]);
    expect(await prisma.auditEvent.count({ where: { organizationId: org.id, action: 'credential.delete', credentialId: victim.id } })).toBe(1);
  });

  it('a rejection carries the reason the agent reads, and drops sealed values', async () => {
    const org = await createTestOrg();
    const agent = await proposingAgent(org);
    const proposal = await propose(agent, [{ name: `gen_${suffix()}`, service: 'custom', type: 'api_key', value: CANARY }]);
    expect(await prisma.proposalSecret.count({ where: { proposalId: proposal.id } })).toBe(1);
    expect((await rejection(rejectProposal(org.actor, proposal.id, { reason: '  ' }, { publicUrl }))).fieldErrors.reason).toBeDefined();
    const rejected = await rejectProposal(org.actor, proposal.id, { reason: 'Ask in #platform first' }, { publicUrl });
    expect(rejected).toMatchObject({ status: 'rejected', reason: 'Ask in #platform first', decidedBy: { type: 'user' } });
    expect(await prisma.proposalSecret.count({ where: { proposalId: proposal.id } })).toBe(0);
    expect((await rejection(approveProposal(org.actor, proposal.id, {}, { publicUrl }))).code).toBe('conflict');
  });
});

describe('what an agent may propose', () => {
  it('delete outside its allowlist is refused (403); unknown names and services are field errors', async () => {
    const org = await createTestOrg();
    const outside = `outside_${suffix()}`;
    await createTestCredential(org, { name: outside, service: 'stripe', type: 'api_key', fields: { key: stripeKey() } });
    const agent = await proposingAgent(org, ['mine_*']);
    expect((await rejection(propose(agent, [{ action: 'delete', name: outside }]))).code).toBe('forbidden');
    const invalid = await rejection(
      propose(agent, [
        { action: 'delete', name: 'mine_missing' },
        { name: `x_${suffix()}`, service: 'no-such-service' },
        { name: `y_${suffix()}`, service: 'openai', type: 'file' },
        { name: outside, value: 'replace me' },
      ]),
    );
    expect(Object.keys(invalid.fieldErrors).sort()).toEqual(['credentials.0.name', 'credentials.1.service', 'credentials.2.type', 'credentials.3.name']);
    expect(await prisma.proposal.count({ where: { agentId: agent.id } })).toBe(0);
  });

  it(`at most ${MAX_PENDING_PROPOSALS_PER_AGENT} pending per agent (also when proposed at once) and ${MAX_SLOTS_PER_PROPOSAL} slots per proposal`, async () => {
    const org = await createTestOrg();
    const agent = await proposingAgent(org);
    const tooMany = Array.from({ length: MAX_SLOTS_PER_PROPOSAL + 1 }, (_, i) => ({ name: `slot_${i}` }));
    expect((await rejection(propose(agent, tooMany))).fieldErrors.credentials?.[0]).toMatch(/At most 50/);
    const results = await Promise.allSettled(Array.from({ length: MAX_PENDING_PROPOSALS_PER_AGENT + 3 }, (_, i) => propose(agent, [{ name: `need_${i}` }])));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX_PENDING_PROPOSALS_PER_AGENT);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.every((r) => (r.reason as ProposalError).code === 'limit')).toBe(true);
    // Another agent of the organization has its own budget.
    expect((await propose(await proposingAgent(org), [{ name: 'other_need' }])).status).toBe('pending');
  });
});

describe('expiry', () => {
  it('expires after the organization’s days on a controlled clock: read as expired at once, recorded by the sweep, values dropped', async () => {
    const org = await createTestOrg();
    await prisma.organization.update({ where: { id: org.id }, data: { proposalExpiryDays: 2 } });
    const agent = await proposingAgent(org);
    const start = new Date('2026-12-01T09:00:00Z');
    const proposal = await propose(agent, [{ name: `late_${suffix()}`, service: 'custom', type: 'api_key', value: 'generated-value' }], start);
    expect(proposal.expiresAt).toBe('2026-12-03T09:00:00.000Z');
    const before = new Date('2026-12-03T08:59:00Z');
    const after = new Date('2026-12-03T09:00:01Z');
    expect(await expireDueProposals({ organizationId: org.id, now: before })).toBe(0);
    expect((await getProposal({ organizationId: org.id }, proposal.id, { publicUrl, now: after })).status).toBe('expired');
    expect(await expireDueProposals({ organizationId: org.id, now: after })).toBe(1);
    expect(await expireDueProposals({ organizationId: org.id, now: after })).toBe(0);
    const stored = await prisma.proposal.findUniqueOrThrow({ where: { id: proposal.id } });
    expect(stored).toMatchObject({ status: 'expired', decidedByType: 'system' });
    expect(await prisma.proposalSecret.count({ where: { proposalId: proposal.id } })).toBe(0);
    expect(await prisma.auditEvent.count({ where: { organizationId: org.id, action: 'proposal.expired', targetId: proposal.id } })).toBe(1);
    expect((await listProposals(org.id, { status: 'pending', offset: 0, limit: 10 }, { publicUrl, now: after })).proposals).toEqual([]);
  });
});

describe('isolation and sealing', () => {
  it('another organization’s proposal id is not found everywhere; another agent’s too', async () => {
    const org = await createTestOrg();
    const other = await createTestOrg();
    const agent = await proposingAgent(org);
    const proposal = await propose(agent, [{ name: `iso_${suffix()}`, service: 'custom', type: 'api_key', value: 'v' }]);
    const stranger = await proposingAgent(org);
    for (const attempt of [
      () => getProposal({ organizationId: other.id }, proposal.id, { publicUrl }),
      () => getProposal({ organizationId: org.id, agentId: stranger.id }, proposal.id, { publicUrl }),
      () => approveProposal(other.actor, proposal.id, {}, { publicUrl }),
      () => rejectProposal(other.actor, proposal.id, { reason: 'no' }, { publicUrl }),
      () => revealSuppliedValue(other.actor, proposal.id, 0),
    ]) {
      expect((await rejection(attempt())).code).toBe('not_found');
    }
  });

  it('a value the agent supplied exists only sealed and in an audited reveal; it survives a data-key rotation', async () => {
    const org = await createTestOrg();
    const agent = await proposingAgent(org);
    const name = `generated_${suffix()}`;
    const proposal = await propose(agent, [{ name, service: 'custom', type: 'api_key', value: CANARY, description: 'A key I generated' }]);
    // Nowhere in the database in plain text: not in any table's rows (audit details included).
    const tables = await prisma.$queryRaw<Array<{ t: string }>>`
      SELECT row_to_json(x)::text AS t FROM "Proposal" x UNION ALL SELECT row_to_json(x)::text FROM "ProposalSlot" x
      UNION ALL SELECT row_to_json(x)::text FROM "AuditEvent" x UNION ALL SELECT encode(ciphertext, 'escape') FROM "ProposalSecret"`;
    expect(tables.map((r) => r.t).join('\n')).not.toContain(CANARY);
    expect(JSON.stringify(await getProposal({ organizationId: org.id }, proposal.id, { publicUrl }))).not.toContain(CANARY);

    const { slug } = await prisma.organization.findUniqueOrThrow({ where: { id: org.id }, select: { slug: true } });
    await rotateOrganizationKey(slug, { enqueue: async () => {} });
    await reencryptOrganizationSecrets(org.id);
    const versions = await secretVersionUsage(org.id);
    expect(versions.map((v) => v.keyVersion)).toEqual([2]);
    expect(await revealSuppliedValue(org.actor, proposal.id, 0)).toEqual({ key: CANARY });
    expect(await prisma.auditEvent.count({ where: { organizationId: org.id, action: 'proposal.value_revealed' } })).toBe(1);

    const approved = await approveProposal(org.actor, proposal.id, {}, { publicUrl });
    const created = await prisma.credential.findUniqueOrThrow({ where: { id: approved.credentials[0]!.credentialId! }, include: { secrets: true } });
    expect(created).toMatchObject({ name, description: 'A key I generated', type: 'api_key' });
    expect(await prisma.proposalSecret.count({ where: { proposalId: proposal.id } })).toBe(0);
  });
});
