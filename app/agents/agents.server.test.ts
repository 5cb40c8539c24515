// Agent services against the real database: token format and hashing, authentication, rotation, allowlist matches.
import { describe, expect, it } from 'vitest';
import { agentsDependingOn, authenticateAgent, createAgent, hashToken, matchesAllowlist, revokeAgentToken, rotateAgentToken } from '~/agents/agents.server';
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
