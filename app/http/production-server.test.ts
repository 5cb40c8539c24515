// The real production web process (server.ts on build/), two replicas on one database: one module graph, revocation at once everywhere, quiet asset logs.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '~/agents/agents.server';
import { systemAuditContext } from '~/audit/audit.server';
import { createTestCredential, createTestOrg, startUpstream, type TestOrg } from '~/api/test-support';
import { createSession } from '~/auth/session.server';
import { prisma } from '~/db.server';
import { createManagementToken, revokeManagementToken } from '~/tokens/management-tokens.server';
import { rotateOrganizationKey } from '~/vault/vault.server';
import { ensureProductionBuild } from '../../test/production-build';
import { startWebProcess, type WebProcess } from '../../test/web-process';

const root = path.resolve(import.meta.dirname, '../..');
const API_KEY = 'sk-upstream-secret-4f1c';

let a: WebProcess;
let b: WebProcess;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let org: TestOrg;
let slug: string;
let cookie: string;

beforeAll(async () => {
  ensureProductionBuild();
  upstream = await startUpstream((req, res) => res.end(JSON.stringify({ key: req.headers['x-api-key'] ?? req.headers.authorization ?? null })));
  org = await createTestOrg({ allowPrivateHosts: true });
  slug = (await prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).slug;
  const { cookie: setCookie } = await createSession(prisma, org.actor.userId!, new Request('http://localhost/'));
  cookie = /(__session=[^;]*)/.exec(setCookie)![1]!;
  [a, b] = await Promise.all([startWebProcess(), startWebProcess()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await upstream?.close();
});

async function agentWithCredential() {
  const name = `key_${Math.random().toString(36).slice(2, 8)}`;
  const credential = await createTestCredential(org, { name, service: 'openai', type: 'api_key', fields: { key: API_KEY }, baseUrl: upstream.url });
  const { agent, token } = await createAgent({ organizationId: org.id, role: 'owner' as const, context: systemAuditContext('test') }, { name: `agent-${name}`, allowedCredentials: [name] });
  return { name, credential, agent, token };
}

async function proxyStatus(replica: WebProcess, name: string, token: string): Promise<number> {
  const response = await fetch(`${replica.url}/api/v1/proxy/${name}/models`, { headers: { Authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

/** Submits the agent page's form on `replica`, as the browser does. */
async function agentPageAction(replica: WebProcess, agentId: string, form: Record<string, string>) {
  const response = await fetch(`${replica.url}/orgs/${slug}/agents/${agentId}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: cookie, Origin: replica.url, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  await response.arrayBuffer();
  expect(response.status, `agent page action ${form.intent}`).toBeLessThan(400);
}

/** Polls until every replica answers `status`; returns the milliseconds that took (0 when the first look already did). */
async function msUntilAll(replicas: WebProcess[], status: number, probe: (r: WebProcess) => Promise<number>, since: number): Promise<number> {
  for (;;) {
    const statuses = await Promise.all(replicas.map(probe));
    const elapsed = performance.now() - since;
    if (statuses.every((s) => s === status)) return elapsed;
    if (elapsed > 3_000) throw new Error(`after ${Math.round(elapsed)} ms the replicas still answer ${statuses.join(', ')}`);
  }
}

describe('one web process', () => {
  it('holds one copy of each stateful module, all from the build (the pages and the agent API share them)', async () => {
    const ready = await a.waitForLog((l) => l.msg === 'web app ready');
    const modules = ready.statefulModules as string[];
    for (const name of ['db/prisma', 'agents/auth-cache', 'api/credential-cache', 'api/sealed-row-cache', 'vault/data-key-cache', 'cluster/invalidation']) {
      expect(modules).toContain(name);
    }
    expect(ready.duplicates).toEqual([]);
    // A second copy would have thrown at load in production and been logged, or stopped the process.
    expect(a.output()).not.toContain('DuplicateModuleError');
  });

  it('a token rotated on the agent page is refused by the proxy of the same process at once', async () => {
    const { name, agent, token } = await agentWithCredential();
    expect(await proxyStatus(a, name, token)).toBe(200);
    await agentPageAction(a, agent.id, { intent: 'rotate' });
    // The page and the proxy share one token cache: the very next request is refused, secret not injected.
    expect(await proxyStatus(a, name, token)).toBe(401);
  });
});

describe('two web replicas on one database', () => {
  it('an agent token revoked through one replica is refused by both within 200 ms', async () => {
    const { name, agent, token } = await agentWithCredential();
    // Both replicas have the token in their caches.
    expect([await proxyStatus(a, name, token), await proxyStatus(b, name, token)]).toEqual([200, 200]);
    const tokenRow = await prisma.agentToken.findFirstOrThrow({ where: { agentId: agent.id, revokedAt: null } });

    await agentPageAction(a, agent.id, { intent: 'revoke', tokenId: tokenRow.id });
    const returned = performance.now();
    const ms = await msUntilAll([a, b], 401, (r) => proxyStatus(r, name, token), returned);
    console.info(`revocation refused by both replicas ${ms.toFixed(1)} ms after the action returned`);
    expect(ms).toBeLessThan(200);
  });

  it('a management token revoked by another process is refused by both replicas within 200 ms; no value reaches either log', async () => {
    const manager = { organizationId: org.id, userId: org.actor.userId, role: 'owner' as const, context: systemAuditContext('test') };
    const { token, view } = await createManagementToken(manager, { name: 'replicas', role: 'admin', reveal: true });
    const canary = `ghp_${crypto.randomBytes(16).toString('hex')}`;
    const name = `mgmt_${crypto.randomBytes(3).toString('hex')}`;
    const api = (replica: WebProcess, path: string, init: RequestInit = {}) =>
      fetch(`${replica.url}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    const created = await api(a, '/credentials', { method: 'POST', body: JSON.stringify({ name, service: 'github', type: 'api_key', fields: { key: canary } }) });
    expect(created.status).toBe(201);
    // A refused value (wrong format) and a refused body (bad JSON) carrying the canary: the errors never repeat it.
    const refused = await api(b, '/credentials', { method: 'POST', body: JSON.stringify({ name: `${name}_2`, service: 'github', type: 'api_key', fields: { key: `${canary}!` } }) });
    expect(refused.status).toBe(400);
    expect(await refused.text()).not.toContain(canary);
    const broken = await api(a, '/credentials', { method: 'POST', body: `{"fields":{"key":"${canary}"` });
    expect(await broken.text()).not.toContain(canary);
    const revealed = await api(b, `/credentials/${name}/reveal`, { method: 'POST' });
    expect(((await revealed.json()) as { fields: { key: string } }).fields.key).toBe(canary);

    const status = async (replica: WebProcess) => (await api(replica, '/me')).status;
    expect([await status(a), await status(b)]).toEqual([200, 200]);
    await revokeManagementToken(manager, view.id);
    const ms = await msUntilAll([a, b], 401, status, performance.now());
    console.info(`management token refused by both replicas ${ms.toFixed(1)} ms after the revocation committed`);
    expect(ms).toBeLessThan(200);
    for (const replica of [a, b]) expect(replica.output()).not.toContain(canary);
  });

  it('a credential disconnected by any writer stops being injected on both replicas within 200 ms', async () => {
    const { name, credential, token } = await agentWithCredential();
    expect([await proxyStatus(a, name, token), await proxyStatus(b, name, token)]).toEqual([200, 200]);

    // Straight through the database, as the worker or a script would: every writer reaches every replica.
    await prisma.credential.update({ where: { id: credential.id }, data: { status: 'disconnected', statusReason: 'Disconnected by a test' } });
    const committed = performance.now();
    const ms = await msUntilAll([a, b], 409, (r) => proxyStatus(r, name, token), committed);
    console.info(`credential status change seen by both replicas ${ms.toFixed(1)} ms after it committed`);
    expect(ms).toBeLessThan(200);
  });

  it('an organization key rotation empties the data-key cache of both replicas within 200 ms', async () => {
    const { name, token } = await agentWithCredential();
    // Opening the secret puts the organization's data key in each replica's cache.
    expect([await proxyStatus(a, name, token), await proxyStatus(b, name, token)]).toEqual([200, 200]);

    const started = Date.now();
    await rotateOrganizationKey(slug, { enqueue: async () => {} });
    const returned = Date.now();
    const seen = (line: { msg: string; topic?: unknown; organizationId?: unknown }) =>
      line.msg === 'cache invalidated' && line.topic === 'data-keys' && line.organizationId === org.id;
    const [lineA, lineB] = await Promise.all([a.waitForLog(seen, 3_000), b.waitForLog(seen, 3_000)]);
    for (const line of [lineA, lineB]) expect(line.time).toBeGreaterThanOrEqual(started);
    const ms = Math.max(lineA.time, lineB.time) - returned;
    // The replicas' handlers may run before the test's own Prisma call has returned: that reads as 'before'.
    console.info(`key rotation applied by both replicas ${ms <= 0 ? 'before' : `${ms} ms after`} rotateOrganizationKey returned`);
    expect(ms).toBeLessThan(200);
    // The replicas keep serving with the new key version in place.
    expect([await proxyStatus(a, name, token), await proxyStatus(b, name, token)]).toEqual([200, 200]);
  });
});

describe('proposals across replicas', () => {
  it('an agent long-polling on one replica is answered within a second of an approval through the other, and uses the credential at once', async () => {
    const { agent, token } = await createAgent({ organizationId: org.id, role: 'owner' as const, context: systemAuditContext('test') }, { name: `asker-${crypto.randomBytes(3).toString('hex')}` });
    const name = `asked_${crypto.randomBytes(3).toString('hex')}`;
    const asAgent = (replica: WebProcess, path: string, init: RequestInit = {}) =>
      fetch(`${replica.url}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    // The agent's token is in both replicas' caches; the credential does not exist yet.
    expect(await proxyStatus(a, name, token)).toBe(404);
    expect(await proxyStatus(b, name, token)).toBe(404);
    const made = await asAgent(a, '/proposals', {
      method: 'POST',
      body: JSON.stringify({ message: 'Models', credentials: [{ name, service: 'openai', type: 'api_key', baseUrl: upstream.url }] }),
    });
    expect(made.status).toBe(201);
    const { id } = (await made.json()) as { id: string };
    const waiting = asAgent(a, `/proposals/${id}?wait=30`).then(async (r) => ({ at: performance.now(), body: (await r.json()) as { status: string } }));
    await new Promise((resolve) => setTimeout(resolve, 300));

    const manager = { organizationId: org.id, userId: org.actor.userId, role: 'owner' as const, context: systemAuditContext('test') };
    const { token: management } = await createManagementToken(manager, { name: 'approver', role: 'admin', reveal: false });
    const approved = await fetch(`${b.url}/api/v1/proposals/${id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${management}`, 'content-type': 'application/json' },
      body: JSON.stringify({ values: { [name]: { key: API_KEY } } }),
    });
    const returned = performance.now();
    expect(approved.status).toBe(200);
    const answer = await waiting;
    expect(answer.body.status).toBe('approved');
    const ms = answer.at - returned;
    console.info(`long poll on the other replica answered ${ms <= 0 ? 'before' : `${ms.toFixed(0)} ms after`} the approval returned`);
    expect(ms).toBeLessThan(1_000);
    // The grant reached both replicas' agent caches.
    const granted = await msUntilAll([a, b], 200, (r) => proxyStatus(r, name, token), returned);
    expect(granted).toBeLessThan(200);
    expect(agent.allowedCredentials).toEqual([]);
  });
});

describe('request logs', () => {
  it('static asset requests are logged at debug, pages and API calls at info', async () => {
    const asset = fs.readdirSync(path.join(root, 'build/client/assets')).find((f) => f.endsWith('.js'))!;
    const logo = fs.readdirSync(path.join(root, 'build/client/logos'))[0]!;
    for (const p of [`/assets/${asset}`, `/logos/${logo}`, '/login']) {
      const response = await fetch(`${a.url}${p}`);
      await response.arrayBuffer();
      expect(response.status, p).toBe(200);
    }
    const lineFor = (p: string) => a.waitForLog((l) => (l.req as { path?: string } | undefined)?.path === p);
    expect((await lineFor(`/assets/${asset}`)).level).toBe(20);
    expect((await lineFor(`/logos/${logo}`)).level).toBe(20);
    expect((await lineFor('/login')).level).toBe(30);
  });
});
