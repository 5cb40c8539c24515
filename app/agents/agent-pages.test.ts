// The agents pages through their loaders and actions: a created agent's form is not resubmitted, allowlist entries that match nothing are warned about, entries posted in Deliver mode are stored and shown, and "last used" reads the same on the agents list, the agent page and the credential page.
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
import { lastUsedText } from '~/usage/last-used';
import { closeUsageStore, flushUsage } from '~/usage/store.server';
import { recordCredentialUse } from '~/usage/usage.server';
import { authenticateAgent, unmatchedAllowlistEntries } from './agents.server';

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
