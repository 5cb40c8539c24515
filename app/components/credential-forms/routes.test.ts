// Route-level tests for the credential forms, reveal, download, delete and the audit page: real requests, real database.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BASE, createMember, createSignedUpUser, getRequest, postRequest, settle, STRONG_PASSWORD, testContext, unwrapData } from '~/auth/test-helpers';
import { recordAudit, systemAuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import { loader as auditLoader } from '~/routes/orgs.$orgSlug.audit._index';
import { loader as auditCsvLoader } from '~/routes/orgs.$orgSlug.audit[.]csv';
import { action as deleteAction } from '~/routes/orgs.$orgSlug.credentials.$id_.delete';
import { action as downloadAction } from '~/routes/orgs.$orgSlug.credentials.$id_.download';
import { action as editAction, loader as editLoader } from '~/routes/orgs.$orgSlug.credentials.$id_.edit';
import { action as replaceAction } from '~/routes/orgs.$orgSlug.credentials.$id_.replace';
import { action as revealAction, loader as revealLoader } from '~/routes/orgs.$orgSlug.credentials.$id_.reveal';
import { action as newAction, loader as newLoader } from '~/routes/orgs.$orgSlug.credentials.new';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createAgent } from '~/agents/agents.server';
import { startApiServer, startUpstream, type Listening } from '~/api/test-support';
import { clearCredentialCache } from '~/api/credentials.server';
import { formatInstant } from '~/credentials/expiry';
import { setEgressResolver } from '~/egress/egress.server';
import { loader as detailLoader } from '~/routes/orgs.$orgSlug.credentials.$id';
import { readCredentialSecret } from '~/vault/vault.server';

const CANARY = `ghp_CANARY${crypto.randomBytes(12).toString('hex')}`;

function args(request: Request, params: Record<string, string>) {
  return { request, params, context: testContext } as never;
}

function multipart(path: string, cookie: string, fields: Record<string, string>, file?: { name: string; bytes: Buffer; type?: string }) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file) form.append('file', new File([new Uint8Array(file.bytes)], file.name, { type: file.type ?? 'application/octet-stream' }));
  return new Request(`${BASE}${path}`, { method: 'POST', headers: { Cookie: cookie }, body: form });
}

async function json(value: unknown) {
  if (value instanceof Response) return { status: value.status, text: await value.clone().text(), headers: value.headers };
  const { data, status } = unwrapData(value);
  const headers = new Headers(((value as { init?: ResponseInit | null })?.init?.headers ?? {}) as HeadersInit);
  return { status, text: JSON.stringify(data), data: data as Record<string, unknown>, headers };
}

async function addGithubKey(owner: { slug: string; cookie: string }, name = `gh_${crypto.randomBytes(3).toString('hex')}`) {
  const path = `/orgs/${owner.slug}/credentials/new?type=api_key&service=github`;
  const response = (await settle(() =>
    newAction(args(postRequest(path, { name, service: 'github', type: 'api_key', 'fields.key': CANARY }, owner.cookie), { orgSlug: owner.slug })),
  )) as Response;
  expect(response.status).toBe(302);
  const id = response.headers.get('Location')!.split('/').pop()!;
  return { id, name };
}

function gcpServiceAccount() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return Buffer.from(
    JSON.stringify({
      type: 'service_account',
      project_id: 'latchkey-test',
      private_key_id: 'abc',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: 'robot@latchkey-test.iam.gserviceaccount.com',
    }),
  );
}

describe('add credential', () => {
  it('bad input answers field errors, stores nothing and never echoes the secret back', async () => {
    const owner = await createSignedUpUser();
    const path = `/orgs/${owner.slug}/credentials/new?type=api_key&service=github`;
    const result = await json(
      await settle(() =>
        newAction(args(postRequest(path, { name: 'bad name!', service: 'github', type: 'api_key', 'fields.key': CANARY }, owner.cookie), { orgSlug: owner.slug })),
      ),
    );
    expect(result.status).toBe(400);
    expect(result.text).toContain('Use letters, digits');
    expect(result.text).not.toContain(CANARY);
    expect(result.text).toContain('bad name!');
    const badKey = await json(
      await settle(() =>
        newAction(args(postRequest(path, { name: 'ok_name', service: 'github', type: 'api_key', 'fields.key': 'nope' }, owner.cookie), { orgSlug: owner.slug })),
      ),
    );
    expect(badKey.status).toBe(400);
    expect(badKey.text).toContain('GitHub tokens start with');
    const org = await prisma.organization.findUniqueOrThrow({ where: { slug: owner.slug } });
    expect(await prisma.credential.count({ where: { organizationId: org.id } })).toBe(0);
  });

  it('a valid API key is stored and redirects with a toast to its page; the form loader holds no secret', async () => {
    const owner = await createSignedUpUser();
    const { id } = await addGithubKey(owner, 'github_token');
    const credential = await prisma.credential.findUniqueOrThrow({ where: { id } });
    expect(credential.name).toBe('github_token');
    const form = await json(await settle(() => newLoader(args(getRequest(`/orgs/${owner.slug}/credentials/new?type=api_key&service=github`, owner.cookie), { orgSlug: owner.slug }))));
    expect(form.text).toContain('github_token');
    expect(form.text).not.toContain(CANARY);
    const edit = await json(await settle(() => editLoader(args(getRequest(`/orgs/${owner.slug}/credentials/${id}/edit`, owner.cookie), { orgSlug: owner.slug, id }))));
    expect(edit.text).toContain('github_token');
    expect(edit.text).not.toContain(CANARY);
  });

  it('a Google Cloud service-account JSON is recognised and its client_email kept', async () => {
    const owner = await createSignedUpUser();
    const path = `/orgs/${owner.slug}/credentials/new?type=file&service=gcp`;
    const response = (await settle(() =>
      newAction(args(multipart(path, owner.cookie, { name: 'gcp_sa', service: 'gcp', type: 'file' }, { name: 'key.json', bytes: gcpServiceAccount() }), { orgSlug: owner.slug })),
    )) as Response;
    expect(response.status).toBe(302);
    const credential = await prisma.credential.findFirstOrThrow({ where: { name: 'gcp_sa' } });
    expect(credential.fileKind).toBe('gcp_service_account');
    expect(credential.fileMetadata).toMatchObject({ clientEmail: 'robot@latchkey-test.iam.gserviceaccount.com', projectId: 'latchkey-test' });
  });

  it('a file just over the limit gets the too-large field error with status 413', async () => {
    const owner = await createSignedUpUser();
    const path = `/orgs/${owner.slug}/credentials/new?type=file&service=custom`;
    const result = await json(
      await settle(() =>
        newAction(args(multipart(path, owner.cookie, { name: 'big', service: 'custom', type: 'file' }, { name: 'big.bin', bytes: Buffer.alloc(1024 * 1024 + 10, 1) }), { orgSlug: owner.slug })),
      ),
    );
    expect(result.status).toBe(413);
    expect(result.text).toContain('The file is larger than 1 MiB');
    expect(await prisma.credential.count({ where: { name: 'big' } })).toBe(0);
  });

  it('viewers get 403 (members may add: app/orgs/permissions.test.ts)', async () => {
    const owner = await createSignedUpUser();
    for (const role of ['viewer'] as const) {
      const other = await createMember(owner.slug, role);
      const path = `/orgs/${owner.slug}/credentials/new?type=api_key&service=github`;
      const response = (await settle(() =>
        newAction(args(postRequest(path, { name: 'x', service: 'github', type: 'api_key', 'fields.key': CANARY }, other.cookie), { orgSlug: owner.slug })),
      )) as Response;
      expect(response.status).toBe(403);
    }
  });
});

describe('edit, replace and delete', () => {
  it("another organization's credential answers 404 on every form", async () => {
    const owner = await createSignedUpUser();
    const stranger = await createSignedUpUser();
    const { id } = await addGithubKey(owner);
    const params = { orgSlug: stranger.slug, id };
    const base = `/orgs/${stranger.slug}/credentials/${id}`;
    const results = await Promise.all([
      settle(() => editLoader(args(getRequest(`${base}/edit`, stranger.cookie), params))),
      settle(() => editAction(args(postRequest(`${base}/edit`, { name: 'stolen' }, stranger.cookie), params))),
      settle(() => replaceAction(args(postRequest(`${base}/replace`, { 'fields.key': `ghp_${'a'.repeat(30)}` }, stranger.cookie), params))),
      settle(() => deleteAction(args(postRequest(`${base}/delete`, { confirmName: 'x' }, stranger.cookie), params))),
      settle(() => revealLoader(args(getRequest(`${base}/reveal`, stranger.cookie), params))),
    ]);
    for (const result of results) expect((result as Response).status).toBe(404);
  });

  it('a viewer cannot edit (403) and an invalid edit keeps the old name', async () => {
    const owner = await createSignedUpUser();
    const viewer = await createMember(owner.slug, 'viewer');
    const { id, name } = await addGithubKey(owner);
    const params = { orgSlug: owner.slug, id };
    const path = `/orgs/${owner.slug}/credentials/${id}/edit`;
    expect(((await settle(() => editAction(args(postRequest(path, { name: 'x' }, viewer.cookie), params)))) as Response).status).toBe(403);
    const bad = await json(await settle(() => editAction(args(postRequest(path, { name: '' }, owner.cookie), params))));
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Enter a name');
    expect((await prisma.credential.findUniqueOrThrow({ where: { id } })).name).toBe(name);
    const ok = (await settle(() => editAction(args(postRequest(path, { name: 'renamed', description: 'for ci' }, owner.cookie), params)))) as Response;
    expect(ok.status).toBe(302);
    expect(await prisma.credential.findUniqueOrThrow({ where: { id } })).toMatchObject({ name: 'renamed', description: 'for ci' });
  });

  it('replacing keeps the id and bumps the version; delete needs the exact name', async () => {
    const owner = await createSignedUpUser();
    const { id, name } = await addGithubKey(owner);
    const params = { orgSlug: owner.slug, id };
    const replaced = (await settle(() =>
      replaceAction(args(postRequest(`/orgs/${owner.slug}/credentials/${id}/replace`, { 'fields.key': `ghp_${'b'.repeat(30)}`, version: '1' }, owner.cookie), params)),
    )) as Response;
    expect(replaced.status).toBe(302);
    expect((await prisma.credential.findUniqueOrThrow({ where: { id } })).version).toBe(2);
    const wrong = (await settle(() => deleteAction(args(postRequest(`/orgs/${owner.slug}/credentials/${id}/delete`, { confirmName: 'nope' }, owner.cookie), params)))) as Response;
    expect(wrong.headers.get('Location')).toBe(`/orgs/${owner.slug}/credentials/${id}`);
    expect(await prisma.credential.count({ where: { id } })).toBe(1);
    const right = (await settle(() => deleteAction(args(postRequest(`/orgs/${owner.slug}/credentials/${id}/delete`, { confirmName: name }, owner.cookie), params)))) as Response;
    expect(right.headers.get('Location')).toBe(`/orgs/${owner.slug}/credentials`);
    expect(await prisma.credential.count({ where: { id } })).toBe(0);
  });
});

describe('reveal', () => {
  it('GET never contains the value; POST without re-entered password asks for it and reveals nothing', async () => {
    const owner = await createSignedUpUser();
    const { id } = await addGithubKey(owner);
    const params = { orgSlug: owner.slug, id };
    const path = `/orgs/${owner.slug}/credentials/${id}/reveal`;
    const page = await json(await settle(() => revealLoader(args(getRequest(path, owner.cookie), params))));
    expect(page.text).not.toContain(CANARY);
    expect(page.headers.get('Cache-Control')).toContain('no-store');
    const attempt = await json(await settle(() => revealAction(args(postRequest(path, { intent: 'reveal' }, owner.cookie), params))));
    expect(attempt.status).toBe(401);
    expect(attempt.text).toContain('reauth');
    expect(attempt.text).not.toContain(CANARY);
    expect(await prisma.auditEvent.count({ where: { credentialId: id, action: 'credential.reveal' } })).toBe(0);
  });

  it('a wrong password is a field error; the right one then reveals the value once with no-store, audited', async () => {
    const owner = await createSignedUpUser();
    const { id } = await addGithubKey(owner);
    const params = { orgSlug: owner.slug, id };
    const path = `/orgs/${owner.slug}/credentials/${id}/reveal`;
    const wrong = await json(await settle(() => revealAction(args(postRequest(path, { intent: 'reauth', password: 'wrong-password' }, owner.cookie), params))));
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('That password is incorrect.');
    expect(wrong.text).not.toContain('wrong-password');
    const right = (await settle(() => revealAction(args(postRequest(path, { intent: 'reauth', password: STRONG_PASSWORD }, owner.cookie), params)))) as Response;
    expect(right.status).toBe(302);
    const page = await json(await settle(() => revealLoader(args(getRequest(path, owner.cookie), params))));
    expect(page.text).toContain('"reauthenticated":true');
    expect(page.text).not.toContain(CANARY);
    const revealed = await json(await settle(() => revealAction(args(postRequest(path, { intent: 'reveal' }, owner.cookie), params))));
    expect(revealed.status).toBe(200);
    expect(revealed.text).toContain(CANARY);
    expect(revealed.headers.get('Cache-Control')).toContain('no-store');
    expect(revealed.headers.get('Pragma')).toBe('no-cache');
    expect(await prisma.auditEvent.count({ where: { credentialId: id, action: 'credential.reveal' } })).toBe(1);
  });

  it('an admin downloads a file as an attachment after re-entering the password; a member cannot', async () => {
    const owner = await createSignedUpUser();
    const member = await createMember(owner.slug, 'member');
    const path = `/orgs/${owner.slug}/credentials/new?type=file&service=custom`;
    const created = (await settle(() =>
      newAction(args(multipart(path, owner.cookie, { name: 'cert', service: 'custom', type: 'file' }, { name: 'cert.pem', bytes: Buffer.from('hello file') }), { orgSlug: owner.slug })),
    )) as Response;
    const id = created.headers.get('Location')!.split('/').pop()!;
    const params = { orgSlug: owner.slug, id };
    const dl = `/orgs/${owner.slug}/credentials/${id}/download`;
    expect(((await settle(() => downloadAction(args(postRequest(dl, {}, member.cookie), params)))) as Response).status).toBe(403);
    const early = (await settle(() => downloadAction(args(postRequest(dl, {}, owner.cookie), params)))) as Response;
    expect(early.headers.get('Location')).toBe(`/orgs/${owner.slug}/credentials/${id}/reveal`);
    await settle(() => revealAction(args(postRequest(`/orgs/${owner.slug}/credentials/${id}/reveal`, { intent: 'reauth', password: STRONG_PASSWORD }, owner.cookie), params)));
    const file = (await settle(() => downloadAction(args(postRequest(dl, {}, owner.cookie), params)))) as Response;
    expect(file.status).toBe(200);
    expect(file.headers.get('Content-Disposition')).toContain('attachment; filename="cert.pem"');
    expect(file.headers.get('Cache-Control')).toContain('no-store');
    expect(await file.text()).toBe('hello file');
  });
});

describe('audit page', () => {
  it('lists events to a viewer, filters by action and exports the same selection as CSV', async () => {
    const owner = await createSignedUpUser();
    const viewer = await createMember(owner.slug, 'viewer');
    const { id, name } = await addGithubKey(owner);
    await settle(() => editAction(args(postRequest(`/orgs/${owner.slug}/credentials/${id}/edit`, { name: `${name}_2` }, owner.cookie), { orgSlug: owner.slug, id })));
    const all = await json(await settle(() => auditLoader(args(getRequest(`/orgs/${owner.slug}/audit`, viewer.cookie), { orgSlug: owner.slug }))));
    const events = (all.data!.events as Array<{ action: string; credentialName: string | null }>);
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['credential.create', 'credential.update']));
    expect(events.find((e) => e.action === 'credential.create')?.credentialName).toBe(`${name}_2`);
    expect(all.text).not.toContain(CANARY);
    const filtered = await json(await settle(() => auditLoader(args(getRequest(`/orgs/${owner.slug}/audit?action=credential.update`, viewer.cookie), { orgSlug: owner.slug }))));
    expect((filtered.data!.events as Array<{ action: string }>).map((e) => e.action)).toEqual(['credential.update']);
    const csv = (await settle(() => auditCsvLoader(args(getRequest(`/orgs/${owner.slug}/audit.csv?action=credential.update`, viewer.cookie), { orgSlug: owner.slug })))) as Response;
    expect(csv.headers.get('Content-Disposition')).toMatch(/^attachment; filename="audit-/);
    const text = await csv.text();
    expect(text.split('\n')[0]).toContain('seq,createdAt');
    expect(text).toContain('credential.update');
    expect(text).not.toContain('credential.create');
  });

  it('pages older events with a keyset cursor that keeps the filters', async () => {
    const owner = await createSignedUpUser();
    const org = await prisma.organization.findUniqueOrThrow({ where: { slug: owner.slug } });
    for (let i = 0; i < 55; i += 1) {
      await prisma.$transaction((tx) =>
        recordAudit(tx, { organizationId: org.id, context: systemAuditContext('sweeper'), action: 'credential.health_check', details: { n: i } }),
      );
    }
    const first = await json(await settle(() => auditLoader(args(getRequest(`/orgs/${owner.slug}/audit?actor=system`, owner.cookie), { orgSlug: owner.slug }))));
    const firstEvents = first.data!.events as Array<{ id: string }>;
    expect(firstEvents).toHaveLength(50);
    const older = String(first.data!.olderHref);
    expect(older).toMatch(/actor=system/);
    expect(older).toMatch(/cursor=\d+/);
    const second = await json(await settle(() => auditLoader(args(getRequest(older, owner.cookie), { orgSlug: owner.slug }))));
    const secondEvents = second.data!.events as Array<{ id: string }>;
    expect(secondEvents).toHaveLength(5);
    expect(second.data!.olderHref).toBeNull();
    expect(new Set([...firstEvents, ...secondEvents].map((e) => e.id)).size).toBe(55);
  });
});

// ---------------------------------------------------------------------------------------------
// Connection, expiry and replacement, through the form actions (findings 2, 3, 10, 21, 24, 34).

type Owner = Awaited<ReturnType<typeof createSignedUpUser>>;

async function orgOf(owner: Owner) {
  return prisma.organization.findUniqueOrThrow({ where: { slug: owner.slug } });
}

async function allowPrivateHosts(owner: Owner) {
  await prisma.organization.update({ where: { slug: owner.slug }, data: { allowPrivateHosts: true } });
}

/** Posts the add form of `service`/`type`; returns the new id on a redirect, or the reply. */
async function addThroughForm(owner: Owner, service: string, type: string, form: Record<string, string>) {
  const path = `/orgs/${owner.slug}/credentials/new?type=${type}&service=${service}`;
  const result = await settle(() => newAction(args(postRequest(path, { service, type, ...form }, owner.cookie), { orgSlug: owner.slug })));
  if (result instanceof Response && result.status === 302) return { id: result.headers.get('Location')!.split('/').pop()!, reply: null };
  return { id: null, reply: await json(result) };
}

async function detailOf(owner: Owner, id: string) {
  const page = await json(await settle(() => detailLoader(args(getRequest(`/orgs/${owner.slug}/credentials/${id}`, owner.cookie), { orgSlug: owner.slug, id }))));
  return page.data as { connection: Record<string, unknown> & { fields: { name: string; value: string }[] }; credential: { expiresAt: string | Date | null } };
}

describe('base URL and where the key goes (finding 2)', () => {
  let api: Listening;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    api = await startApiServer();
  });
  afterAll(async () => {
    for (const close of closers) await close();
    await api.close();
  });
  afterEach(() => setEgressResolver());

  async function upstream() {
    const up = await startUpstream();
    closers.push(up.close);
    return up;
  }

  async function agentFor(owner: Owner, names: string[]) {
    const org = await orgOf(owner);
    return createAgent({ organizationId: org.id, role: 'owner', context: systemAuditContext('test') }, { name: `agent_${crypto.randomBytes(3).toString('hex')}`, allowedCredentials: names });
  }

  async function callProxy(token: string, name: string, rest: string) {
    clearCredentialCache();
    return fetch(`${api.url}/api/v1/proxy/${name}${rest}`, { headers: { authorization: `Bearer ${token}` } });
  }

  it('a Custom API key added with a base URL and a header is forwarded to that upstream with the key in that header', async () => {
    const owner = await createSignedUpUser();
    await allowPrivateHosts(owner);
    const up = await upstream();
    const key = `custom-${crypto.randomBytes(8).toString('hex')}`;
    const { id, reply } = await addThroughForm(owner, 'custom', 'api_key', {
      name: 'internal_api',
      'fields.key': key,
      baseUrl: `${up.url}/v2/`,
      'injection.kind': 'header',
      'injection.header': 'X-Internal-Key',
      'injection.scheme': 'Token',
      'injection.param': '',
    });
    expect(reply).toBeNull();
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: id! } });
    expect(row.settings).toEqual({ baseUrl: `${up.url}/v2`, injection: { kind: 'header', header: 'X-Internal-Key', scheme: 'Token' } });

    const { token } = await agentFor(owner, ['internal_api']);
    const response = await callProxy(token, 'internal_api', '/things?page=2');
    expect(response.status).toBe(200);
    expect(up.seen[0]?.url).toBe('/v2/things?page=2');
    expect(up.seen[0]?.headers['x-internal-key']).toBe(`Token ${key}`);
    expect(up.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('a Custom API key can go in a query parameter instead', async () => {
    const owner = await createSignedUpUser();
    await allowPrivateHosts(owner);
    const up = await upstream();
    const { id } = await addThroughForm(owner, 'custom', 'api_key', {
      name: 'query_api',
      'fields.key': 'q-key-123',
      baseUrl: up.url,
      'injection.kind': 'query',
      'injection.header': 'Authorization',
      'injection.param': 'api_key',
    });
    expect((await prisma.credential.findUniqueOrThrow({ where: { id: id! } })).settings).toMatchObject({ injection: { kind: 'query', param: 'api_key' } });
    const { token } = await agentFor(owner, ['query_api']);
    expect((await callProxy(token, 'query_api', '/search?q=x')).status).toBe(200);
    expect(up.seen[0]?.url).toBe('/search?q=x&api_key=q-key-123');
  });

  it('a password credential of a service without a catalog base URL needs one, and gets it from the form', async () => {
    const owner = await createSignedUpUser();
    await allowPrivateHosts(owner);
    const fields = { name: 'staging_login', 'fields.username': 'robot', 'fields.password': 'pa55-word-x' };
    const missing = await addThroughForm(owner, 'custom', 'password', fields);
    expect(missing.reply?.status).toBe(400);
    expect(missing.reply?.text).toContain('Enter the base URL');
    expect(await prisma.credential.count({ where: { name: 'staging_login', organizationId: (await orgOf(owner)).id } })).toBe(0);

    const up = await upstream();
    const { id } = await addThroughForm(owner, 'custom', 'password', { ...fields, baseUrl: `${up.url}/admin` });
    expect((await prisma.credential.findUniqueOrThrow({ where: { id: id! } })).settings).toMatchObject({ baseUrl: `${up.url}/admin` });
    const { token } = await agentFor(owner, ['staging_login']);
    expect((await callProxy(token, 'staging_login', '/status')).status).toBe(200);
    expect(up.seen[0]?.url).toBe('/admin/status');
    expect(up.seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('robot:pa55-word-x').toString('base64')}`);
  });

  it('a base URL on a private address is refused with a message naming Settings → Network unless the organization allows it', async () => {
    const owner = await createSignedUpUser();
    const { reply } = await addThroughForm(owner, 'custom', 'api_key', {
      name: 'private_api',
      'fields.key': 'k',
      baseUrl: 'http://127.0.0.1:9/x',
      'injection.kind': 'header',
      'injection.header': 'X-Key',
    });
    expect(reply?.status).toBe(400);
    expect(reply?.text).toContain('Settings → Network');
    expect(await prisma.credential.count({ where: { organizationId: (await orgOf(owner)).id } })).toBe(0);
  });

  it('the catalog base URL is not stored, so catalog updates still reach the credential', async () => {
    const owner = await createSignedUpUser();
    const { id } = await addThroughForm(owner, 'github', 'api_key', { name: 'github_token', 'fields.key': `ghp_${'c'.repeat(30)}`, baseUrl: 'https://api.github.com/' });
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: id! } });
    expect(row.settings).toBeNull();
    const detail = await detailOf(owner, id!);
    expect(detail.connection.baseUrl).toEqual({ url: 'https://api.github.com', source: 'catalog' });
    expect(detail.connection.injection).toBe('Authorization: Bearer <key>');
  });

  it('changing the base URL host on the edit form writes its own audit row and the detail page shows who moved it', async () => {
    const owner = await createSignedUpUser();
    setEgressResolver(async () => [{ address: '93.184.216.34', family: 4 }]);
    const { id } = await addThroughForm(owner, 'openai', 'api_key', { name: 'openai', 'fields.key': `sk-${'d'.repeat(30)}`, baseUrl: 'https://api.openai.com/v1' });
    const path = `/orgs/${owner.slug}/credentials/${id}/edit`;
    const params = { orgSlug: owner.slug, id: id! };
    const edit = (form: Record<string, string>) => settle(() => editAction(args(postRequest(path, { name: 'openai', description: '', timeZone: 'UTC', ...form }, owner.cookie), params)));

    expect(((await edit({ baseUrl: 'https://contoso.openai.azure.com/openai', upstreamTimeoutSeconds: '900' })) as Response).status).toBe(302);
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: id! } });
    expect(row.settings).toEqual({ baseUrl: 'https://contoso.openai.azure.com/openai', upstreamTimeoutMs: 900_000 });
    const events = await prisma.auditEvent.findMany({ where: { credentialId: id! }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => e.action)).toEqual(['credential.create', 'credential.update', 'credential.base_url_change']);
    expect(events[2]!.details).toMatchObject({ fromHost: 'api.openai.com', toHost: 'contoso.openai.azure.com' });
    expect(events[1]!.details).toMatchObject({ changes: { baseUrl: { from: 'https://api.openai.com/v1', to: 'https://contoso.openai.azure.com/openai' }, upstreamTimeoutMs: { from: null, to: 900_000 } } });
    // Same transaction: the update and the host change carry consecutive sequence numbers.
    expect(events[2]!.seq).toBe(events[1]!.seq + 1);

    const detail = await detailOf(owner, id!);
    expect(detail.connection.baseUrl).toEqual({ url: 'https://contoso.openai.azure.com/openai', source: 'custom' });
    expect(detail.connection.upstreamTimeoutMs).toBe(900_000);
    expect(detail.connection.lastHostChange).toMatchObject({ fromHost: 'api.openai.com', toHost: 'contoso.openai.azure.com', actorLabel: expect.stringContaining(owner.email) });

    // A new path on the same host is an edit, not a host change; clearing the field goes back to the catalog.
    await edit({ baseUrl: 'https://contoso.openai.azure.com/openai/v2', upstreamTimeoutSeconds: '900' });
    expect(await prisma.auditEvent.count({ where: { credentialId: id!, action: 'credential.base_url_change' } })).toBe(1);
    await edit({ baseUrl: '' });
    expect((await prisma.credential.findUniqueOrThrow({ where: { id: id! } })).settings).toBeNull();
    expect(await prisma.auditEvent.count({ where: { credentialId: id!, action: 'credential.base_url_change' } })).toBe(2);
    expect((await detailOf(owner, id!)).connection.baseUrl).toEqual({ url: 'https://api.openai.com/v1', source: 'catalog' });
  });
});

describe('replacing a value names the version it replaces (finding 10)', () => {
  it('a missing, malformed or stale version is refused and the stored value is unchanged', async () => {
    const owner = await createSignedUpUser();
    const { id } = await addGithubKey(owner);
    const org = await orgOf(owner);
    const params = { orgSlug: owner.slug, id };
    const path = `/orgs/${owner.slug}/credentials/${id}/replace`;
    const replace = (form: Record<string, string>) =>
      settle(() => replaceAction(args(postRequest(path, { 'fields.key': `ghp_${'e'.repeat(30)}`, ...form }, owner.cookie), params)));
    const stored = async () => (await readCredentialSecret(org.id, id, 'key')).toString('utf8');

    for (const version of [{ version: 'abc' }, { version: '' }, { version: '-1' }, { version: '0' }, { version: '1.5' }, {}] as Record<string, string>[]) {
      const result = await json(await replace(version));
      expect(result.status, JSON.stringify(version)).toBe(400);
      expect(result.text).toContain('reload the page and try again');
      expect(await stored()).toBe(CANARY);
      expect((await prisma.credential.findUniqueOrThrow({ where: { id } })).version).toBe(1);
    }
    expect(((await replace({ version: '1' })) as Response).status).toBe(302);
    const replacedWith = await stored();
    expect(replacedWith).toBe(`ghp_${'e'.repeat(30)}`);
    // A second tab still showing version 1 must not overwrite what the first one saved.
    const stale = await json(await settle(() => replaceAction(args(postRequest(path, { 'fields.key': `ghp_${'f'.repeat(30)}`, version: '1' }, owner.cookie), params))));
    expect(stale.status).toBe(409);
    expect(stale.text).toContain('Someone else changed this credential meanwhile');
    expect(await stored()).toBe(replacedWith);
    expect(await prisma.auditEvent.count({ where: { credentialId: id, action: 'credential.replace_secret' } })).toBe(1);
  });
});

describe('expiry in the person\'s time zone (finding 21)', () => {
  it('a date-only expiry entered in America/Los_Angeles is stored as 23:59:59.999 that day there and shown with its time', async () => {
    const owner = await createSignedUpUser();
    const { id } = await addThroughForm(owner, 'github', 'api_key', {
      name: 'gh_la',
      'fields.key': `ghp_${'g'.repeat(30)}`,
      expiresAt: '2030-12-03',
      expiresTime: '',
      timeZone: 'America/Los_Angeles',
    });
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: id! } });
    expect(row.expiresAt?.toISOString()).toBe('2030-12-04T07:59:59.999Z');
    expect(formatInstant(row.expiresAt!, 'America/Los_Angeles')).toBe('Dec 3, 2030, 11:59 PM PST');
    const detail = await detailOf(owner, id!);
    expect(new Date(detail.credential.expiresAt!).toISOString()).toBe('2030-12-04T07:59:59.999Z');

    // Editing only the description (the form re-sends the date it showed) keeps the instant.
    const path = `/orgs/${owner.slug}/credentials/${id}/edit`;
    const edit = await settle(() =>
      editAction(args(postRequest(path, { name: 'gh_la', description: 'ci', expiresAt: '2030-12-03', expiresTime: '', timeZone: 'America/Los_Angeles', baseUrl: 'https://api.github.com' }, owner.cookie), { orgSlug: owner.slug, id: id! })),
    );
    expect((edit as Response).status).toBe(302);
    expect((await prisma.credential.findUniqueOrThrow({ where: { id: id! } })).expiresAt?.toISOString()).toBe('2030-12-04T07:59:59.999Z');
  });

  it('a time is honoured, no zone means UTC, and an unknown zone is a field error that stores nothing', async () => {
    const owner = await createSignedUpUser();
    const key = () => `ghp_${crypto.randomBytes(16).toString('hex')}`;
    const timed = await addThroughForm(owner, 'github', 'api_key', { name: 'gh_timed', 'fields.key': key(), expiresAt: '2030-12-03', expiresTime: '17:30', timeZone: 'America/New_York' });
    expect((await prisma.credential.findUniqueOrThrow({ where: { id: timed.id! } })).expiresAt?.toISOString()).toBe('2030-12-03T22:30:00.000Z');
    const utc = await addThroughForm(owner, 'github', 'api_key', { name: 'gh_utc', 'fields.key': key(), expiresAt: '2030-12-03' });
    expect((await prisma.credential.findUniqueOrThrow({ where: { id: utc.id! } })).expiresAt?.toISOString()).toBe('2030-12-03T23:59:59.999Z');
    const bad = await addThroughForm(owner, 'github', 'api_key', { name: 'gh_bad', 'fields.key': key(), expiresAt: '2030-12-03', timeZone: 'Mars/Olympus' });
    expect(bad.reply?.status).toBe(400);
    expect(bad.reply?.text).toContain('time zone');
    expect(await prisma.credential.count({ where: { name: 'gh_bad' } })).toBe(0);
  });
});

describe('editing an OAuth credential (finding 34)', () => {
  it('the edit form has no expiry, and a description-only change works without touching expiresAt or the refresh schedule', async () => {
    const owner = await createSignedUpUser();
    const org = await orgOf(owner);
    const expiresAt = new Date(Date.now() + 45 * 60_000);
    const nextRefreshAt = new Date(expiresAt.getTime() - 5 * 60_000);
    const credential = await prisma.credential.create({
      data: { organizationId: org.id, name: 'gh_oauth', service: 'github', type: 'oauth', oauthProvider: 'github', oauthAccount: 'octocat', expiresAt, nextRefreshAt, createdById: owner.userId },
    });
    const params = { orgSlug: owner.slug, id: credential.id };
    const path = `/orgs/${owner.slug}/credentials/${credential.id}/edit`;
    const form = await json(await settle(() => editLoader(args(getRequest(path, owner.cookie), params))));
    expect((form.data!.credential as { expiresAt: unknown }).expiresAt).toBeNull();

    // What the old form sent: today's date, or an emptied field. Neither may touch the provider's expiry.
    for (const expiry of [{ expiresAt: new Date().toISOString().slice(0, 10) }, { expiresAt: '' }]) {
      const saved = await settle(() =>
        editAction(args(postRequest(path, { name: 'gh_oauth', description: 'Deploy bot', baseUrl: 'https://api.github.com', timeZone: 'UTC', ...expiry }, owner.cookie), params)),
      );
      expect((saved as Response).status).toBe(302);
      const row = await prisma.credential.findUniqueOrThrow({ where: { id: credential.id } });
      expect(row.description).toBe('Deploy bot');
      expect(row.expiresAt?.toISOString()).toBe(expiresAt.toISOString());
      expect(row.nextRefreshAt?.toISOString()).toBe(nextRefreshAt.toISOString());
    }
  });
});

describe('non-secret connection fields (finding 24)', () => {
  it('the SMTP detail page shows host, port and username; every field is still sealed for agents', async () => {
    const owner = await createSignedUpUser();
    const password = `smtp-${crypto.randomBytes(8).toString('hex')}`;
    const { id } = await addThroughForm(owner, 'smtp', 'password', {
      name: 'smtp_password',
      'fields.host': 'smtp.example.com',
      'fields.port': '587',
      'fields.username': 'mailer@example.com',
      'fields.password': password,
    });
    const detail = await detailOf(owner, id!);
    expect(detail.connection.fields.map((f) => [f.name, f.value])).toEqual([
      ['host', 'smtp.example.com'],
      ['port', '587'],
      ['username', 'mailer@example.com'],
    ]);
    expect(detail.connection.baseUrl).toBeNull();
    expect(JSON.stringify(detail)).not.toContain(password);
    const sealed = await prisma.credentialSecret.findMany({ where: { credentialId: id! }, select: { field: true }, orderBy: { field: 'asc' } });
    expect(sealed.map((s) => s.field)).toEqual(['host', 'password', 'port', 'username']);

    // Replacing the value rewrites the shown fields too.
    const replaced = await settle(() =>
      replaceAction(
        args(
          postRequest(`/orgs/${owner.slug}/credentials/${id}/replace`, { 'fields.host': 'smtp2.example.com', 'fields.port': '465', 'fields.username': 'mailer@example.com', 'fields.password': password, version: '1' }, owner.cookie),
          { orgSlug: owner.slug, id: id! },
        ),
      ),
    );
    expect((replaced as Response).status).toBe(302);
    expect((await detailOf(owner, id!)).connection.fields.slice(0, 2)).toEqual([
      { name: 'host', label: 'Host', value: 'smtp2.example.com' },
      { name: 'port', label: 'Port', value: '465' },
    ]);
  });
});
