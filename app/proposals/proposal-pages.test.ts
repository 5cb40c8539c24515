// The proposals pages through their loaders and actions, signed in as real members: approving applies and grants, a bad slot applies nothing, the role matrix holds, an agent's value is revealed only to admins (never in the page), rejecting records the reason, and another organization's proposal answers 404.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, createSignedUpUser, getRequest, postRequest, settle, testContext, unwrapData } from '~/auth/test-helpers';
import { createCredential } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { deniedMessage } from '~/orgs/permissions';
import { closeQueues } from '~/queue/queue.server';
import { action as approvalAction, loader as approvalLoader } from '~/routes/orgs.$orgSlug.proposals.$id';
import { loader as inboxLoader } from '~/routes/orgs.$orgSlug.proposals._index';
import { loader as layoutLoader } from '~/routes/orgs.$orgSlug';
import { action as settingsAction, loader as settingsLoader } from '~/routes/orgs.$orgSlug.settings';
import { startRemixTestApp, type RemixTestApp } from '../../test/remix-app';
import { PROPOSAL_AUDIT_ACTIONS, type ProposalInput } from './proposals';
import { createProposal } from './proposals.server';

const args = (request: Request, params: Record<string, string>) => ({ request, params, context: testContext }) as never;
const context = { actor: { type: 'system' as const, id: null, label: 'test' }, ip: null, userAgent: null };

let app: RemixTestApp;
beforeAll(async () => {
  app = await startRemixTestApp();
}, 60_000);
afterAll(async () => {
  await app?.close();
  await closeQueues();
});

async function orgWithAgent(allowedCredentials: string[] = []) {
  const owner = await createSignedUpUser();
  const org = await prisma.organization.findUniqueOrThrow({ where: { slug: owner.slug } });
  const agent = await prisma.agent.create({ data: { organizationId: org.id, name: `deploy-bot-${crypto.randomBytes(2).toString('hex')}`, allowedCredentials } });
  const propose = (input: ProposalInput) =>
    createProposal({ id: agent.id, name: agent.name, organizationId: org.id, allowedCredentials }, input, { publicUrl: 'http://localhost:3000', context });
  return { owner, org, agent, propose };
}

function approve(slug: string, id: string, cookie: string, form: Record<string, string>) {
  return settle(() => approvalAction(args(postRequest(`/orgs/${slug}/proposals/${id}`, { intent: 'approve', ...form }, cookie), { orgSlug: slug, id })));
}

const stripeKey = () => `sk_test_${crypto.randomBytes(12).toString('hex')}`;

describe('approving', () => {
  it('with the values filled in creates the credentials and adds them to the agent’s allowlist', async () => {
    const { owner, org, agent, propose } = await orgWithAgent();
    const proposal = await propose({ message: 'Deploys need Stripe', credentials: [{ name: 'stripe_key', service: 'stripe', type: 'api_key' }] });
    const result = await approve(owner.slug, proposal.id, owner.cookie, { 'values.stripe_key.key': stripeKey() });
    expect(result).toBeInstanceOf(Response);
    expect((result as Response).status).toBe(302);
    expect((result as Response).headers.get('Location')).toBe(`/orgs/${owner.slug}/proposals/${proposal.id}`);
    const credential = await prisma.credential.findFirstOrThrow({ where: { organizationId: org.id, name: 'stripe_key' } });
    expect(credential).toMatchObject({ service: 'stripe', type: 'api_key' });
    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agent.id } })).allowedCredentials).toEqual(['stripe_key']);

    const page = unwrapData(await approvalLoader(args(getRequest(`/orgs/${owner.slug}/proposals/${proposal.id}`, owner.cookie), { orgSlug: owner.slug, id: proposal.id })));
    expect(page.data).toMatchObject({ proposal: { status: 'approved', credentials: [{ name: 'stripe_key', credentialId: credential.id }] } });
    const inbox = unwrapData(await inboxLoader(args(getRequest(`/orgs/${owner.slug}/proposals?status=approved`, owner.cookie), { orgSlug: owner.slug })));
    expect((inbox.data as { proposals: Array<{ id: string }> }).proposals.map((p) => p.id)).toEqual([proposal.id]);
  });

  it('with an invalid slot answers each field’s error, keeps the non-secret values, and applies nothing', async () => {
    const { owner, org, agent, propose } = await orgWithAgent();
    const proposal = await propose({
      message: 'Payments and mail',
      credentials: [
        { name: 'stripe_key', service: 'stripe', type: 'api_key' },
        { name: 'smtp_login', service: 'custom', type: 'password' },
      ],
    });
    const typedPassword = `pw-${crypto.randomBytes(8).toString('hex')}`;
    const result = unwrapData(
      await approve(owner.slug, proposal.id, owner.cookie, {
        'values.stripe_key.key': 'not-a-stripe-key',
        'values.smtp_login.username': 'mailer@example.com',
        'values.smtp_login.password': typedPassword,
      }),
    );
    expect(result.status).toBe(400);
    const body = result.data as { message: string; fieldErrors: Record<string, string[]>; values: Record<string, string> };
    expect(body.message).toMatch(/^Nothing was applied/);
    expect(body.fieldErrors['values.stripe_key.key']?.[0]).toMatch(/Stripe keys start with/);
    expect(body.values).toEqual({ 'values.smtp_login.username': 'mailer@example.com' });
    expect(JSON.stringify(body)).not.toContain(typedPassword);
    expect(await prisma.credential.count({ where: { organizationId: org.id } })).toBe(0);
    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agent.id } })).allowedCredentials).toEqual([]);
    expect((await prisma.proposal.findUniqueOrThrow({ where: { id: proposal.id } })).status).toBe('pending');
  });

  it('a member cannot approve a proposal that deletes a credential: 403 with the role matrix’s sentence, nothing deleted', async () => {
    const { owner, org, propose } = await orgWithAgent(['old_key']);
    await createCredential(
      { organizationId: org.id, userId: owner.userId, userLabel: owner.email, role: 'owner', ip: null, userAgent: null },
      { name: 'old_key', service: 'github', type: 'api_key', fields: { key: `ghp_${crypto.randomBytes(18).toString('hex')}` } },
    );
    const proposal = await propose({ message: 'Clean up', credentials: [{ name: 'old_key', action: 'delete' }] });
    const member = await createMember(owner.slug, 'member');

    const page = unwrapData(await approvalLoader(args(getRequest(`/orgs/${owner.slug}/proposals/${proposal.id}`, member.cookie), { orgSlug: owner.slug, id: proposal.id })));
    expect(page.data).toMatchObject({ canReview: true, canApproveSensitive: false, sensitiveDenied: deniedMessage('member', 'proposal.approve_sensitive') });

    const result = unwrapData(await approve(owner.slug, proposal.id, member.cookie, {}));
    expect(result.status).toBe(403);
    expect(result.data).toMatchObject({ message: deniedMessage('member', 'proposal.approve_sensitive') });
    expect(await prisma.credential.count({ where: { organizationId: org.id, name: 'old_key' } })).toBe(1);
  });
});

describe('a value the agent supplied', () => {
  it('is revealed only to admins, audited and never cached, and never appears in the page’s loader data or HTML', async () => {
    const canary = `sk_test_CANARY${crypto.randomBytes(10).toString('hex')}`;
    const { owner, propose } = await orgWithAgent();
    const proposal = await propose({ message: 'I made a key', credentials: [{ name: 'stripe_key', service: 'stripe', type: 'api_key', value: canary }] });
    const path = `/orgs/${owner.slug}/proposals/${proposal.id}`;
    const params = { orgSlug: owner.slug, id: proposal.id };

    const loaded = unwrapData(await approvalLoader(args(getRequest(path, owner.cookie), params)));
    expect(JSON.stringify(loaded.data)).not.toContain(canary);
    const html = await (await fetch(`${app.url}${path}`, { headers: { Cookie: owner.cookie } })).text();
    expect(html).toContain('Value supplied by the agent');
    expect(html).not.toContain(canary);
    const single = await (await fetch(`${app.url}${path}.data`, { headers: { Cookie: owner.cookie } })).text();
    expect(single).not.toContain(canary);

    const member = await createMember(owner.slug, 'member');
    const refused = await settle(() => approvalAction(args(postRequest(path, { intent: 'reveal', position: '0' }, member.cookie), params)));
    expect(unwrapData(refused).status).toBe(403);
    expect(JSON.stringify(unwrapData(refused).data)).not.toContain(canary);

    const revealed = await approvalAction(args(postRequest(path, { intent: 'reveal', position: '0' }, owner.cookie), params));
    const { data, init } = revealed as unknown as { data: { fields: Array<{ name: string; value: string }> }; init: ResponseInit };
    expect(data.fields).toEqual([{ name: 'key', label: expect.any(String), value: canary }]);
    expect(new Headers(init.headers).get('Cache-Control')).toMatch(/no-store/);
    const audit = await prisma.auditEvent.findMany({ where: { targetId: proposal.id, action: PROPOSAL_AUDIT_ACTIONS.valueRevealed } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actorLabel).toContain(owner.email);
  });
});

describe('rejecting and scoping', () => {
  it('rejecting needs a reason, and records it with who decided', async () => {
    const { owner, propose } = await orgWithAgent();
    const proposal = await propose({ message: 'Need OpenAI', credentials: [{ name: 'openai_key', service: 'openai' }] });
    const path = `/orgs/${owner.slug}/proposals/${proposal.id}`;
    const params = { orgSlug: owner.slug, id: proposal.id };
    const empty = unwrapData(await approvalAction(args(postRequest(path, { intent: 'reject', reason: ' ' }, owner.cookie), params)));
    expect(empty.status).toBe(400);
    expect(empty.data).toMatchObject({ fieldErrors: { reason: ['Say why, so the agent can act on it'] } });

    const done = await settle(() => approvalAction(args(postRequest(path, { intent: 'reject', reason: 'Use the staging key' }, owner.cookie), params)));
    expect((done as Response).status).toBe(302);
    const row = await prisma.proposal.findUniqueOrThrow({ where: { id: proposal.id } });
    expect(row).toMatchObject({ status: 'rejected', rejectReason: 'Use the staging key', decidedByType: 'user' });
    const page = unwrapData(await approvalLoader(args(getRequest(path, owner.cookie), params)));
    expect(page.data).toMatchObject({ proposal: { status: 'rejected', reason: 'Use the staging key' } });
  });

  it('another organization’s proposal answers 404 to its page and its actions', async () => {
    const { propose } = await orgWithAgent();
    const proposal = await propose({ message: 'Mine', credentials: [{ name: 'openai_key', service: 'openai' }] });
    const stranger = await createSignedUpUser();
    const params = { orgSlug: stranger.slug, id: proposal.id };
    const path = `/orgs/${stranger.slug}/proposals/${proposal.id}`;
    expect(((await settle(() => approvalLoader(args(getRequest(path, stranger.cookie), params)))) as Response).status).toBe(404);
    const forms: Array<Record<string, string>> = [{ intent: 'approve' }, { intent: 'reject', reason: 'no' }, { intent: 'reveal', position: '0' }];
    for (const form of forms) {
      expect(((await settle(() => approvalAction(args(postRequest(path, form, stranger.cookie), params)))) as Response).status).toBe(404);
    }
    expect((await prisma.proposal.findUniqueOrThrow({ where: { id: proposal.id } })).status).toBe('pending');
  });
});

describe('around the approval page', () => {
  it('a file slot is approved from a multipart form with the file checked and sealed', async () => {
    const { owner, org, propose } = await orgWithAgent();
    const proposal = await propose({ message: 'Signing', credentials: [{ name: 'signing_cert', service: 'custom', type: 'file' }] });
    const body = new FormData();
    body.append('intent', 'approve');
    body.append('values.signing_cert.file', new File(['-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'], 'cert.pem'));
    const request = new Request(`http://localhost:3000/orgs/${owner.slug}/proposals/${proposal.id}`, { method: 'POST', headers: { Cookie: owner.cookie }, body });
    const result = await settle(() => approvalAction(args(request, { orgSlug: owner.slug, id: proposal.id })));
    expect((result as Response).status).toBe(302);
    expect(await prisma.credential.findFirstOrThrow({ where: { organizationId: org.id, name: 'signing_cert' } })).toMatchObject({ type: 'file', fileName: 'cert.pem' });
  });

  it('the org layout counts the pending proposals and names the newest one’s agent for the banner', async () => {
    const { owner, agent, propose } = await orgWithAgent();
    await propose({ message: 'Two', credentials: [{ name: 'a_key', service: 'openai' }, { name: 'b_key', service: 'openai' }] });
    const layout = unwrapData(await layoutLoader(args(getRequest(`/orgs/${owner.slug}/credentials`, owner.cookie), { orgSlug: owner.slug })));
    expect(layout.data).toMatchObject({ proposals: { count: 1, latest: { agent: agent.name, credentials: 2 } } });
  });

  it('Settings: admins set how many days proposals wait (1–90, audited); a bad value is a field error; members cannot', async () => {
    const { owner, org } = await orgWithAgent();
    const path = `/orgs/${owner.slug}/settings`;
    const params = { orgSlug: owner.slug };
    expect(unwrapData(await settingsLoader(args(getRequest(path, owner.cookie), params))).data).toMatchObject({ proposalExpiryDays: 7 });

    const bad = unwrapData(await settleAction(postRequest(path, { intent: 'proposal-expiry', proposalExpiryDays: '91' }, owner.cookie)));
    expect(bad.status).toBe(400);
    expect(bad.data).toEqual({ expiryErrors: ['At most 90 days'] });

    const saved = await settleAction(postRequest(path, { intent: 'proposal-expiry', proposalExpiryDays: '14' }, owner.cookie));
    expect((saved as Response).status).toBe(302);
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).proposalExpiryDays).toBe(14);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { organizationId: org.id, action: 'organization.proposal_expiry_update' } });
    expect(audit.details).toEqual({ from: 7, to: 14 });

    const member = await createMember(owner.slug, 'member');
    expect(((await settleAction(postRequest(path, { intent: 'proposal-expiry', proposalExpiryDays: '3' }, member.cookie))) as Response).status).toBe(403);
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).proposalExpiryDays).toBe(14);

    function settleAction(request: Request) {
      return settle(() => settingsAction(args(request, params)));
    }
  });
});
