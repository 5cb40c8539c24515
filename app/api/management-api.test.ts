// The management and agent API against a real server: every endpoint's happy path, validation, roles, isolation, idempotency and version conflicts, each answer checked against the OpenAPI document.
import crypto from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemAuditContext } from '~/audit/audit.server';
import { verifyAuditChain } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import { readConnectTicket } from '~/oauth/terminal-connect.server';
import type { Role } from '~/orgs/roles';
import { closeQueues } from '~/queue/queue.server';
import { createManagementToken, revokeManagementToken } from '~/tokens/management-tokens.server';
import { uniqueEmail } from '../../test/db';
import { endpoints } from './endpoints.server';
import { openApiDocument } from './openapi.server';
import { createTestAgent, createTestCredential, createTestOrg, startApiServer, type Listening, type TestOrg } from './test-support';

const CANARY = `canary_${crypto.randomBytes(12).toString('hex')}`;
const document = openApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ $id: 'openapi', components: document.components });
const validators = new Map<string, ReturnType<typeof ajv.compile>>();

/** A response schema of the document, its $refs pointing into the document's components. */
function compiled(schema: unknown) {
  const text = JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/');
  let validate = validators.get(text);
  if (!validate) validators.set(text, (validate = ajv.compile(JSON.parse(text))));
  return validate;
}

let api: Listening;
let org: TestOrg;
let other: TestOrg;
const tokens = {} as Record<Role | 'revealer' | 'otherOrg', string>;
/** Operation ids and statuses the tests saw, to prove every endpoint was exercised. */
const seen = new Map<string, Set<number>>();
/** Every response body this file received, to search for the canary. */
const bodies: { path: string; text: string }[] = [];

function operationFor(method: string, path: string): { id: string; responses: Record<string, { content?: Record<string, { schema: unknown }> }> } | null {
  const pathname = path.split('?')[0]!;
  for (const [template, item] of Object.entries(document.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const op = (item as unknown as Record<string, { operationId: string; responses: never }>)[method.toLowerCase()];
    if (pattern.test(pathname) && op) return { id: op.operationId, responses: op.responses };
  }
  return null;
}

interface Call {
  status: number;
  body: any;
  headers: Headers;
  text: string;
}

/** Calls the API and checks the answer against the document: a documented status with a body of its schema. */
async function call(method: string, path: string, options: { token?: string; json?: unknown; form?: FormData; headers?: Record<string, string>; raw?: string } = {}): Promise<Call> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) body = options.form;
  else if (options.raw !== undefined) body = options.raw;
  const response = await fetch(`${api.url}/api/v1${path}`, { method, headers, body });
  const text = await response.text();
  bodies.push({ path, text });
  const op = operationFor(method, path);
  expect(op, `${method} ${path} is in the OpenAPI document`).not.toBeNull();
  const documented = op!.responses[String(response.status)];
  expect(documented, `${method} ${path} answered ${response.status}, which the document lists (${Object.keys(op!.responses).join(', ')}): ${text.slice(0, 200)}`).toBeDefined();
  let parsed: unknown = null;
  const schema = documented!.content?.['application/json']?.schema;
  if (schema) {
    parsed = JSON.parse(text);
    const validate = compiled(schema);
    const ok = validate(parsed);
    expect(ok, `${method} ${path} ${response.status} matches its schema: ${JSON.stringify(validate.errors)?.slice(0, 500)}`).toBe(true);
  }
  (seen.get(op!.id) ?? seen.set(op!.id, new Set()).get(op!.id)!).add(response.status);
  return { status: response.status, body: parsed, headers: response.headers, text };
}

async function memberToken(target: TestOrg, role: Role, options: { reveal?: boolean } = {}): Promise<string> {
  const user = await prisma.user.create({ data: { email: uniqueEmail(role), name: `A ${role}`, passwordHash: 'x' } });
  await prisma.membership.create({ data: { organizationId: target.id, userId: user.id, role } });
  // Created for that person as the admin script does (any member may hold one); authentication caps it at their role.
  const { token } = await createManagementToken(
    { organizationId: target.id, userId: user.id, role: 'owner', context: systemAuditContext('test') },
    { name: `${role} token`, role, reveal: options.reveal ?? false },
  );
  return token;
}

function githubKey(): string {
  return `ghp_${crypto.randomBytes(16).toString('hex')}`;
}

beforeAll(async () => {
  api = await startApiServer();
  org = await createTestOrg();
  other = await createTestOrg();
  for (const role of ['owner', 'admin', 'member', 'viewer'] as const) tokens[role] = await memberToken(org, role);
  tokens.revealer = await memberToken(org, 'admin', { reveal: true });
  tokens.otherOrg = await memberToken(other, 'owner', { reveal: true });
}, 60_000);

afterAll(async () => {
  await closeQueues();
  await api.close();
});

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document by a real validator', async () => {
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? [], JSON.stringify(result.errors)?.slice(0, 800)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
  });

  it('is served at /api/v1/openapi.json without a token and lists every endpoint', async () => {
    const response = await fetch(`${api.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const served = (await response.json()) as typeof document;
    for (const endpoint of endpoints) {
      const path = endpoint.path.replace(/:([A-Za-z]+)/g, '{$1}');
      expect(served.paths[path as keyof typeof served.paths]?.[endpoint.method as never], `${endpoint.method} ${path}`).toBeDefined();
    }
  });
});

describe('tokens and errors', () => {
  it('a missing, unknown or revoked token is 401 with { code, message }', async () => {
    expect((await call('GET', '/credentials')).body).toMatchObject({ code: 'unauthorized' });
    expect((await call('GET', '/credentials', { token: 'lkm_nope' })).status).toBe(401);
    const user = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.id, role: 'owner' } });
    const { token, view } = await createManagementToken({ organizationId: org.id, userId: user.userId, role: 'owner', context: systemAuditContext('test') }, { name: 'short-lived', role: 'viewer' });
    expect((await call('GET', '/me', { token })).status).toBe(200);
    await revokeManagementToken({ organizationId: org.id, userId: user.userId, role: 'owner', context: systemAuditContext('test') }, view.id);
    expect((await call('GET', '/me', { token })).status).toBe(401);
  });

  it('GET /me says what the token is', async () => {
    const me = await call('GET', '/me', { token: tokens.admin });
    expect(me.body).toMatchObject({ kind: 'management', token: { role: 'admin', reveal: false }, agent: null });
    const { token } = await createTestAgent(org, ['*']);
    expect((await call('GET', '/me', { token })).body).toMatchObject({ kind: 'agent', token: { role: null } });
  });

  it('bad JSON is 400 bad_json, another content type 415, a wrong shape 400 with fields; nothing is created', async () => {
    const before = await prisma.credential.count({ where: { organizationId: org.id } });
    expect((await call('POST', '/credentials', { token: tokens.owner, raw: '{"name":', headers: { 'content-type': 'application/json' } })).body.code).toBe('bad_json');
    expect((await call('POST', '/credentials', { token: tokens.owner, raw: 'name=x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    const shape = await call('POST', '/credentials', { token: tokens.owner, json: { name: 42, service: 'github', type: 'api_key' } });
    expect(shape.status).toBe(400);
    expect(shape.body.fields.name).toBeDefined();
    const nul = await call('POST', '/credentials', { token: tokens.owner, json: { name: 'a\u0000b', service: 'github', type: 'api_key', fields: { key: githubKey() } } });
    expect(nul.status).toBe(400);
    expect(await prisma.credential.count({ where: { organizationId: org.id } })).toBe(before);
  });
});

describe('services', () => {
  it('lists the catalog with fields, format checks and environment variables', async () => {
    const { body } = await call('GET', '/services', { token: tokens.viewer });
    const github = body.services.find((s: { id: string }) => s.id === 'github');
    expect(github.env.value).toEqual(['GITHUB_TOKEN', 'GH_TOKEN']);
    const key = github.types.find((t: { type: string }) => t.type === 'api_key').fields[0];
    expect(key).toMatchObject({ name: 'key', secret: true, patternMessage: expect.stringMatching(/ghp_/) });
    expect(new RegExp(key.pattern).test(githubKey())).toBe(true);
    expect((await call('GET', '/services/openai', { token: tokens.viewer })).body.env.baseUrl).toEqual({ name: 'OPENAI_BASE_URL', path: '' });
    expect((await call('GET', '/services/nope', { token: tokens.viewer })).status).toBe(404);
  });
});

describe('credentials', () => {
  it('create, read, list with filters and cursors, rename, replace with a version, delete', async () => {
    const name = `gh_${crypto.randomBytes(3).toString('hex')}`;
    const created = await call('POST', '/credentials', { token: tokens.admin, json: { name, service: 'github', type: 'api_key', description: 'CI', fields: { key: githubKey() } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, service: 'github', type: 'api_key', status: 'active', version: 1, mode: null, baseUrl: 'https://api.github.com' });

    expect((await call('GET', `/credentials/${name}`, { token: tokens.viewer })).body.description).toBe('CI');
    for (let i = 0; i < 3; i += 1) await call('POST', '/credentials', { token: tokens.admin, json: { name: `${name}_page${i}`, service: 'github', type: 'api_key', fields: { key: githubKey() } } });
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Call = await call('GET', `/credentials?q=${name}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: tokens.viewer });
      names.push(...page.body.credentials.map((c: { name: string }) => c.name));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(names).toEqual([name, `${name}_page0`, `${name}_page1`, `${name}_page2`]);
    expect((await call('GET', `/credentials?type=oauth&q=${name}`, { token: tokens.viewer })).body.credentials).toEqual([]);
    const badFilter = await call('GET', '/credentials?type=bogus&sort=sideways', { token: tokens.viewer });
    expect(Object.keys(badFilter.body.fields).sort()).toEqual(['sort', 'type.0']);
    expect((await call('GET', `/credentials?cursor=garbage`, { token: tokens.viewer })).body.fields.cursor).toBeDefined();

    const renamed = await call('PATCH', `/credentials/${name}`, { token: tokens.admin, json: { name: `${name}_v2`, expiresAt: '2099-01-01T00:00:00.000Z' } });
    expect(renamed.body).toMatchObject({ name: `${name}_v2`, expiresAt: '2099-01-01T00:00:00.000Z' });
    expect((await call('GET', `/credentials/${name}`, { token: tokens.viewer })).status).toBe(404);

    const stale = await call('PUT', `/credentials/${name}_v2/value`, { token: tokens.admin, json: { version: 1, fields: { key: githubKey() } } });
    expect(stale.status).toBe(200);
    expect(stale.body.version).toBe(2);
    const conflict = await call('PUT', `/credentials/${name}_v2/value`, { token: tokens.admin, json: { version: 1, fields: { key: githubKey() } } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('version_conflict');

    expect((await call('DELETE', `/credentials/${name}_v2`, { token: tokens.admin })).body).toMatchObject({ deleted: true });
    expect((await call('GET', `/credentials/${name}_v2`, { token: tokens.admin })).status).toBe(404);
  });

  it('field errors come from the forms’ schemas; a taken name is 409; nothing half-written', async () => {
    const bad = await call('POST', '/credentials', { token: tokens.admin, json: { name: 'has space', service: 'github', type: 'api_key', fields: { key: 'not-a-token' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields.name[0]).toMatch(/letters, digits/);
    expect(bad.body.fields['fields.key'][0]).toMatch(/ghp_/);
    const name = `dup_${crypto.randomBytes(3).toString('hex')}`;
    await call('POST', '/credentials', { token: tokens.admin, json: { name, service: 'github', type: 'api_key', fields: { key: githubKey() } } });
    expect((await call('POST', '/credentials', { token: tokens.admin, json: { name, service: 'github', type: 'api_key', fields: { key: githubKey() } } })).status).toBe(409);
  });

  it('a file credential uploads as multipart with the form’s checks', async () => {
    const form = new FormData();
    const name = `file_${crypto.randomBytes(3).toString('hex')}`;
    form.set('name', name);
    form.set('service', 'custom');
    form.set('type', 'file');
    form.set('file', new Blob([`-----BEGIN PRIVATE KEY-----\n${CANARY}\n-----END PRIVATE KEY-----\n`]), 'deploy.pem');
    const created = await call('POST', '/credentials', { token: tokens.admin, form });
    expect(created.status, created.text).toBe(201);
    expect(created.body.file).toMatchObject({ name: 'deploy.pem', kind: 'pem' });
    const empty = new FormData();
    empty.set('name', `${name}_2`);
    empty.set('service', 'custom');
    empty.set('type', 'file');
    expect((await call('POST', '/credentials', { token: tokens.admin, form: empty })).status).toBe(400);
  });

  it('reveal needs a token with reveal and an admin role; it is audited with the token as actor', async () => {
    const name = `rev_${crypto.randomBytes(3).toString('hex')}`;
    await call('POST', '/credentials', { token: tokens.admin, json: { name, service: 'openai', type: 'api_key', fields: { key: `sk-${CANARY}` } } });
    expect((await call('POST', `/credentials/${name}/reveal`, { token: tokens.owner })).body.code).toBe('reveal_not_allowed');
    const revealed = await call('POST', `/credentials/${name}/reveal`, { token: tokens.revealer });
    expect(revealed.status).toBe(200);
    expect(revealed.body.fields.key).toBe(`sk-${CANARY}`);
    expect(revealed.headers.get('cache-control')).toBe('no-store');
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { organizationId: org.id, action: 'credential.reveal' }, orderBy: { seq: 'desc' } });
    expect(audit.actorType).toBe('api_token');
    expect(audit.actorLabel).toMatch(/API token “admin token”/);
  });

  it('a viewer token reads and never writes; a member edits only what it added', async () => {
    const name = `own_${crypto.randomBytes(3).toString('hex')}`;
    expect((await call('POST', '/credentials', { token: tokens.viewer, json: { name, service: 'github', type: 'api_key', fields: { key: githubKey() } } })).status).toBe(403);
    expect((await call('POST', '/credentials', { token: tokens.member, json: { name, service: 'github', type: 'api_key', fields: { key: githubKey() } } })).status).toBe(201);
    expect((await call('PATCH', `/credentials/${name}`, { token: tokens.member, json: { description: 'mine' } })).status).toBe(200);
    const admins = `adm_${crypto.randomBytes(3).toString('hex')}`;
    await call('POST', '/credentials', { token: tokens.admin, json: { name: admins, service: 'github', type: 'api_key', fields: { key: githubKey() } } });
    expect((await call('PATCH', `/credentials/${admins}`, { token: tokens.member, json: { description: 'not mine' } })).status).toBe(403);
    expect((await call('DELETE', `/credentials/${admins}`, { token: tokens.viewer })).status).toBe(403);
    expect((await call('POST', '/agents', { token: tokens.member, json: { name: 'nope' } })).status).toBe(403);
  });

  it('another organization’s names answer 404, exactly like missing ones', async () => {
    const name = `iso_${crypto.randomBytes(3).toString('hex')}`;
    await createTestCredential(org, { name, service: 'openai', type: 'api_key', fields: { key: `sk-${crypto.randomBytes(20).toString('hex')}` } });
    for (const [method, path] of [['GET', `/credentials/${name}`], ['PATCH', `/credentials/${name}`], ['DELETE', `/credentials/${name}`], ['POST', `/credentials/${name}/reveal`]] as const) {
      const answer = await call(method, path, { token: tokens.otherOrg, ...(method === 'PATCH' ? { json: { description: 'x' } } : {}) });
      expect(answer.status, `${method} ${path}`).toBe(404);
    }
    expect((await call('GET', `/credentials?q=${name}`, { token: tokens.otherOrg })).body.credentials).toEqual([]);
    expect(await prisma.credential.count({ where: { organizationId: org.id, name } })).toBe(1);
  });

  it('pasted OAuth tokens become a credential; connect from a terminal returns a signed Latchkey link', async () => {
    const name = `oauth_${crypto.randomBytes(3).toString('hex')}`;
    const pasted = await call('POST', `/credentials/${name}/oauth/tokens`, { token: tokens.admin, json: { service: 'github', accessToken: `gho_${CANARY}` } });
    expect(pasted.status, pasted.text).toBe(201);
    expect(pasted.body).toMatchObject({ name, type: 'oauth' });
    const connect = await call('POST', '/credentials/oauth/connect', { token: tokens.admin, json: { service: 'github', name: `${name}_2` } });
    expect(connect.status).toBe(201);
    const url = new URL(connect.body.authorizationUrl);
    const ticket = url.pathname.split('/').pop()!;
    expect(readConnectTicket(ticket, org.id)).toMatchObject({ service: 'github', name: `${name}_2` });
    expect(readConnectTicket(ticket, other.id)).toBeNull();
    expect(readConnectTicket(`${ticket}x`, org.id)).toBeNull();
    expect((await call('POST', '/credentials/oauth/connect', { token: tokens.admin, json: { service: 'github', name } })).status).toBe(400);
  });
});

describe('agents', () => {
  it('create (token once), read, patch the allowlist and its modes, rotate, revoke by prefix, delete', async () => {
    const name = `bot-${crypto.randomBytes(3).toString('hex')}`;
    const created = await call('POST', '/agents', { token: tokens.admin, json: { name, allowlist: [{ credential: 'gh_*' }, { credential: 'db_main', mode: 'deliver' }] } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^lk_/);
    expect(created.body.agent.allowlist).toEqual([
      { credential: 'gh_*', mode: 'proxy' },
      { credential: 'db_main', mode: 'deliver' },
    ]);
    expect((await call('GET', `/agents/${name}`, { token: tokens.viewer })).body.name).toBe(name);
    const listed = await call('GET', '/agents?limit=100', { token: tokens.viewer });
    expect(listed.body.agents.map((a: { name: string }) => a.name)).toContain(name);
    const patched = await call('PATCH', `/agents/${name}`, { token: tokens.admin, json: { allowlist: [{ credential: 'gh_*', mode: 'deliver' }] } });
    expect(patched.body.allowlist).toEqual([{ credential: 'gh_*', mode: 'deliver' }]);
    const needs = await call('PATCH', `/agents/${name}`, { token: tokens.admin, json: { requirements: [{ name: 'gh_main', service: 'github', type: 'api_key' }] } });
    expect(needs.body.requirements).toEqual([{ name: 'gh_main', service: 'github', type: 'api_key', optional: false, description: '' }]);
    expect(needs.body.allowlist).toEqual([{ credential: 'gh_*', mode: 'deliver' }]);
    expect((await prisma.auditEvent.findFirst({ where: { organizationId: org.id, action: 'agent.delivery_change' }, orderBy: { seq: 'desc' } }))?.actorType).toBe('api_token');
    const rotated = await call('POST', `/agents/${name}/tokens`, { token: tokens.admin });
    expect(rotated.status).toBe(201);
    expect((await call('GET', '/me', { token: created.body.token })).status).toBe(401);
    expect((await call('GET', '/me', { token: rotated.body.token })).status).toBe(200);
    expect((await call('DELETE', `/agents/${name}/tokens/${rotated.body.prefix}`, { token: tokens.admin })).body).toEqual({ revoked: true });
    expect((await call('GET', '/me', { token: rotated.body.token })).status).toBe(401);
    expect((await call('DELETE', `/agents/${name}/tokens/lk_nothere`, { token: tokens.admin })).status).toBe(404);
    expect((await call('DELETE', `/agents/${name}`, { token: tokens.admin })).body).toMatchObject({ deleted: true });
    expect((await call('GET', `/agents/${name}`, { token: tokens.admin })).status).toBe(404);
  });

  it('a deliver entry must be a valid pattern; errors name the field', async () => {
    const bad = await call('POST', '/agents', { token: tokens.admin, json: { name: 'bad agent!', allowlist: [{ credential: 'no spaces please' }] } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields)).toEqual(expect.arrayContaining(['name']));
  });

  it('an agent token sees its allowlist only, cannot manage, and receives values only where delivery is granted', async () => {
    const proxied = `px_${crypto.randomBytes(3).toString('hex')}`;
    const delivered = `dl_${crypto.randomBytes(3).toString('hex')}`;
    await createTestCredential(org, { name: proxied, service: 'openai', type: 'api_key', fields: { key: `sk-proj-${CANARY}` } });
    await createTestCredential(org, { name: delivered, service: 'github', type: 'api_key', fields: { key: `ghp_${CANARY}` } });
    const created = await call('POST', '/agents', { token: tokens.admin, json: { name: `runner-${crypto.randomBytes(3).toString('hex')}`, allowlist: [{ credential: proxied }, { credential: delivered, mode: 'deliver' }] } });
    const agentToken = created.body.token as string;
    const list = await call('GET', '/credentials', { token: agentToken });
    expect(list.body.credentials.map((c: { name: string; mode: string }) => [c.name, c.mode]).sort()).toEqual([[delivered, 'deliver'], [proxied, 'proxy']].sort());
    expect((await call('POST', '/credentials', { token: agentToken, json: { name: 'x', service: 'github', type: 'api_key' } })).body.code).toBe('management_token_required');
    expect((await call('POST', `/credentials/${proxied}/deliver`, { token: agentToken })).body.code).toBe('delivery_not_allowed');
    const value = await call('POST', `/credentials/${delivered}/deliver`, { token: agentToken });
    expect(value.body.fields.key).toBe(`ghp_${CANARY}`);
    await call('POST', `/credentials/${delivered}/deliver`, { token: agentToken });
    const rows = await prisma.auditEvent.count({ where: { organizationId: org.id, action: 'credential.delivered', details: { path: ['name'], equals: delivered } } });
    expect(rows).toBe(1);
    expect((await call('POST', `/credentials/${delivered}/deliver`, { token: tokens.revealer })).status).toBe(403);
  });
});

describe('requirements and doctor', () => {
  it('an agent declares what it needs; the doctor says missing, not allowed, ok or expiring, with where to fix it', async () => {
    const ready = `need_ok_${crypto.randomBytes(3).toString('hex')}`;
    const elsewhere = `need_other_${crypto.randomBytes(3).toString('hex')}`;
    const soon = `need_soon_${crypto.randomBytes(3).toString('hex')}`;
    await createTestCredential(org, { name: ready, service: 'openai', type: 'api_key', fields: { key: `sk-proj-${crypto.randomBytes(20).toString('hex')}` } });
    await createTestCredential(org, { name: elsewhere, service: 'openai', type: 'api_key', fields: { key: `sk-proj-${crypto.randomBytes(20).toString('hex')}` } });
    const expiring = await createTestCredential(org, { name: soon, service: 'openai', type: 'api_key', fields: { key: `sk-proj-${crypto.randomBytes(20).toString('hex')}` } });
    await prisma.credential.update({ where: { id: expiring.id }, data: { expiresAt: new Date(Date.now() + 3_600_000) } });
    const { token, agent } = await createTestAgent(org, [ready, soon]);

    const bad = await call('PUT', '/agent/requirements', { token, json: { requirements: [{ name: 'has space' }, { name: ready }, { name: ready }] } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields).sort()).toEqual(['requirements.0.name', 'requirements.2.name']);
    const set = await call('PUT', '/agent/requirements', {
      token,
      json: { requirements: [{ name: ready, service: 'openai' }, { name: 'stripe_key', service: 'stripe', type: 'api_key' }, { name: elsewhere }, { name: soon }, { name: 'nice_to_have', optional: true }] },
    });
    expect(set.status).toBe(200);
    expect((await prisma.auditEvent.findFirstOrThrow({ where: { organizationId: org.id, action: 'agent.requirements_update', targetId: agent.id } })).actorType).toBe('agent');

    const report = await call('GET', '/doctor', { token });
    const states = Object.fromEntries(report.body.requirements.map((r: { name: string; state: string }) => [r.name, r.state]));
    expect(states).toEqual({ [ready]: 'ok', stripe_key: 'missing', [elsewhere]: 'not_allowed', [soon]: 'expiring', nice_to_have: 'missing' });
    expect(report.body.ok).toBe(false);
    const missing = report.body.requirements.find((r: { name: string }) => r.name === 'stripe_key');
    expect(new URL(missing.fixUrl).pathname).toMatch(/\/credentials\/new$/);
    expect(new URL(missing.fixUrl).searchParams.get('name')).toBe('stripe_key');
    expect(new URL(missing.fixUrl).searchParams.get('service')).toBe('stripe');

    // Once the missing one exists and the other is granted, only the optional one is missing: ok.
    await createTestCredential(org, { name: 'stripe_key', service: 'stripe', type: 'api_key', fields: { key: `sk_test_${crypto.randomBytes(16).toString('hex')}` } });
    await prisma.agent.update({ where: { id: agent.id }, data: { allowedCredentials: [ready, soon, elsewhere, 'stripe_key'] } });
    const healed = await call('GET', '/doctor', { token });
    expect(healed.body.ok).toBe(true);
    expect((await call('GET', '/doctor', { token: tokens.admin })).status).toBe(403);
  });
});

describe('proposals', () => {
  it('an agent proposes, waits (long-poll) and reads the decision; a person’s token lists, approves with values (applied and granted at once) or rejects', async () => {
    const { token, agent } = await createTestAgent(org, []);
    const name = `stripe_${crypto.randomBytes(3).toString('hex')}`;
    const supplied = `webhook_${crypto.randomBytes(3).toString('hex')}`;
    const bad = await call('POST', '/proposals', { token, json: { message: '', credentials: [{ name: 'has space' }, { name, value: 'x', oauth: { tokenUrl: 'ftp://x' } }] } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields)).toEqual(expect.arrayContaining(['message', 'credentials.0.name', 'credentials.1.oauth.tokenUrl']));
    expect(await prisma.proposal.count({ where: { agentId: agent.id } })).toBe(0);

    const made = await call('POST', '/proposals', {
      token,
      json: {
        message: 'I need to charge customers',
        credentials: [
          { name, service: 'stripe', type: 'api_key', description: 'Test-mode key', obtain: 'https://dashboard.stripe.com/apikeys' },
          { name: supplied, service: 'custom', type: 'api_key', value: CANARY },
        ],
      },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ status: 'pending', agent: { name: agent.name } });
    expect(made.body.credentials.map((c: { kind: string }) => c.kind)).toEqual(['create', 'create_supplied']);
    const { slug } = await prisma.organization.findUniqueOrThrow({ where: { id: org.id }, select: { slug: true } });
    expect(new URL(made.body.approvalUrl).pathname).toBe(`/orgs/${slug}/proposals/${made.body.id}`);

    // The agent blocks on the decision; the approval lands meanwhile and wakes it.
    const waited = call('GET', `/proposals/${made.body.id}?wait=20`, { token });
    const listed = await call('GET', '/proposals?status=pending', { token: tokens.viewer });
    expect(listed.status).toBe(200);
    expect(listed.body.proposals.map((p: { id: string }) => p.id)).toContain(made.body.id);
    // A member may not approve an agent-supplied value; a wrong value is a field error and nothing is applied.
    expect((await call('POST', `/proposals/${made.body.id}/approve`, { token: tokens.member, json: { values: { [name]: { key: 'sk_test_x' } } } })).status).toBe(403);
    const invalid = await call('POST', `/proposals/${made.body.id}/approve`, { token: tokens.admin, json: { values: { [name]: { key: 'not-a-stripe-key' } } } });
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.body.fields)).toEqual([`values.${name}.key`]);
    expect(await prisma.credential.count({ where: { organizationId: org.id, name: { in: [name, supplied] } } })).toBe(0);
    const key = `sk_test_${crypto.randomBytes(16).toString('hex')}`;
    const started = Date.now();
    const approved = await call('POST', `/proposals/${made.body.id}/approve`, { token: tokens.admin, json: { values: { [name]: { key } } } });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: { type: 'api_token' } });
    const woke = await waited;
    expect(woke.body.status).toBe('approved');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agent.id } })).allowedCredentials).toEqual([name, supplied]);
    // The agent uses both at once, through the proxy's own checks.
    const status = await call('GET', '/credentials', { token });
    expect(status.body.credentials.map((c: { name: string }) => c.name).sort()).toEqual([name, supplied].sort());
    expect((await call('POST', `/proposals/${made.body.id}/approve`, { token: tokens.admin, json: {} })).status).toBe(409);

    const second = await call('POST', '/proposals', { token, json: { message: 'And GitHub', credentials: [{ name: `gh_${crypto.randomBytes(3).toString('hex')}`, service: 'github' }] } });
    const rejected = await call('POST', `/proposals/${second.body.id}/reject`, { token: tokens.member, json: { reason: 'Use the shared bot account instead' } });
    expect(rejected.body).toMatchObject({ status: 'rejected', reason: 'Use the shared bot account instead' });
    expect((await call('GET', `/proposals/${second.body.id}`, { token })).body.reason).toBe('Use the shared bot account instead');
    // Another organization's token, and another agent, do not see it.
    expect((await call('GET', `/proposals/${second.body.id}`, { token: tokens.otherOrg })).status).toBe(404);
    const { token: stranger } = await createTestAgent(org, []);
    expect((await call('GET', `/proposals/${second.body.id}`, { token: stranger })).status).toBe(404);
    expect((await call('GET', '/proposals/not-a-uuid', { token })).status).toBe(404);
    expect((await call('GET', `/proposals/${second.body.id}?wait=31`, { token })).status).toBe(400);
    // The supplied value is sealed: not in any column in plain text.
    const rows = await prisma.$queryRaw<Array<{ t: string }>>`SELECT row_to_json(p)::text AS t FROM "ProposalSlot" p`;
    expect(rows.map((r) => r.t).join('')).not.toContain(CANARY);
  });
});

describe('idempotency', () => {
  it('a retry with the same key replays the first answer; another request with that key is 422', async () => {
    const key = crypto.randomUUID();
    const name = `idem-${crypto.randomBytes(3).toString('hex')}`;
    const first = await call('POST', '/agents', { token: tokens.admin, json: { name }, headers: { 'idempotency-key': key } });
    const again = await call('POST', '/agents', { token: tokens.admin, json: { name }, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.token).toBe(first.body.token);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await prisma.agent.count({ where: { organizationId: org.id, name } })).toBe(1);
    const different = await call('POST', '/agents', { token: tokens.admin, json: { name: `${name}-other` }, headers: { 'idempotency-key': key } });
    expect(different.status).toBe(422);
    expect(different.body.code).toBe('idempotency_key_reused');
    // The stored answer is sealed: the token is not in the table in plain text.
    const stored = await prisma.idempotencyRecord.findMany({ where: { key } });
    expect(stored.map((r) => Buffer.from(r.body ?? []).toString('latin1')).join('')).not.toContain(first.body.token);
    // Another token's same key is its own.
    const mine = await call('POST', '/agents', { token: tokens.owner, json: { name: `${name}-owner` }, headers: { 'idempotency-key': key } });
    expect(mine.status).toBe(201);
  });
});

describe('audit', () => {
  it('lists with the portal’s filters and cursors, and exports NDJSON and CSV', async () => {
    const page = await call('GET', '/audit?actor=api_token&limit=5', { token: tokens.viewer });
    expect(page.body.events.length).toBeGreaterThan(0);
    expect(page.body.events.every((e: { actorType: string }) => e.actorType === 'api_token')).toBe(true);
    if (page.body.nextCursor) {
      const next = await call('GET', `/audit?actor=api_token&limit=5&cursor=${page.body.nextCursor}`, { token: tokens.viewer });
      expect(next.body.events[0].seq).toBeLessThan(page.body.events.at(-1).seq);
    }
    expect((await call('GET', '/audit?from=2026-02-30', { token: tokens.viewer })).body.fields.from).toBeDefined();
    const ndjson = await call('GET', '/audit/export?format=ndjson&action=agent.create', { token: tokens.viewer });
    const lines = ndjson.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((e: { action: string }) => e.action === 'agent.create')).toBe(true);
    const csv = await call('GET', '/audit/export?format=csv', { token: tokens.viewer });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.text.split('\n')[0]).toMatch(/^seq,createdAt,actorType/);
    expect((await verifyAuditChain(org.id)).ok).toBe(true);
  });
});

describe('malformed input', () => {
  it('no endpoint answers 5xx to bad encodings, NUL, wrong types, bad dates or huge values, with any token', async () => {
    const bad = ['%ZZ', '%00', 'x'.repeat(3000), '..', 'a%2Fb'];
    const bodies = ['{"name":"\\u0000"}', '[]', 'null', '{"expiresAt":"2026-13-45","version":"x","allowlist":"*","fields":{"key":7}}', '\u00ff\u00fe', '{"name":' + '"x",'.repeat(10) + '}'];
    for (const endpoint of endpoints) {
      for (const value of bad) {
        const path = endpoint.path.replace(/:[A-Za-z]+/g, value);
        for (const token of [tokens.owner, tokens.viewer]) {
          for (const raw of endpoint.method === 'get' || endpoint.method === 'delete' ? [undefined] : bodies) for (const type of ['application/json', 'application/json; charset=latin-9', 'multipart/form-data; boundary=x']) {
            const response = await fetch(`${api.url}/api/v1${path}?limit=-1&cursor=%ZZ&type=%00&from=2026-02-30`, {
              method: endpoint.method.toUpperCase(),
              headers: { authorization: `Bearer ${token}`, 'content-type': type },
              body: raw,
            });
            await response.arrayBuffer();
            expect(response.status, `${endpoint.method} ${path} ${raw?.slice(0, 40)}`).toBeLessThan(500);
          }
        }
      }
    }
  }, 120_000);
});

describe('the whole surface', () => {
  it('every endpoint was exercised with a success, and the canary appears only in reveal and delivery answers', () => {
    for (const endpoint of endpoints) {
      const statuses = [...(seen.get(endpoint.operationId) ?? [])];
      expect(statuses.some((s) => s < 300), `${endpoint.operationId} answered ${statuses.join(', ') || 'nothing'}`).toBe(true);
    }
    for (const { path, text } of bodies) {
      if (/\/(reveal|deliver)$/.test(path.split('?')[0]!)) continue;
      expect(text, path).not.toContain(CANARY);
    }
  });
});
