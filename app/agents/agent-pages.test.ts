// The agents pages through their loaders and actions: a created agent's form is not resubmitted, allowlist entries that match nothing are warned about, entries posted in Deliver mode are stored and shown, "last used" reads the same on the agents list, the agent page and the credential page, and the requirements editor and the doctor's Allow fix work as a person would use them.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it, vi } from 'vitest';

// A Redis key prefix of this file's own, so its usage flush writes only its own uses.
vi.hoisted(() => {
  process.env.REDIS_PREFIX = `${process.env.REDIS_PREFIX ?? 'lk-test'}-agentpages-${Math.random().toString(36).slice(2, 8)}`;
});

import { createMember, createSignedUpUser, getRequest, postRequest, settle, testContext, unwrapData } from '~/auth/test-helpers';
import { createCredential } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { closeQueues } from '~/queue/queue.server';
import { action as agentAction, loader as agentLoader } from '~/routes/orgs.$orgSlug.agents.$agentId';
import { action as agentsAction, loader as agentsLoader } from '~/routes/orgs.$orgSlug.agents._index';
import { loader as credentialLoader } from '~/routes/orgs.$orgSlug.credentials.$id';
import { loader as newCredentialLoader } from '~/routes/orgs.$orgSlug.credentials.new';
import { lastUsedText } from '~/usage/last-used';
import { closeUsageStore, flushUsage } from '~/usage/store.server';
import { recordCredentialUse } from '~/usage/usage.server';
import { authenticateAgent, unmatchedAllowlistEntries } from './agents.server';
import type { DoctorReport } from './requirements';

const args = (request: Request, params: Record<string, string>) => ({ request, params, context: testContext }) as never;

afterAll(async () => {
  await closeUsageStore();
  await closeQueues();
});

async function ownerWithKey(name: string) {
  const owner = await createSignedUpUser();
  const org = await prisma.organization.findUniqueOrThrow({ where: { slug: owner.slug } });
  const credential = await createCredential(
    { organizationId: org.id, userId: owner.userId, userLabel: owner.email, role: 'owner', ip: null, userAgent: null },
    { name, service: 'github', type: 'api_key', fields: { key: `ghp_${crypto.randomBytes(18).toString('hex')}` } },
  );
  return { owner, org, credential };
}

/** A form post as the allowlist input sends it: one `allowlist` per chip, one `deliver` per mode select (empty for Proxy). */
function allowlistForm(form: Record<string, string>, allowlist: string[], deliver: string[]) {
  const body = new URLSearchParams(form);
  for (const entry of allowlist) {
    body.append('allowlist', entry);
    body.append('deliver', deliver.includes(entry) ? entry : '');
  }
  for (const entry of deliver.filter((e) => !allowlist.includes(e))) body.append('deliver', entry);
  return body;
}

function createAgentPost(slug: string, cookie: string, form: Record<string, string>, allowlist: string[] = [], deliver: string[] = []) {
  const request = new Request(`http://localhost:3000/orgs/${slug}/agents`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
    body: allowlistForm(form, allowlist, deliver).toString(),
  });
  return settle(() => agentsAction(args(request, { orgSlug: slug })));
}

function updateAgentPost(slug: string, cookie: string, agentId: string, form: Record<string, string>, allowlist: string[], deliver: string[]) {
  const request = new Request(`http://localhost:3000/orgs/${slug}/agents/${agentId}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
    body: allowlistForm({ intent: 'update', ...form }, allowlist, deliver).toString(),
  });
  return settle(() => agentAction(args(request, { orgSlug: slug, agentId })));
}

describe('creating an agent', () => {
  it('answers the token once without echoing the form, and the same submission again creates no second agent', async () => {
    const { owner, org } = await ownerWithKey('github_token');
    const form = { name: 'release-bot', description: 'Ships releases' };
    const first = unwrapData(await createAgentPost(owner.slug, owner.cookie, form, ['github_token']));
    expect(first.status).toBe(200);
    expect(first.data).toMatchObject({ ok: true, agentName: 'release-bot' });
    expect((first.data as { token: string }).token).toMatch(/^lk_/);
    // Nothing for the form to fill itself with: the page opens an empty one for the next agent.
    expect(first.data).not.toHaveProperty('values');

    const again = unwrapData(await createAgentPost(owner.slug, owner.cookie, form, ['github_token']));
    expect(again.status).toBe(400);
    expect(again.data).toMatchObject({ ok: false, fieldErrors: { name: ['An agent with this name already exists'] } });
    expect(await prisma.agent.count({ where: { organizationId: org.id } })).toBe(1);
  });

  it('a member cannot create an agent (the role matrix): 403 and nothing written', async () => {
    const { owner, org } = await ownerWithKey('github_token');
    const member = await createMember(owner.slug, 'member');
    const result = await createAgentPost(owner.slug, member.cookie, { name: 'sneaky' });
    expect((result as Response).status).toBe(403);
    expect(await prisma.agent.count({ where: { organizationId: org.id } })).toBe(0);
  });
});

describe('allowlist entries that match no credential', () => {
  it('are accepted with a warning naming them (create, list and agent page), and the names are offered as suggestions', async () => {
    const { owner, org } = await ownerWithKey('openai');
    await prisma.credential.create({ data: { organizationId: org.id, name: 'github_token', service: 'github', type: 'api_key' } });
    const created = unwrapData(await createAgentPost(owner.slug, owner.cookie, { name: 'typo-bot' }, ['opnai', 'openai, github_*']));
    expect(created.status).toBe(200);
    expect(created.data).toMatchObject({ ok: true, unmatched: ['opnai'] });
    const agentId = (created.data as { agentId: string }).agentId;
    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agentId } })).allowedCredentials).toEqual(['opnai', 'openai', 'github_*']);

    const list = unwrapData(await agentsLoader(args(getRequest(`/orgs/${owner.slug}/agents`, owner.cookie), { orgSlug: owner.slug })));
    const listed = (list.data as { agents: Array<{ allowedCredentials: Array<{ pattern: string; matchesNothing: boolean }> }>; suggestions: { names: string[]; complete: boolean } });
    expect(listed.agents[0]!.allowedCredentials).toEqual([
      { pattern: 'opnai', mode: 'proxy', matchesNothing: true },
      { pattern: 'openai', mode: 'proxy', matchesNothing: false },
      { pattern: 'github_*', mode: 'proxy', matchesNothing: false },
    ]);
    expect(listed.suggestions).toEqual({ names: ['github_token', 'openai'], complete: true });

    const page = unwrapData(await agentLoader(args(getRequest(`/orgs/${owner.slug}/agents/${agentId}`, owner.cookie), { orgSlug: owner.slug, agentId })));
    expect(page.data).toMatchObject({ unmatched: ['opnai'] });
  });

  it('match like the proxy does: `*` is any text, `_` only an underscore', async () => {
    const { org } = await ownerWithKey('git_token');
    await prisma.credential.create({ data: { organizationId: org.id, name: 'aXb', service: 'github', type: 'api_key' } });
    expect(await unmatchedAllowlistEntries(org.id, ['git_token', 'git_*', 'g*n', 'a_b', 'gitXtoken', 'git%', 'nothing*'])).toEqual([
      'a_b',
      'gitXtoken',
      'git%',
      'nothing*',
    ]);
  });
});

describe('delivery modes', () => {
  it('the forms post an entry in Deliver mode; the list and the agent page show it, and a save switches it back', async () => {
    const { owner, org } = await ownerWithKey('npm_token');
    const created = unwrapData(await createAgentPost(owner.slug, owner.cookie, { name: 'publisher' }, ['npm_token', 'github_*'], ['npm_token']));
    expect(created.data).toMatchObject({ ok: true });
    const agentId = (created.data as { agentId: string }).agentId;

    type List = { agents: Array<{ allowedCredentials: Array<{ pattern: string; mode: string }> }> };
    const list = unwrapData(await agentsLoader(args(getRequest(`/orgs/${owner.slug}/agents`, owner.cookie), { orgSlug: owner.slug }))).data as List;
    expect(list.agents[0]!.allowedCredentials.map(({ pattern, mode }) => ({ pattern, mode }))).toEqual([
      { pattern: 'npm_token', mode: 'deliver' },
      { pattern: 'github_*', mode: 'proxy' },
    ]);

    const pageOf = async () =>
      (unwrapData(await agentLoader(args(getRequest(`/orgs/${owner.slug}/agents/${agentId}`, owner.cookie), { orgSlug: owner.slug, agentId }))).data as {
        agent: { allowedCredentials: string[]; deliverCredentials: string[] };
      }).agent;
    expect(await pageOf()).toMatchObject({ allowedCredentials: ['npm_token', 'github_*'], deliverCredentials: ['npm_token'] });

    const saved = await updateAgentPost(owner.slug, owner.cookie, agentId, { name: 'publisher' }, ['npm_token', 'github_*'], ['github_*']);
    expect((saved as Response).status).toBe(302);
    expect(await pageOf()).toMatchObject({ deliverCredentials: ['github_*'] });
    const change = await prisma.auditEvent.findFirstOrThrow({ where: { organizationId: org.id, action: 'agent.delivery_change' } });
    expect(change.details).toEqual({ name: 'publisher', added: ['github_*'], removed: ['npm_token'] });
  });

  it('a Deliver mode for an entry not in the allowlist is refused under the allowlist field, the form keeping what was posted', async () => {
    const { owner, org } = await ownerWithKey('npm_token');
    const refused = unwrapData(await createAgentPost(owner.slug, owner.cookie, { name: 'sneaky' }, ['github_*'], ['npm_token']));
    expect(refused.status).toBe(400);
    expect(refused.data).toMatchObject({
      ok: false,
      fieldErrors: { allowlist: [expect.stringContaining('npm_token')] },
      values: { allowlist: ['github_*'], deliver: ['npm_token'] },
    });
    expect(await prisma.agent.count({ where: { organizationId: org.id } })).toBe(0);
  });
});

describe('last used', () => {
  it('reads "Never used" / "Used 7 minutes ago", with a request that used nothing counting as no use', () => {
    const now = new Date('2026-12-02T10:00:00Z');
    expect(lastUsedText(null, now)).toBe('Never used');
    expect(lastUsedText(new Date('2026-12-02T09:53:00Z'), now)).toBe('Used 7 minutes ago');
    expect(lastUsedText(new Date('2026-12-02T09:59:40Z'), now)).toBe('Used just now');
  });

  it('is the same on the agents list, the agent page and the credential page, from one source each', async () => {
    const { owner, org, credential } = await ownerWithKey('openai');
    const created = unwrapData(await createAgentPost(owner.slug, owner.cookie, { name: 'support-bot' }, ['openai']));
    const { agentId, token } = created.data as { agentId: string; token: string };

    type Lists = { agents: Array<{ id: string; lastUsedAt: Date | null }> };
    type Page = { agent: { lastUsedAt: Date | null }; usages: Array<{ credentialId: string; lastUsedAt: Date }>; tokens: Array<{ lastSeenAt: Date | null }> };
    type Detail = { credential: { lastUsedAt: Date | null }; agents: Array<{ id: string; lastUsedAt: Date | null }> };
    const read = async () => {
      const list = unwrapData(await agentsLoader(args(getRequest(`/orgs/${owner.slug}/agents`, owner.cookie), { orgSlug: owner.slug }))).data as Lists;
      const page = unwrapData(await agentLoader(args(getRequest(`/orgs/${owner.slug}/agents/${agentId}`, owner.cookie), { orgSlug: owner.slug, agentId }))).data as Page;
      const detail = unwrapData(
        await credentialLoader(args(getRequest(`/orgs/${owner.slug}/credentials/${credential.id}`, owner.cookie), { orgSlug: owner.slug, id: credential.id })),
      ).data as Detail;
      const now = new Date();
      const text = (at: Date | null | undefined) => lastUsedText(at ?? null, now);
      return {
        list: text(list.agents.find((a) => a.id === agentId)!.lastUsedAt),
        agentPage: text(page.agent.lastUsedAt),
        agentPageCredential: text(page.usages.find((u) => u.credentialId === credential.id)?.lastUsedAt),
        credentialPage: text(detail.credential.lastUsedAt),
        credentialPageAgent: text(detail.agents.find((a) => a.id === agentId)!.lastUsedAt),
        tokenSeen: page.tokens[0]!.lastSeenAt,
      };
    };

    // The token is seen (an agent API call that used no credential): that is not a use.
    expect(await authenticateAgent(`Bearer ${token}`)).not.toBeNull();
    await vi.waitFor(async () => expect((await prisma.agentToken.findFirstOrThrow({ where: { agentId } })).lastUsedAt).not.toBeNull());
    let seen = await read();
    expect(seen).toMatchObject({ list: 'Never used', agentPage: 'Never used', agentPageCredential: 'Never used', credentialPage: 'Never used', credentialPageAgent: 'Never used' });
    expect(seen.tokenSeen).not.toBeNull();

    // A real use, written by the flush job (ADR 005): every page says the same.
    const usedAt = new Date(Date.now() - 7 * 60_000);
    vi.useFakeTimers({ now: usedAt, toFake: ['Date'] });
    await recordCredentialUse({ id: credential.id, organizationId: org.id }, { id: agentId }, { ip: '192.0.2.4' });
    vi.useRealTimers();
    await flushUsage();
    seen = await read();
    expect(seen).toMatchObject({
      list: 'Used 7 minutes ago',
      agentPage: 'Used 7 minutes ago',
      agentPageCredential: 'Used 7 minutes ago',
      credentialPage: 'Used 7 minutes ago',
      credentialPageAgent: 'Used 7 minutes ago',
    });
  });
});

/** A post as the requirements editor sends it: `requirements.<i>.<field>`, the Optional checkbox only when ticked. */
function requirementsPost(slug: string, cookie: string, agentId: string, rows: Array<{ name: string; service?: string; type?: string; optional?: boolean; description?: string }>) {
  const body = new URLSearchParams({ intent: 'requirements' });
  rows.forEach((row, i) => {
    body.append(`requirements.${i}.name`, row.name);
    body.append(`requirements.${i}.service`, row.service ?? '');
    body.append(`requirements.${i}.type`, row.type ?? '');
    if (row.optional) body.append(`requirements.${i}.optional`, 'true');
    body.append(`requirements.${i}.description`, row.description ?? '');
  });
  const request = new Request(`http://localhost:3000/orgs/${slug}/agents/${agentId}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
    body: body.toString(),
  });
  return settle(() => agentAction(args(request, { orgSlug: slug, agentId })));
}

function agentPost(slug: string, cookie: string, agentId: string, form: Record<string, string>) {
  return settle(() => agentAction(args(postRequest(`/orgs/${slug}/agents/${agentId}`, form, cookie), { orgSlug: slug, agentId })));
}

async function agentPage(slug: string, cookie: string, agentId: string) {
  const page = unwrapData(await agentLoader(args(getRequest(`/orgs/${slug}/agents/${agentId}`, cookie), { orgSlug: slug, agentId })));
  return page.data as { doctor: DoctorReport; requirements: Array<{ name: string; service: string; type: string; optional: boolean; description: string }>; canManage: boolean };
}

async function agentWith(allowlist: string[], requirements: unknown[] = []) {
  const { owner, org, credential } = await ownerWithKey('github_token');
  const agent = await prisma.agent.create({ data: { organizationId: org.id, name: 'release-bot', allowedCredentials: allowlist, requirements: requirements as never } });
  return { owner, org, credential, agentId: agent.id };
}

describe('the requirements editor', () => {
  it('saves the rows in order, audits the change and the doctor checks them', async () => {
    const { owner, org, agentId } = await agentWith(['github_token']);
    const saved = await requirementsPost(owner.slug, owner.cookie, agentId, [
      { name: 'github_token', service: 'github', type: 'api_key', description: 'Opens pull requests' },
      { name: 'openai', service: 'openai', optional: true },
      // A row added and left blank is not a requirement.
      { name: '' },
    ]);
    expect((saved as Response).status).toBe(302);
    expect((saved as Response).headers.get('Location')).toBe(`/orgs/${owner.slug}/agents/${agentId}#requirements`);

    const page = await agentPage(owner.slug, owner.cookie, agentId);
    expect(page.requirements).toEqual([
      { name: 'github_token', service: 'github', type: 'api_key', optional: false, description: 'Opens pull requests' },
      { name: 'openai', service: 'openai', type: '', optional: true, description: '' },
    ]);
    expect(page.doctor.requirements.map((r) => [r.name, r.state, r.required])).toEqual([
      ['github_token', 'ok', true],
      ['openai', 'missing', false],
    ]);
    // The page links to the add form as a path, prefilled; agents get the absolute link from the API.
    expect(page.doctor.requirements[1]!.fixUrl).toMatch(new RegExp(`/orgs/${owner.slug}/credentials/new\\?name=openai&service=openai$`));

    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { organizationId: org.id, action: 'agent.requirements_update' } });
    expect(audit).toMatchObject({ targetId: agentId, details: { name: 'release-bot', requirements: ['github_token', 'openai'], added: ['github_token', 'openai'], removed: [] } });
  });

  it('invalid rows answer 400 with errors under each row and field, keep what was posted, and change nothing', async () => {
    const existing = [{ name: 'github_token', service: 'github', type: 'api_key', optional: false, description: '' }];
    const { owner, org, agentId } = await agentWith(['github_token'], existing);
    const posted = [
      { name: 'github_token', service: 'github', type: 'oauth' },
      { name: 'bad name!', service: 'github' },
      { name: 'github_token', service: 'nope' },
    ];
    const refused = unwrapData(await requirementsPost(owner.slug, owner.cookie, agentId, posted));
    expect(refused.status).toBe(400);
    const { fieldErrors, values } = refused.data as { fieldErrors: Record<string, string[]>; values: Array<{ name: string }> };
    expect(Object.keys(fieldErrors).sort()).toEqual(['requirements.1.name', 'requirements.2.name', 'requirements.2.service'].sort());
    expect(fieldErrors['requirements.2.name']).toEqual(['github_token is listed twice']);
    expect(fieldErrors['requirements.2.service']).toEqual(['Pick a service from the catalog']);
    expect(values.map((v) => v.name)).toEqual(['github_token', 'bad name!', 'github_token']);

    // A type the service does not offer is the type field's error (GitHub offers OAuth; Stripe does not).
    const wrongType = unwrapData(await requirementsPost(owner.slug, owner.cookie, agentId, [{ name: 'stripe_live', service: 'stripe', type: 'oauth' }]));
    expect(wrongType.status).toBe(400);
    expect(wrongType.data).toMatchObject({ fieldErrors: { 'requirements.0.type': [expect.stringContaining('Stripe')] } });

    // The schema's own refusals (no catalog problem) come keyed the same way.
    const badName = unwrapData(await requirementsPost(owner.slug, owner.cookie, agentId, [{ name: 'ok_name' }, { name: 'bad name!' }]));
    expect(badName.status).toBe(400);
    expect(Object.keys((badName.data as { fieldErrors: object }).fieldErrors)).toEqual(['requirements.1.name']);

    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agentId } })).requirements).toEqual(existing);
    expect(await prisma.auditEvent.count({ where: { organizationId: org.id, action: 'agent.requirements_update' } })).toBe(0);
  });

  it('a member sees the list read-only and cannot save: 403 and nothing written', async () => {
    const existing = [{ name: 'github_token', service: 'github', type: 'api_key', optional: false, description: '' }];
    const { owner, agentId } = await agentWith(['github_token'], existing);
    const member = await createMember(owner.slug, 'member');
    const page = await agentPage(owner.slug, member.cookie, agentId);
    expect(page.canManage).toBe(false);
    expect(page.requirements.map((r) => r.name)).toEqual(['github_token']);

    const result = await requirementsPost(owner.slug, member.cookie, agentId, [{ name: 'everything' }]);
    expect((result as Response).status).toBe(403);
    const allow = await agentPost(owner.slug, member.cookie, agentId, { intent: 'allow', name: 'github_token' });
    expect((allow as Response).status).toBe(403);
    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agentId } })).requirements).toEqual(existing);
  });

  it('another organization’s agent answers 404', async () => {
    const { agentId } = await agentWith([]);
    const stranger = await createSignedUpUser();
    const result = await requirementsPost(stranger.slug, stranger.cookie, agentId, [{ name: 'github_token' }]);
    expect((result as Response).status).toBe(404);
  });
});

describe('the doctor’s Allow', () => {
  it('adds the requirement to the allowlist in Proxy mode, audited, and the doctor then reports ok', async () => {
    const { owner, org, agentId } = await agentWith(['openai'], [{ name: 'github_token', service: 'github', type: 'api_key' }]);
    await prisma.agent.update({ where: { id: agentId }, data: { deliverCredentials: ['openai'] } });
    const before = await agentPage(owner.slug, owner.cookie, agentId);
    expect(before.doctor.requirements[0]).toMatchObject({ name: 'github_token', state: 'not_allowed', fixUrl: expect.stringMatching(/#allowlist$/) });
    expect(before.doctor.ok).toBe(false);

    const allowed = await agentPost(owner.slug, owner.cookie, agentId, { intent: 'allow', name: 'github_token' });
    expect((allowed as Response).status).toBe(302);
    const agent = await prisma.agent.findUniqueOrThrow({ where: { id: agentId } });
    expect(agent.allowedCredentials).toEqual(['openai', 'github_token']);
    expect(agent.deliverCredentials).toEqual(['openai']);
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { organizationId: org.id, action: 'agent.update', targetId: agentId } });
    expect(audit.details).toMatchObject({ allowlist: ['openai', 'github_token'] });

    const after = await agentPage(owner.slug, owner.cookie, agentId);
    expect(after.doctor).toMatchObject({ ok: true, requirements: [{ name: 'github_token', state: 'ok', reason: null, fixUrl: null }] });
  });

  it('allows only the agent’s own requirements: any other name changes nothing', async () => {
    const { owner, agentId } = await agentWith([], [{ name: 'github_token' }]);
    const refused = await agentPost(owner.slug, owner.cookie, agentId, { intent: 'allow', name: '*' });
    expect((refused as Response).status).toBe(302);
    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agentId } })).allowedCredentials).toEqual([]);
  });
});

describe('the add-credential form’s ?name=', () => {
  type NewForm = { suggestedName: string; name: string | null; oauth: { suggestedName: string; name: string | null } | null };
  const open = async (slug: string, cookie: string, search: string) =>
    unwrapData(await newCredentialLoader(args(getRequest(`/orgs/${slug}/credentials/new${search}`, cookie), { orgSlug: slug })));

  it('prefills the name on the form, on the OAuth step, and is carried by the type and service steps', async () => {
    const owner = await createSignedUpUser();
    const form = (await open(owner.slug, owner.cookie, '?name=github_token:botty&type=api_key&service=github')).data as NewForm;
    expect(form).toMatchObject({ suggestedName: 'github_token:botty', name: 'github_token:botty' });

    const oauth = (await open(owner.slug, owner.cookie, '?name=gh_oauth&type=oauth&service=github')).data as NewForm;
    expect(oauth.oauth).toMatchObject({ suggestedName: 'gh_oauth', name: 'gh_oauth' });

    const picking = (await open(owner.slug, owner.cookie, '?name=github_token')).data as NewForm;
    expect(picking).toMatchObject({ name: 'github_token' });
  });

  it('an invalid name is ignored: the usual suggestion is offered', async () => {
    const owner = await createSignedUpUser();
    const form = (await open(owner.slug, owner.cookie, `?type=api_key&service=github&name=${encodeURIComponent('<script>')}`)).data as NewForm;
    expect(form).toMatchObject({ suggestedName: 'github_token', name: null });
  });
});
