// Tenant isolation, roles, members and invitations, through the real route loaders/actions and database.
import { describe, expect, it } from 'vitest';
import {
  createMember,
  createSignedUpUser,
  getRequest,
  postRequest,
  settle,
  testContext,
  unwrapData,
} from '~/auth/test-helpers';
import { prisma } from '~/db.server';
import { action as acceptAction, loader as invitationLoader } from '~/routes/invitations.$token';
import { loader as layoutLoader } from '~/routes/orgs.$orgSlug';
import { loader as orgIndexLoader } from '~/routes/orgs.$orgSlug._index';
import { loader as agentsLoader } from '~/routes/orgs.$orgSlug.agents._index';
import { loader as auditLoader } from '~/routes/orgs.$orgSlug.audit._index';
import { loader as credentialsLoader } from '~/routes/orgs.$orgSlug.credentials._index';
import { action as membersAction, loader as membersLoader } from '~/routes/orgs.$orgSlug.members';
import { action as settingsAction, loader as settingsLoader } from '~/routes/orgs.$orgSlug.settings';
import { action as networkAction } from '~/routes/orgs.$orgSlug.settings.network';
import { action as newOrgAction } from '~/routes/orgs.new';
import { OrgError } from './errors';
import { acceptInvitation, createInvitation, hashInvitationToken } from './invitations.server';
import { changeMemberRole, LAST_OWNER_MESSAGE, removeMember } from './members.server';
import { requireMembership, type OrgActor } from './membership.server';
import type { Role } from './roles';
import { slugify } from './organizations.server';

const TEST_ORIGIN = { ip: '203.0.113.9', userAgent: 'vitest' };

function testActor(userId: string, role: Role): OrgActor {
  return { userId, role, context: { actor: { type: 'user', id: userId, label: userId }, ...TEST_ORIGIN } };
}

const ORG_LOADERS = {
  layout: layoutLoader,
  index: orgIndexLoader,
  credentials: credentialsLoader,
  members: membersLoader,
  agents: agentsLoader,
  audit: auditLoader,
  settings: settingsLoader,
} as const;

async function describeThrown(promise: Promise<unknown>) {
  const result = await settle(() => promise);
  if (!(result instanceof Response)) return { kind: 'returned' as const };
  return { kind: 'response' as const, status: result.status, statusText: result.statusText, body: await result.text() };
}

function membersPost(slug: string, cookie: string, form: Record<string, string>) {
  return settle(() =>
    membersAction({ request: postRequest(`/orgs/${slug}/members`, form, cookie), params: { orgSlug: slug }, context: testContext }),
  );
}

async function inviteLinkToken(slug: string, cookie: string, role = 'member', email = '') {
  const result = await membersPost(slug, cookie, { intent: 'invite', role, email });
  const { data, status } = unwrapData(result);
  expect(status).toBe(200);
  const link = (data as { inviteLink: string }).inviteLink;
  expect(link).toMatch(/\/invitations\/[A-Za-z0-9_-]{43}$/);
  return link.split('/').pop()!;
}

describe('tenant isolation', () => {
  it("answers another organization's pages exactly like a slug that does not exist (404)", async () => {
    const alice = await createSignedUpUser({ organizationName: 'Alpha Isolation' });
    const bob = await createSignedUpUser({ organizationName: 'Bravo Isolation' });
    for (const [name, loader] of Object.entries(ORG_LOADERS)) {
      const foreign = await describeThrown(
        Promise.resolve(loader({ request: getRequest(`/orgs/${bob.slug}/${name}`, alice.cookie), params: { orgSlug: bob.slug }, context: testContext })),
      );
      const missing = await describeThrown(
        Promise.resolve(
          loader({ request: getRequest(`/orgs/no-such-org-${name}/${name}`, alice.cookie), params: { orgSlug: `no-such-org-${name}` }, context: testContext }),
        ),
      );
      expect(foreign, name).toEqual({ kind: 'response', status: 404, statusText: 'Not Found', body: 'Not Found' });
      expect(missing, name).toEqual(foreign);
    }
  });

  it("refuses another organization's mutations with the same 404 and changes nothing", async () => {
    const alice = await createSignedUpUser();
    const bob = await createSignedUpUser({ organizationName: 'Bravo Keeps Its Name' });
    const rename = await describeThrown(
      settingsAction({
        request: postRequest(`/orgs/${bob.slug}/settings`, { name: 'Hijacked' }, alice.cookie),
        params: { orgSlug: bob.slug },
        context: testContext,
      }),
    );
    expect(rename).toMatchObject({ status: 404 });
    const invite = await describeThrown(
      Promise.resolve(membersPost(bob.slug, alice.cookie, { intent: 'invite', role: 'owner' })).then((r) => {
        if (r instanceof Response) throw r;
        return r;
      }),
    );
    expect(invite).toMatchObject({ status: 404 });
    expect((await prisma.organization.findUniqueOrThrow({ where: { slug: bob.slug } })).name).toBe('Bravo Keeps Its Name');
    expect(await prisma.invitation.count({ where: { organization: { slug: bob.slug } } })).toBe(0);
  });

  it('sends a visitor without a session to the login page and back', async () => {
    const owner = await createSignedUpUser();
    const result = await describeThrown(requireMembership(getRequest(`/orgs/${owner.slug}/members`), owner.slug));
    expect(result).toMatchObject({ status: 302 });
    const redirect = (await settle(() => requireMembership(getRequest(`/orgs/${owner.slug}/members`), owner.slug))) as Response;
    expect(redirect.headers.get('Location')).toBe(`/login?redirectTo=${encodeURIComponent(`/orgs/${owner.slug}/members`)}`);
  });
});

describe('organizations', () => {
  it('makes slugs from names and keeps them unique', async () => {
    expect(slugify('Acme Corp.')).toBe('acme-corp');
    expect(slugify('Café  Ünïcode!!')).toBe('cafe-unicode');
    expect(slugify('!!')).toBe('org');
    const first = await createSignedUpUser({ organizationName: 'Same Name Inc' });
    const second = await createSignedUpUser({ organizationName: 'Same Name Inc' });
    expect(first.slug).not.toBe(second.slug);
    expect(second.slug).toMatch(/^same-name-inc(-\d+)?$/);
    const reserved = await createSignedUpUser({ organizationName: 'New' });
    expect(reserved.slug).not.toBe('new');
  });

  it('a signed-in user creates another organization, owns it, and it gets a data key', async () => {
    const user = await createSignedUpUser();
    const response = (await settle(() =>
      newOrgAction({ request: postRequest('/orgs/new', { name: 'Second Venture' }, user.cookie), params: {}, context: testContext }),
    )) as Response;
    expect(response.status).toBe(302);
    const slug = response.headers.get('Location')!.split('/')[2]!;
    const org = await prisma.organization.findUniqueOrThrow({
      where: { slug },
      include: { memberships: true, dataKeys: true },
    });
    expect(org.memberships).toEqual([expect.objectContaining({ userId: user.userId, role: 'owner' })]);
    expect(org.dataKeys).toHaveLength(1);
  });

  it('admins rename the organization; members get 403 and the name stays', async () => {
    const owner = await createSignedUpUser({ organizationName: 'Before Rename' });
    const member = await createMember(owner.slug, 'member');
    const denied = await describeThrown(
      settingsAction({ request: postRequest(`/orgs/${owner.slug}/settings`, { name: 'Member Rename' }, member.cookie), params: { orgSlug: owner.slug }, context: testContext }),
    );
    expect(denied).toMatchObject({ status: 403 });
    const admin = await createMember(owner.slug, 'admin');
    const ok = (await settle(() =>
      settingsAction({ request: postRequest(`/orgs/${owner.slug}/settings`, { name: 'After Rename' }, admin.cookie), params: { orgSlug: owner.slug }, context: testContext }),
    )) as Response;
    expect(ok.status).toBe(302);
    const org = await prisma.organization.findUniqueOrThrow({ where: { slug: owner.slug } });
    expect(org.name).toBe('After Rename');
    expect(org.slug).toBe(owner.slug);
  });

  it('only owners allow private hosts; the change is audited and a bad value changes nothing', async () => {
    const owner = await createSignedUpUser({ organizationName: 'Network Org' });
    const path = `/orgs/${owner.slug}/settings/network`;
    const call = (form: Record<string, string>, cookie: string) =>
      settle(() => networkAction({ request: postRequest(path, form, cookie), params: { orgSlug: owner.slug }, context: testContext }));
    const admin = await createMember(owner.slug, 'admin');
    expect(await describeThrown(networkAction({ request: postRequest(path, { allowPrivateHosts: 'on' }, admin.cookie), params: { orgSlug: owner.slug }, context: testContext }))).toMatchObject({ status: 403 });
    const bad = (await call({ allowPrivateHosts: 'maybe' }, owner.cookie)) as { init: { status: number }; data: { result: { error: Record<string, string[]> } } };
    expect(bad.init.status).toBe(400);
    expect(bad.data.result.error.allowPrivateHosts?.[0]).toMatch(/Choose whether/);
    const before = await prisma.organization.findUniqueOrThrow({ where: { slug: owner.slug } });
    expect(before.allowPrivateHosts).toBe(false);

    expect(((await call({ allowPrivateHosts: 'on' }, owner.cookie)) as Response).status).toBe(302);
    expect((await prisma.organization.findUniqueOrThrow({ where: { slug: owner.slug } })).allowPrivateHosts).toBe(true);
    const events = await prisma.auditEvent.findMany({ where: { organizationId: before.id, action: 'organization.network_update' } });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorType: 'user', details: { allowPrivateHosts: true } });
  });
});

describe('members and roles', () => {
  it('lists members with name, email, role and join date', async () => {
    const owner = await createSignedUpUser({ name: 'Olive Owner' });
    await createMember(owner.slug, 'viewer');
    const { data } = unwrapData(
      await membersLoader({ request: getRequest(`/orgs/${owner.slug}/members`, owner.cookie), params: { orgSlug: owner.slug }, context: testContext }),
    );
    const members = (data as { members: Array<{ name: string; email: string; role: string; joinedAt: Date }> }).members;
    expect(members.map((m) => m.role)).toEqual(['owner', 'viewer']);
    expect(members[0]).toMatchObject({ name: 'Olive Owner', email: owner.email });
    expect(members[0]!.joinedAt).toBeInstanceOf(Date);
  });

  it('the last owner can be neither demoted nor removed, and nothing changes', async () => {
    const owner = await createSignedUpUser();
    const membership = await prisma.membership.findFirstOrThrow({ where: { userId: owner.userId } });
    const demote = unwrapData(await membersPost(owner.slug, owner.cookie, { intent: 'change-role', membershipId: membership.id, role: 'admin' }));
    expect(demote).toEqual({ data: { intent: 'manage', error: LAST_OWNER_MESSAGE }, status: 409 });
    const remove = unwrapData(await membersPost(owner.slug, owner.cookie, { intent: 'remove', membershipId: membership.id }));
    expect(remove).toEqual({ data: { intent: 'manage', error: LAST_OWNER_MESSAGE }, status: 409 });
    expect(await prisma.membership.findUniqueOrThrow({ where: { id: membership.id } })).toMatchObject({ role: 'owner' });
  });

  it('with a second owner, an owner can step down; two concurrent demotions still leave one owner', async () => {
    const owner = await createSignedUpUser();
    const second = await createMember(owner.slug, 'owner');
    const first = await prisma.membership.findFirstOrThrow({ where: { userId: owner.userId } });
    const actor = testActor(owner.userId, 'owner');
    const results = await Promise.allSettled([
      changeMemberRole(second.organizationId, actor, first.id, 'admin'),
      changeMemberRole(second.organizationId, actor, second.membershipId, 'admin'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(OrgError);
    expect(await prisma.membership.count({ where: { organizationId: second.organizationId, role: 'owner' } })).toBe(1);
  });

  it('only owners grant or change the owner role; admins manage everyone else', async () => {
    const owner = await createSignedUpUser();
    const admin = await createMember(owner.slug, 'admin');
    const member = await createMember(owner.slug, 'member');
    const ownerMembership = await prisma.membership.findFirstOrThrow({ where: { userId: owner.userId } });
    const adminActor = testActor(admin.userId, 'admin');

    await expect(changeMemberRole(admin.organizationId, adminActor, member.membershipId, 'owner')).rejects.toMatchObject({ status: 403 });
    await expect(removeMember(admin.organizationId, adminActor, ownerMembership.id)).rejects.toMatchObject({ status: 403 });
    await changeMemberRole(admin.organizationId, adminActor, member.membershipId, 'viewer');
    expect((await prisma.membership.findUniqueOrThrow({ where: { id: member.membershipId } })).role).toBe('viewer');

    const removed = (await membersPost(owner.slug, admin.cookie, { intent: 'remove', membershipId: member.membershipId })) as Response;
    expect(removed.status).toBe(302);
    expect(await prisma.membership.count({ where: { id: member.membershipId } })).toBe(0);
  });

  it("cannot touch a membership of another organization through one's own", async () => {
    const owner = await createSignedUpUser();
    const stranger = await createSignedUpUser();
    const strangerMembership = await prisma.membership.findFirstOrThrow({ where: { userId: stranger.userId } });
    const result = unwrapData(await membersPost(owner.slug, owner.cookie, { intent: 'remove', membershipId: strangerMembership.id }));
    expect(result.status).toBe(404);
    expect(await prisma.membership.count({ where: { id: strangerMembership.id } })).toBe(1);
  });

  it('a viewer (or member) cannot invite: 403 and no invitation written', async () => {
    const owner = await createSignedUpUser();
    for (const role of ['viewer', 'member'] as const) {
      const person = await createMember(owner.slug, role);
      const result = await membersPost(owner.slug, person.cookie, { intent: 'invite', role: 'viewer' });
      expect(result).toBeInstanceOf(Response);
      expect((result as Response).status).toBe(403);
    }
    expect(await prisma.invitation.count({ where: { organization: { slug: owner.slug } } })).toBe(0);
  });
});

describe('invitations', () => {
  it('stores only the token hash, works once, and adds the membership with the invited role', async () => {
    const owner = await createSignedUpUser({ organizationName: 'Invite Co' });
    const token = await inviteLinkToken(owner.slug, owner.cookie, 'admin');
    const stored = await prisma.invitation.findFirstOrThrow({ where: { organization: { slug: owner.slug } } });
    expect(stored.tokenHash).toBe(hashInvitationToken(token));
    expect(JSON.stringify(stored)).not.toContain(token);

    const guestView = unwrapData(await invitationLoader({ request: getRequest(`/invitations/${token}`), params: { token }, context: testContext }));
    expect(guestView.data).toMatchObject({ status: 'valid', organizationName: 'Invite Co', role: 'Admin', viewer: null });

    const invitee = await createSignedUpUser();
    const accepted = (await settle(() =>
      acceptAction({ request: postRequest(`/invitations/${token}`, {}, invitee.cookie), params: { token }, context: testContext }),
    )) as Response;
    expect(accepted.status).toBe(302);
    expect(accepted.headers.get('Location')).toBe(`/orgs/${owner.slug}/credentials`);
    expect(await prisma.membership.findFirst({ where: { userId: invitee.userId, organization: { slug: owner.slug } } })).toMatchObject({ role: 'admin' });

    const third = await createSignedUpUser();
    const again = unwrapData(
      await acceptAction({ request: postRequest(`/invitations/${token}`, {}, third.cookie), params: { token }, context: testContext }),
    );
    expect(again.status).toBe(409);
    expect((again.data as { error: string }).error).toMatch(/already been used/);
    expect(await prisma.membership.count({ where: { userId: third.userId, organization: { slug: owner.slug } } })).toBe(0);
    const usedView = unwrapData(await invitationLoader({ request: getRequest(`/invitations/${token}`), params: { token }, context: testContext }));
    expect(usedView.data).toMatchObject({ status: 'used' });
  });

  it('an expired invitation is refused with a clear message', async () => {
    const owner = await createSignedUpUser();
    const token = await inviteLinkToken(owner.slug, owner.cookie);
    await prisma.invitation.update({ where: { tokenHash: hashInvitationToken(token) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const invitee = await createSignedUpUser();
    await expect(acceptInvitation(token, { id: invitee.userId, email: invitee.email, name: invitee.name }, TEST_ORIGIN)).rejects.toThrow(/expired/);
    const view = unwrapData(await invitationLoader({ request: getRequest(`/invitations/${token}`), params: { token }, context: testContext }));
    expect(view).toMatchObject({ status: 410, data: { status: 'expired' } });
    expect(await prisma.membership.count({ where: { userId: invitee.userId, organization: { slug: owner.slug } } })).toBe(0);
  });

  it('a revoked invitation is refused and leaves the pending list', async () => {
    const owner = await createSignedUpUser();
    const token = await inviteLinkToken(owner.slug, owner.cookie, 'viewer', 'Someone@Example.test');
    const invitation = await prisma.invitation.findUniqueOrThrow({ where: { tokenHash: hashInvitationToken(token) } });
    expect(invitation.email).toBe('someone@example.test');
    const revoked = (await membersPost(owner.slug, owner.cookie, { intent: 'revoke', invitationId: invitation.id })) as Response;
    expect(revoked.status).toBe(302);

    const invitee = await createSignedUpUser({ email: `revoked-${Date.now()}@example.test` });
    await expect(acceptInvitation(token, { id: invitee.userId, email: invitee.email, name: invitee.name }, TEST_ORIGIN)).rejects.toThrow(/revoked/);
    const { data } = unwrapData(
      await membersLoader({ request: getRequest(`/orgs/${owner.slug}/members`, owner.cookie), params: { orgSlug: owner.slug }, context: testContext }),
    );
    expect((data as { invitations: unknown[] }).invitations).toEqual([]);
  });

  it('an invitation addressed to an email can only be accepted by that account', async () => {
    const owner = await createSignedUpUser();
    const intended = await createSignedUpUser();
    const { token } = await createInvitation({
      organizationId: (await prisma.organization.findUniqueOrThrow({ where: { slug: owner.slug } })).id,
      actor: testActor(owner.userId, 'owner'),
      role: 'member',
      email: intended.email,
    });
    const other = await createSignedUpUser();
    await expect(acceptInvitation(token, { id: other.userId, email: other.email, name: other.name }, TEST_ORIGIN)).rejects.toMatchObject({ status: 403 });
    const result = await acceptInvitation(token, { id: intended.userId, email: intended.email, name: intended.name }, TEST_ORIGIN);
    expect(result.role).toBe('member');
  });

  it('an unknown token shows "not valid" with 404', async () => {
    const view = unwrapData(await invitationLoader({ request: getRequest('/invitations/nope'), params: { token: 'nope' }, context: testContext }));
    expect(view).toMatchObject({ status: 404, data: { status: 'invalid' } });
  });

  it('admins cannot create owner invitations; owners can', async () => {
    const owner = await createSignedUpUser();
    const admin = await createMember(owner.slug, 'admin');
    const denied = unwrapData(await membersPost(owner.slug, admin.cookie, { intent: 'invite', role: 'owner' }));
    expect(denied.status).toBe(403);
    expect(await prisma.invitation.count({ where: { organization: { slug: owner.slug } } })).toBe(0);
    await inviteLinkToken(owner.slug, owner.cookie, 'owner');
  });
});
