// Agent services against the real database: token format and hashing, authentication, rotation, allowlist matches, delivery grants.
import { describe, expect, it } from 'vitest';
import {
  agentByName,
  agentsDependingOn,
  authenticateAgent,
  createAgent,
  hashToken,
  matchesAllowlist,
  revokeAgentToken,
  revokeAgentTokenByPrefix,
  rotateAgentToken,
  updateAgent,
} from '~/agents/agents.server';
import { fromAllowlistEntries, mayDeliver, toAllowlistEntries } from '~/agents/allowlist';
import { systemAuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import { createTestOrg } from '../api/test-support';

describe('agent tokens', () => {
  it('are lk_ + 32 random bytes in base64url, stored only as their SHA-256', async () => {
    const org = await createTestOrg();
    const { agent, token } = await createAgent({ organizationId: org.id, role: 'owner' as const, context: systemAuditContext('test') }, { name: 'builder', allowedCredentials: ['a'] });

    expect(token).toMatch(/^lk_[A-Za-z0-9_-]{43}$/);
    const rows = await prisma.agentToken.findMany({ where: { agentId: agent.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(rows)).not.toContain(token.slice(3));
    expect((await authenticateAgent(`Bearer ${token}`))?.id).toBe(agent.id);
    expect(await authenticateAgent(`Bearer ${token}x`)).toBeNull();
    expect(await authenticateAgent(undefined)).toBeNull();
  });

  it('rotation revokes the old token; revocation stops the new one at once', async () => {
    const org = await createTestOrg();
    const actor = { organizationId: org.id, role: 'owner' as const, context: systemAuditContext('test') };
    const { agent, token } = await createAgent(actor, { name: 'rotator' });
    await authenticateAgent(`Bearer ${token}`);
    const rotated = await rotateAgentToken(actor, agent.id);
    expect(await authenticateAgent(`Bearer ${token}`)).toBeNull();
    const live = await prisma.agentToken.findFirstOrThrow({ where: { agentId: agent.id, revokedAt: null } });
    await revokeAgentToken(actor, agent.id, live.id);
    expect(await authenticateAgent(`Bearer ${rotated.token}`)).toBeNull();
    const actions = await prisma.auditEvent.findMany({ where: { organizationId: org.id }, select: { action: true } });
    expect(actions.map((a) => a.action).sort()).toEqual(['agent.create', 'agent.token_revoke', 'agent.token_rotate']);
  });

  it('another organization cannot rotate an agent it does not own', async () => {
    const org = await createTestOrg();
    const other = await createTestOrg();
    const { agent } = await createAgent({ organizationId: org.id, role: 'owner' as const, context: systemAuditContext('test') }, { name: 'mine' });
    await expect(rotateAgentToken({ organizationId: other.id, role: 'owner' as const, context: systemAuditContext('test') }, agent.id)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a duplicate name is a field error', async () => {
    const org = await createTestOrg();
    const actor = { organizationId: org.id, role: 'owner' as const, context: systemAuditContext('test') };
    await createAgent(actor, { name: 'twin' });
    await expect(createAgent(actor, { name: 'twin' })).rejects.toMatchObject({ code: 'conflict', fieldErrors: { name: [expect.any(String)] } });
    await expect(createAgent(actor, { name: '', allowedCredentials: ['bad pattern!'] })).rejects.toMatchObject({ code: 'validation' });
  });
});

describe('allowlists', () => {
  it('match exact names and * wildcards only', () => {
    expect(matchesAllowlist(['github_*'], 'github_prod')).toBe(true);
    expect(matchesAllowlist(['github_*'], 'gitlab_prod')).toBe(false);
    expect(matchesAllowlist(['openai'], 'openai-2')).toBe(false);
    expect(matchesAllowlist(['*'], 'anything')).toBe(true);
    expect(matchesAllowlist(['a.b'], 'axb')).toBe(false);
  });

  it('agentsDependingOn counts the organization’s agents whose allowlist covers the credential', async () => {
    const org = await createTestOrg();
    const other = await createTestOrg();
    const actor = { organizationId: org.id, role: 'owner' as const, context: systemAuditContext('test') };
    await createAgent(actor, { name: 'a1', allowedCredentials: ['github_*'] });
    await createAgent(actor, { name: 'a2', allowedCredentials: ['github_prod'] });
    await createAgent(actor, { name: 'a3', allowedCredentials: ['openai'] });
    await createAgent({ organizationId: other.id, role: 'owner' as const, context: systemAuditContext('test') }, { name: 'b1', allowedCredentials: ['*'] });

    const agents = await agentsDependingOn({ organizationId: org.id, name: 'github_prod' });
    expect(agents.map((a) => a.name)).toEqual(['a1', 'a2']);
  });
});

describe('delivery grants', () => {
  const actorOf = (organizationId: string) => ({ organizationId, role: 'owner' as const, context: systemAuditContext('test') });

  it('a pattern set to Deliver must be in the allowlist: a field error naming it, nothing written', async () => {
    const org = await createTestOrg();
    await expect(
      createAgent(actorOf(org.id), { name: 'leaky', allowedCredentials: ['github_*'], deliverCredentials: ['github_*', 'openai'] }),
    ).rejects.toMatchObject({ code: 'validation', fieldErrors: { deliverCredentials: [expect.stringContaining('openai')] } });
    expect(await prisma.agent.count({ where: { organizationId: org.id } })).toBe(0);

    const { agent } = await createAgent(actorOf(org.id), { name: 'cli-bot', allowedCredentials: ['github_*', 'openai'], deliverCredentials: ['openai'] });
    // Dropping a delivered pattern from the allowlist while still delivering it is refused too.
    await expect(updateAgent(actorOf(org.id), agent.id, { name: 'cli-bot', allowedCredentials: ['github_*'], deliverCredentials: ['openai'] })).rejects.toMatchObject({
      code: 'validation',
      fieldErrors: { deliverCredentials: [expect.stringContaining('“openai”')] },
    });
    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agent.id } })).deliverCredentials).toEqual(['openai']);
  });

  it('a change of delivered patterns writes agent.delivery_change with what was added and removed; other edits do not', async () => {
    const org = await createTestOrg();
    const actor = actorOf(org.id);
    const { agent } = await createAgent(actor, { name: 'deployer', allowedCredentials: ['aws_*', 'npm', 'openai'], deliverCredentials: ['npm'] });
    await updateAgent(actor, agent.id, { name: 'deployer', allowedCredentials: ['aws_*', 'npm', 'openai'], deliverCredentials: ['aws_*', 'openai'] });
    await updateAgent(actor, agent.id, { name: 'deployer', description: 'Ships', allowedCredentials: ['aws_*', 'npm', 'openai'], deliverCredentials: ['openai', 'aws_*'] });

    const events = await prisma.auditEvent.findMany({ where: { organizationId: org.id }, orderBy: { seq: 'asc' }, select: { action: true, details: true } });
    expect(events.map((e) => e.action)).toEqual(['agent.create', 'agent.update', 'agent.delivery_change', 'agent.update']);
    expect(events[0]!.details).toMatchObject({ allowlist: ['aws_*', 'npm', 'openai'], deliver: ['npm'] });
    expect(events[1]!.details).toMatchObject({ deliver: ['aws_*', 'openai'] });
    expect(events[2]!.details).toEqual({ name: 'deployer', added: ['aws_*', 'openai'], removed: ['npm'] });
  });

  it('authentication carries the delivered patterns, and a mode change is seen at once after the update', async () => {
    const org = await createTestOrg();
    const actor = actorOf(org.id);
    const { agent, token } = await createAgent(actor, { name: 'reader', allowedCredentials: ['github_prod', 'openai'] });
    expect(await authenticateAgent(`Bearer ${token}`)).toMatchObject({ allowedCredentials: ['github_prod', 'openai'], deliverCredentials: [] });

    await updateAgent(actor, agent.id, { name: 'reader', allowedCredentials: ['github_prod', 'openai'], deliverCredentials: ['openai'] });
    const granted = await authenticateAgent(`Bearer ${token}`);
    expect(granted?.deliverCredentials).toEqual(['openai']);
    expect(mayDeliver(granted!.deliverCredentials, 'openai')).toBe(true);
    expect(mayDeliver(granted!.deliverCredentials, 'github_prod')).toBe(false);

    await updateAgent(actor, agent.id, { name: 'reader', allowedCredentials: ['github_prod', 'openai'], deliverCredentials: [] });
    expect((await authenticateAgent(`Bearer ${token}`))?.deliverCredentials).toEqual([]);
  });

  it('entries and columns convert both ways, in allowlist order', () => {
    const columns = { allowedCredentials: ['github_*', 'openai', 'npm'], deliverCredentials: ['npm', 'github_*'] };
    const entries = toAllowlistEntries(columns.allowedCredentials, columns.deliverCredentials);
    expect(entries).toEqual([
      { credential: 'github_*', mode: 'deliver' },
      { credential: 'openai', mode: 'proxy' },
      { credential: 'npm', mode: 'deliver' },
    ]);
    expect(fromAllowlistEntries(entries)).toEqual({ allowedCredentials: ['github_*', 'openai', 'npm'], deliverCredentials: ['github_*', 'npm'] });
    expect(mayDeliver(['github_*'], 'github_prod')).toBe(true);
  });
});

describe('agents by name, tokens by prefix', () => {
  it('agentByName answers the agent page’s shape in its own organization only', async () => {
    const org = await createTestOrg();
    const other = await createTestOrg();
    const actor = { organizationId: org.id, role: 'owner' as const, context: systemAuditContext('test') };
    const { agent } = await createAgent(actor, { name: 'named-bot', allowedCredentials: ['openai'], deliverCredentials: ['openai'] });
    const found = await agentByName(org.id, 'named-bot');
    expect(found).toMatchObject({ id: agent.id, deliverCredentials: ['openai'], tokens: [expect.objectContaining({ prefix: expect.stringMatching(/^lk_/) })], usages: [] });
    await expect(agentByName(other.id, 'named-bot')).rejects.toMatchObject({ code: 'not_found' });
    await expect(agentByName(org.id, 'nobody')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('revokeAgentTokenByPrefix stops that token at once; an unknown prefix or another agent’s is not found', async () => {
    const org = await createTestOrg();
    const actor = { organizationId: org.id, role: 'owner' as const, context: systemAuditContext('test') };
    const { agent, token } = await createAgent(actor, { name: 'prefixed' });
    const { agent: sibling } = await createAgent(actor, { name: 'sibling' });
    const prefix = token.slice(0, 9);
    expect(await authenticateAgent(`Bearer ${token}`)).not.toBeNull();
    await expect(revokeAgentTokenByPrefix(actor, sibling.id, prefix)).rejects.toMatchObject({ code: 'not_found' });
    await expect(revokeAgentTokenByPrefix(actor, agent.id, 'lk_nope00')).rejects.toMatchObject({ code: 'not_found' });
    await revokeAgentTokenByPrefix(actor, agent.id, prefix);
    expect(await authenticateAgent(`Bearer ${token}`)).toBeNull();
    const revoke = await prisma.auditEvent.findFirstOrThrow({ where: { organizationId: org.id, action: 'agent.token_revoke' } });
    expect(revoke.details).toMatchObject({ name: 'prefixed', prefix });
  });
});
