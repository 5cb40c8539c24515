// Cache invalidation across processes: what the triggers send, when it is delivered, and what a lost connection does.
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestAgent, createTestOrg } from '~/api/test-support';
import { systemAuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import { authenticateManagementToken, createManagementToken } from '~/tokens/management-tokens.server';
import { testDatabaseUrl } from '../../test/db';
import {
  INVALIDATION_TOPICS,
  onInvalidation,
  publishInvalidation,
  startInvalidationListener,
  type Invalidation,
  type InvalidationListener,
  type InvalidationTopic,
} from './invalidation.server';
import { DuplicateModuleError, duplicateStatefulModules, registerStatefulModule } from './stateful-modules.server';

const received: Invalidation[] = [];
for (const topic of INVALIDATION_TOPICS) onInvalidation(topic, (event) => received.push(event));

let listener: InvalidationListener;

beforeAll(async () => {
  listener = startInvalidationListener({ databaseUrl: testDatabaseUrl(), logger: pino({ level: 'silent' }), minRetryMs: 20, maxRetryMs: 100 });
  await listener.ready;
});

afterAll(async () => {
  await listener?.close();
});

/** Resolves with the first event after now that `match` accepts. */
function next(match: (event: Invalidation) => boolean, timeoutMs = 3_000): Promise<Invalidation> {
  const start = received.length;
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const found = received.slice(start).find(match);
      if (found) {
        clearInterval(timer);
        clearTimeout(deadline);
        resolve(found);
      }
    }, 2);
    const deadline = setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`no matching invalidation within ${timeoutMs} ms (saw ${JSON.stringify(received.slice(start))})`));
    }, timeoutMs);
  });
}

const is = (topic: InvalidationTopic, organizationId: string | null) => (e: Invalidation) => e.topic === topic && e.organizationId === organizationId;

/** A credential row written straight to the table (the triggers watch the table, whoever writes it). */
function insertCredential(organizationId: string, name: string) {
  return prisma.credential.create({ data: { organizationId, name, service: 'openai', type: 'api_key' } });
}

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('cache invalidation', () => {
  it('a credential change made by any connection reaches this process only once it commits', async () => {
    const org = await createTestOrg();
    const credential = await insertCredential(org.id, 'inv_key');
    await withClient(async (client) => {
      await client.query('BEGIN');
      await client.query(`UPDATE "Credential" SET status = 'disconnected' WHERE id = $1`, [credential.id]);
      // Another transaction that commits first is delivered first: the uncommitted change has told nobody.
      const before = received.length;
      const sentinel = next(is('agents', org.id));
      await withClient((other) => other.query(`SELECT latchkey_invalidate('agents', $1)`, [org.id]));
      await sentinel;
      expect(received.slice(before).some(is('credentials', org.id))).toBe(false);
      const delivered = next(is('credentials', org.id));
      await client.query('COMMIT');
      await delivered;
    });
  });

  it('revoking a token, changing an allowlist and rotating a data key each notify their topic', async () => {
    const org = await createTestOrg();
    const { agent } = await createTestAgent(org, ['a']);
    let seen = next(is('agents', null));
    await prisma.agentToken.updateMany({ where: { agentId: agent.id }, data: { revokedAt: new Date() } });
    await seen;
    seen = next(is('agents', org.id));
    await prisma.agent.update({ where: { id: agent.id }, data: { allowedCredentials: ['b'] } });
    await seen;
    seen = next(is('data-keys', org.id));
    await prisma.organization.update({ where: { id: org.id }, data: { activeKeyVersion: { increment: 1 } } });
    await seen;
  });

  it('a management token revoked by any connection, or its creator demoted, is refused by this process at once', async () => {
    const org = await createTestOrg();
    const actor = { organizationId: org.id, userId: org.actor.userId, role: 'owner' as const, context: systemAuditContext('test') };
    const { token, view } = await createManagementToken(actor, { name: 'replica check', role: 'admin' });
    expect((await authenticateManagementToken(token))?.role).toBe('admin');
    // Another process revokes it: raw SQL, as if from another replica (this one's cache still holds the token).
    let seen = next(is('api-tokens', org.id));
    await withClient((client) => client.query(`UPDATE "ManagementToken" SET "revokedAt" = now() WHERE id = $1`, [view.id]));
    await seen;
    expect(await authenticateManagementToken(token)).toBeNull();

    const second = await createManagementToken(actor, { name: 'demotion check', role: 'admin' });
    expect((await authenticateManagementToken(second.token))?.role).toBe('admin');
    seen = next(is('api-tokens', org.id));
    await withClient((client) => client.query(`UPDATE "Membership" SET role = 'viewer' WHERE "organizationId" = $1 AND "userId" = $2`, [org.id, org.actor.userId]));
    await seen;
    expect((await authenticateManagementToken(second.token))?.role).toBe('viewer');
  });

  it('a token refresh (new OAuth version and expiry) and a last-used update notify nobody', async () => {
    const org = await createTestOrg();
    const retyped = next(is('credentials', org.id));
    // One transaction: its identical notifications fold into one.
    const credential = await prisma.$transaction(async (tx) => {
      const row = await tx.credential.create({ data: { organizationId: org.id, name: 'inv_quiet', service: 'openai', type: 'api_key' } });
      return tx.credential.update({ where: { id: row.id }, data: { type: 'oauth' } });
    });
    await retyped;
    const before = received.length;
    await prisma.credential.update({
      where: { id: credential.id },
      data: { version: { increment: 1 }, expiresAt: new Date(Date.now() + 3_600_000), lastRefreshedAt: new Date(), lastUsedAt: new Date() },
    });
    // Notifications arrive in commit order: once this sentinel is here, anything the update sent would be too.
    const sentinel = next(is('agents', 'sentinel'));
    await withClient((client) => client.query(`SELECT latchkey_invalidate('agents', 'sentinel')`));
    await sentinel;
    expect(received.slice(before).filter(is('credentials', org.id))).toEqual([]);
  });

  it('publishInvalidation in a transaction that rolls back tells no other process', async () => {
    const org = await createTestOrg();
    const local: Invalidation[] = [];
    onInvalidation('credentials', (e) => e.organizationId === org.id && local.push(e));
    await prisma
      .$transaction(async (tx) => {
        await publishInvalidation(tx, 'credentials', org.id);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    // This process dropped its own cache at once (harmless); the notification itself never left.
    expect(local).toHaveLength(1);
    const before = received.length;
    const sentinel = next(is('agents', 'sentinel-2'));
    await withClient((client) => client.query(`SELECT latchkey_invalidate('agents', 'sentinel-2')`));
    await sentinel;
    expect(received.slice(before).filter(is('credentials', org.id))).toEqual([]);
  });

  it('after losing its connection the listener reconnects, clears every cache, and hears changes again', async () => {
    const pid = listener.backendPid();
    expect(pid).not.toBeNull();
    const cleared = Promise.all([next(is('agents', null)), next(is('credentials', null)), next(is('data-keys', null))]);
    await withClient((client) => client.query('SELECT pg_terminate_backend($1)', [pid]));
    await cleared;
    const deadline = Date.now() + 5_000;
    while ((!listener.listening() || listener.backendPid() === pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(listener.backendPid()).not.toBe(pid);
    const org = await createTestOrg();
    const heard = next(is('agents', org.id));
    await prisma.organization.update({ where: { id: org.id }, data: { allowPrivateHosts: true } });
    await heard;
  });
});

describe('one instance of each stateful module', () => {
  it('a second copy of a stateful module is refused in production and reported elsewhere', () => {
    const name = `test/module-${Math.random().toString(36).slice(2)}`;
    registerStatefulModule(name, 'file:///build/server/index.js');
    const previous = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(() => registerStatefulModule(name, 'file:///app/agents/agents.server.ts')).toThrow(DuplicateModuleError);
    } finally {
      process.env.NODE_ENV = previous;
    }
    expect(duplicateStatefulModules().find((d) => d.name === name)?.urls).toEqual(['file:///build/server/index.js', 'file:///app/agents/agents.server.ts']);
  });

  it('the modules this test loaded are each loaded once', () => {
    expect(duplicateStatefulModules().filter((d) => !d.name.startsWith('test/'))).toEqual([]);
  });
});
