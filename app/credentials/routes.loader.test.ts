// The credentials list and detail loaders: tenant isolation (404s) and no secret anywhere in their data.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, createSignedUpUser, getRequest, settle, testContext, unwrapData } from '~/auth/test-helpers';
import { prisma } from '~/db.server';
import { loader as detailLoader } from '~/routes/orgs.$orgSlug.credentials.$id';
import { loader as listLoader } from '~/routes/orgs.$orgSlug.credentials._index';
import { credentialActor } from './actor.server';
import { createCredential, type CredentialView } from './credentials.server';
import { requireMembership } from '~/orgs/membership.server';

type User = Awaited<ReturnType<typeof createSignedUpUser>>;

async function ownerActor(user: User) {
  const request = getRequest(`/orgs/${user.slug}/credentials`, user.cookie);
  return credentialActor(await requireMembership(request, user.slug), request);
}

function detail(user: User, slug: string, id: string) {
  const request = getRequest(`/orgs/${slug}/credentials/${id}`, user.cookie);
  return settle(() => detailLoader({ request, params: { orgSlug: slug, id }, context: testContext }));
}

function list(user: User, search = '') {
  const request = getRequest(`/orgs/${user.slug}/credentials${search}`, user.cookie);
  return settle(() => listLoader({ request, params: { orgSlug: user.slug }, context: testContext }));
}

let alice: User;
let bob: User;
let aliceKey: CredentialView;
let alicePassword: CredentialView;
let aliceFile: CredentialView;
let bobKey: CredentialView;
// Canaries: if any of these strings reaches loader data, a secret leaked.
const keyCanary = `ghp_CANARY${crypto.randomBytes(16).toString('hex')}`;
const passwordCanary = `pw-CANARY-${crypto.randomBytes(12).toString('hex')}`;
const fileCanary = `FILE-CANARY-${crypto.randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  alice = await createSignedUpUser({ name: 'Alice Admin' });
  bob = await createSignedUpUser({ name: 'Bob Other' });
  const aliceActor = await ownerActor(alice);
  aliceKey = await createCredential(aliceActor, { name: 'github_ci', service: 'github', type: 'api_key', fields: { key: keyCanary } });
  alicePassword = await createCredential(aliceActor, {
    name: 'smtp_relay',
    service: 'custom',
    type: 'password',
    fields: { username: 'mailer@example.com', password: passwordCanary },
  });
  aliceFile = await createCredential(aliceActor, {
    name: 'signing_key',
    service: 'custom',
    type: 'file',
    file: { fileName: 'key.txt', bytes: Buffer.from(`${fileCanary}\n`) },
  });
  bobKey = await createCredential(await ownerActor(bob), {
    name: 'bob_github',
    service: 'github',
    type: 'api_key',
    fields: { key: `ghp_${crypto.randomBytes(20).toString('hex')}` },
  });
});

// Keeps the shared test database's credential counts tidy for other files.
afterAll(async () => {
  await prisma.credential.deleteMany({ where: { id: { in: [aliceKey.id, alicePassword.id, aliceFile.id, bobKey.id] } } });
});

function expectNoCanary(data: unknown) {
  const text = JSON.stringify(data);
  for (const canary of [keyCanary, passwordCanary, fileCanary]) expect(text).not.toContain(canary);
}

describe('credential detail loader', () => {
  it('shows its own organization’s credential with metadata by type and its activity', async () => {
    const { data, status } = unwrapData(await detail(alice, alice.slug, alicePassword.id));
    expect(status).toBe(200);
    const d = data as Awaited<ReturnType<typeof detailLoader>>;
    expect(d.credential).toMatchObject({ name: 'smtp_relay', type: 'password', username: 'mailer@example.com' });
    expect(d.createdBy).toMatchObject({ name: 'Alice Admin' });
    expect(d.activity.events.map((e) => e.action)).toContain('credential.create');
  });

  it('another organization’s credential answers 404, the same as a nonexistent one', async () => {
    const foreign = await detail(alice, alice.slug, bobKey.id);
    const missing = await detail(alice, alice.slug, crypto.randomUUID());
    expect(foreign).toBeInstanceOf(Response);
    expect((foreign as Response).status).toBe(404);
    expect((missing as Response).status).toBe(404);
    expect(await (foreign as Response).text()).toBe(await (missing as Response).text());
  });

  it('a non-UUID id answers 404', async () => {
    const result = await detail(alice, alice.slug, 'not-a-uuid');
    expect((result as Response).status).toBe(404);
  });

  it('another organization’s slug answers 404 even with a valid id of that organization', async () => {
    const result = await detail(alice, bob.slug, bobKey.id);
    expect((result as Response).status).toBe(404);
  });

  it('never carries a secret value, for any type', async () => {
    for (const credential of [aliceKey, alicePassword, aliceFile]) {
      const { data } = unwrapData(await detail(alice, alice.slug, credential.id));
      expect((data as { credential: { id: string } }).credential.id).toBe(credential.id);
      expectNoCanary(data);
    }
  });

  it('a viewer sees the credential but may not manage it', async () => {
    const viewer = await createMember(alice.slug, 'viewer');
    const { data } = unwrapData(await detail(viewer, alice.slug, aliceKey.id));
    expect(data).toMatchObject({
      may: { edit: false, replace: false, connect: false, delete: false, reveal: false },
      credential: { name: 'github_ci' },
    });
    // The owner, on the same credential, is offered every action: the matrix is read, not hard-coded.
    const { data: owner } = unwrapData(await detail(alice, alice.slug, aliceKey.id));
    expect(owner).toMatchObject({ may: { edit: true, replace: true, connect: true, delete: true, reveal: true } });
  });
});

describe('credentials list loader', () => {
  it('lists only the organization’s own credentials and no secret', async () => {
    const { data } = unwrapData(await list(alice));
    const d = data as Awaited<ReturnType<typeof listLoader>>;
    expect(d.rows.map((r) => r.name).sort()).toEqual(['github_ci', 'signing_key', 'smtp_relay']);
    expect(d.isEmpty).toBe(false);
    expectNoCanary(data);
    expect(JSON.stringify(data)).not.toContain('bob_github');
  });

  it('filters by the URL state and tells no-results apart from empty', async () => {
    const { data } = unwrapData(await list(alice, '?q=SMTP&type=password'));
    const d = data as Awaited<ReturnType<typeof listLoader>>;
    expect(d.rows.map((r) => r.name)).toEqual(['smtp_relay']);
    const none = unwrapData(await list(alice, '?q=nothing-like-this')).data as Awaited<ReturnType<typeof listLoader>>;
    expect(none.rows).toEqual([]);
    expect(none.isEmpty).toBe(false);
    const fresh = await createSignedUpUser();
    const empty = unwrapData(await list(fresh)).data as Awaited<ReturnType<typeof listLoader>>;
    expect(empty.isEmpty).toBe(true);
  });

  it('a page past the end redirects to the last page', async () => {
    const result = await list(alice, '?page=9&size=25');
    expect(result).toBeInstanceOf(Response);
    expect((result as Response).status).toBe(302);
    expect((result as Response).headers.get('Location')).toBe(`/orgs/${alice.slug}/credentials?size=25`);
  });
});
