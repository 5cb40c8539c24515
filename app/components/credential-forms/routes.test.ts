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
      replaceAction(args(postRequest(`/orgs/${owner.slug}/credentials/${id}/replace`, { 'fields.key': `ghp_${'b'.repeat(30)}` }, owner.cookie), params)),
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
