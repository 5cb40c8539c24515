// Organization-level changes leave their audit row (with the request's IP) in the same transaction, none when refused; the audit page names actors and targets as they are now; signing up from an invitation only joins.
import crypto from 'node:crypto';
import type { AppLoadContext } from '@remix-run/node';
import { describe, expect, it } from 'vitest';
import { createMember, createSignedUpUser, getRequest, postRequest, settle, STRONG_PASSWORD, testContext, unwrapData, uniqueEmail } from '~/auth/test-helpers';
import { recordAudit } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import { action as acceptAction } from '~/routes/invitations.$token';
import { action as agentDetailAction } from '~/routes/orgs.$orgSlug.agents.$agentId';
import { action as agentsAction } from '~/routes/orgs.$orgSlug.agents._index';
import { loader as auditLoader } from '~/routes/orgs.$orgSlug.audit._index';
import { action as membersAction } from '~/routes/orgs.$orgSlug.members';
import { action as settingsAction } from '~/routes/orgs.$orgSlug.settings';
import { action as networkAction } from '~/routes/orgs.$orgSlug.settings.network';
import { action as newOrgAction } from '~/routes/orgs.new';
import { action as signupAction, loader as signupLoader } from '~/routes/signup';
import { hashInvitationToken } from './invitations.server';

const IP = '198.51.100.23';
/** What express hands Remix: the socket address as seen through `trust proxy`. */
const context = { ...testContext, clientIp: IP } as AppLoadContext;
const args = (request: Request, params: Record<string, string> = {}) => ({ request, params, context }) as never;

async function orgOf(slug: string) {
  return prisma.organization.findUniqueOrThrow({ where: { slug } });
}

async function rows(organizationId: string, action?: string) {
  return prisma.auditEvent.findMany({ where: { organizationId, ...(action ? { action } : {}) }, orderBy: { seq: 'asc' } });
}

function members(slug: string, cookie: string, form: Record<string, string>) {
  return settle(() => membersAction(args(postRequest(`/orgs/${slug}/members`, form, cookie), { orgSlug: slug })));
}

async function invite(slug: string, cookie: string, role = 'member', email = ''): Promise<string> {
  const { data, status } = unwrapData(await members(slug, cookie, { intent: 'invite', role, email }));
  expect(status).toBe(200);
  return (data as { inviteLink: string }).inviteLink.split('/').pop()!;
}

describe('every organization-level change writes its audit row with the IP', () => {
  it('invite, accept, role change, removal, leaving, rename and network each leave one row with actor, target and IP', async () => {
    const owner = await createSignedUpUser({ name: 'Olive Owner' });
    const org = await orgOf(owner.slug);
    // Signing up started the chain with the organization's creation.
    expect((await rows(org.id)).map((r) => r.action)).toEqual(['organization.create']);

    const token = await invite(owner.slug, owner.cookie, 'admin', '');
    const invitation = await prisma.invitation.findUniqueOrThrow({ where: { tokenHash: hashInvitationToken(token) } });
    const [invited] = await rows(org.id, 'member.invite');
    expect(invited).toMatchObject({ actorType: 'user', actorId: owner.userId, targetType: 'invitation', targetId: invitation.id, ip: IP });
    expect(invited!.details).toMatchObject({ role: 'admin' });
    expect(JSON.stringify({ ...invited, id: String(invited!.id) })).not.toContain(token);

    const joiner = await createSignedUpUser({ name: 'Jo Joiner' });
    const accepted = (await settle(() => acceptAction(args(postRequest(`/invitations/${token}`, {}, joiner.cookie), { token })))) as Response;
    expect(accepted.status).toBe(302);
    expect((await rows(org.id, 'member.join'))[0]).toMatchObject({ actorId: joiner.userId, targetType: 'user', targetId: joiner.userId, ip: IP, details: { role: 'admin' } });

    const joinerMembership = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.id, userId: joiner.userId } });
    expect(((await members(owner.slug, owner.cookie, { intent: 'change-role', membershipId: joinerMembership.id, role: 'viewer' })) as Response).status).toBe(302);
    expect((await rows(org.id, 'member.role_change'))[0]).toMatchObject({ actorId: owner.userId, targetId: joiner.userId, ip: IP, details: { from: 'admin', to: 'viewer' } });

    const second = await createMember(owner.slug, 'member');
    expect(((await members(owner.slug, owner.cookie, { intent: 'remove', membershipId: second.membershipId })) as Response).status).toBe(302);
    expect((await rows(org.id, 'member.remove'))[0]).toMatchObject({ actorId: owner.userId, targetId: second.userId, ip: IP, details: { role: 'member' } });

    const leaver = await createMember(owner.slug, 'admin');
    expect(((await members(owner.slug, leaver.cookie, { intent: 'remove', membershipId: leaver.membershipId })) as Response).status).toBe(302);
    expect((await rows(org.id, 'member.leave'))[0]).toMatchObject({ actorId: leaver.userId, targetId: leaver.userId, ip: IP });

    const spare = await invite(owner.slug, owner.cookie, 'viewer', 'spare@example.test');
    const spareInvitation = await prisma.invitation.findUniqueOrThrow({ where: { tokenHash: hashInvitationToken(spare) } });
    expect(((await members(owner.slug, owner.cookie, { intent: 'revoke', invitationId: spareInvitation.id })) as Response).status).toBe(302);
    expect((await rows(org.id, 'member.invitation_revoke'))[0]).toMatchObject({ targetId: spareInvitation.id, ip: IP, details: { email: 'spare@example.test' } });

    const renamed = (await settle(() => settingsAction(args(postRequest(`/orgs/${owner.slug}/settings`, { name: 'Olive Robotics' }, owner.cookie), { orgSlug: owner.slug })))) as Response;
    expect(renamed.status).toBe(302);
    expect((await rows(org.id, 'organization.rename'))[0]).toMatchObject({ actorId: owner.userId, targetType: 'organization', ip: IP });
    expect((await rows(org.id, 'organization.rename'))[0]!.details).toMatchObject({ from: org.name, to: 'Olive Robotics' });
    // The same name again changes nothing, so it writes nothing.
    await settle(() => settingsAction(args(postRequest(`/orgs/${owner.slug}/settings`, { name: 'Olive Robotics' }, owner.cookie), { orgSlug: owner.slug })));
    expect(await rows(org.id, 'organization.rename')).toHaveLength(1);

    await settle(() => networkAction(args(postRequest(`/orgs/${owner.slug}/settings/network`, { allowPrivateHosts: 'on' }, owner.cookie), { orgSlug: owner.slug })));
    expect((await rows(org.id, 'organization.network_update'))[0]).toMatchObject({ actorId: owner.userId, ip: IP });

    const created = (await settle(() => newOrgAction(args(postRequest('/orgs/new', { name: 'Olive Labs' }, owner.cookie))))) as Response;
    const labs = await orgOf(created.headers.get('Location')!.split('/')[2]!);
    expect((await rows(labs.id)).map((r) => [r.action, r.actorId, r.ip])).toEqual([['organization.create', owner.userId, IP]]);
  });

  it('a refused change writes no row: a member inviting, an admin promoting to owner, removing the last owner, a viewer renaming', async () => {
    const owner = await createSignedUpUser();
    const org = await orgOf(owner.slug);
    const admin = await createMember(owner.slug, 'admin');
    const member = await createMember(owner.slug, 'member');
    const viewer = await createMember(owner.slug, 'viewer');
    const ownerMembership = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.id, userId: owner.userId } });
    const before = (await rows(org.id)).length;

    expect(((await members(owner.slug, member.cookie, { intent: 'invite', role: 'viewer' })) as Response).status).toBe(403);
    expect(unwrapData(await members(owner.slug, admin.cookie, { intent: 'invite', role: 'owner' })).status).toBe(403);
    expect(unwrapData(await members(owner.slug, admin.cookie, { intent: 'change-role', membershipId: member.membershipId, role: 'owner' })).status).toBe(403);
    expect(unwrapData(await members(owner.slug, owner.cookie, { intent: 'remove', membershipId: ownerMembership.id })).status).toBe(409);
    expect(unwrapData(await members(owner.slug, owner.cookie, { intent: 'change-role', membershipId: ownerMembership.id, role: 'admin' })).status).toBe(409);
    const rename = await settle(() => settingsAction(args(postRequest(`/orgs/${owner.slug}/settings`, { name: 'Nope Inc' }, viewer.cookie), { orgSlug: owner.slug })));
    expect((rename as Response).status).toBe(403);

    expect(await rows(org.id)).toHaveLength(before);
    expect((await orgOf(owner.slug)).name).toBe(org.name);
    expect(await prisma.invitation.count({ where: { organizationId: org.id } })).toBe(0);
  });

  it('an audit row and its change roll back together', async () => {
    const owner = await createSignedUpUser();
    const org = await orgOf(owner.slug);
    const before = (await rows(org.id)).length;
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.organization.update({ where: { id: org.id }, data: { name: 'Rolled back' } });
        await recordAudit(tx, { organizationId: org.id, context: { actor: { type: 'user', id: owner.userId, label: owner.email }, ip: IP, userAgent: null }, action: 'organization.rename' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await rows(org.id)).toHaveLength(before);
  });
});

describe('the audit page names actors and targets as they are now', () => {
  it('an existing agent reads by its current name, never "(deleted)"; a deleted one reads as deleted; people by their name; the IP is shown', async () => {
    const owner = await createSignedUpUser({ name: 'Ada Admin' });
    const org = await orgOf(owner.slug);
    const created = unwrapData(
      await settle(() => agentsAction(args(postRequest(`/orgs/${owner.slug}/agents`, { name: 'release-bot', allowlist: 'github_*' }, owner.cookie), { orgSlug: owner.slug }))),
    );
    const agentId = (created.data as { agentId: string }).agentId;
    // The agent uses something (how the usage flush writes it: the agent as actor, by id).
    await prisma.$transaction((tx) =>
      recordAudit(tx, { organizationId: org.id, context: { actor: { type: 'agent', id: agentId, label: 'release-bot' }, ip: '192.0.2.8', userAgent: null }, action: 'credential.used', details: { uses: 3 } }),
    );
    // Renamed since: the page shows what it is called now.
    await settle(() =>
      agentDetailAction(args(postRequest(`/orgs/${owner.slug}/agents/${agentId}`, { intent: 'update', name: 'ship-bot', description: '', allowlist: 'github_*' }, owner.cookie), { orgSlug: owner.slug, agentId })),
    );

    type View = { action: string; ip: string | null; actor: { name: string; deleted: boolean; href: string | null }; target: { name: string; deleted: boolean } | null };
    const load = async () =>
      (unwrapData(await auditLoader(args(getRequest(`/orgs/${owner.slug}/audit`, owner.cookie), { orgSlug: owner.slug }))).data as { events: View[] }).events;

    let events = await load();
    const used = events.find((e) => e.action === 'credential.used')!;
    expect(used.actor).toMatchObject({ name: 'ship-bot', deleted: false, href: `/orgs/${owner.slug}/agents/${agentId}` });
    expect(used.ip).toBe('192.0.2.8');
    const createdRow = events.find((e) => e.action === 'agent.create')!;
    expect(createdRow.target).toMatchObject({ name: 'ship-bot', deleted: false });
    expect(createdRow.actor).toMatchObject({ name: 'Ada Admin', deleted: false });
    expect(createdRow.ip).toBe(IP);
    expect(JSON.stringify(events.filter((e) => e.target?.name === 'ship-bot' || e.actor.name === 'ship-bot'))).not.toContain('"deleted":true');

    await settle(() => agentDetailAction(args(postRequest(`/orgs/${owner.slug}/agents/${agentId}`, { intent: 'delete' }, owner.cookie), { orgSlug: owner.slug, agentId })));
    events = await load();
    expect(events.find((e) => e.action === 'credential.used')!.actor).toMatchObject({ name: 'release-bot', deleted: true, href: null });
    expect(events.find((e) => e.action === 'agent.delete')!.target).toMatchObject({ name: 'ship-bot', deleted: true });
  });
});

describe('signing up from an invitation', () => {
  it('asks for no organization, creates none, and joins the invited organization with the invited role', async () => {
    const owner = await createSignedUpUser({ organizationName: 'Invite Works' });
    const token = await invite(owner.slug, owner.cookie, 'viewer');
    const redirectTo = `/invitations/${token}`;
    const page = unwrapData(await signupLoader(args(getRequest(`/signup?${new URLSearchParams({ redirectTo })}`))));
    expect(page.data).toMatchObject({ invitation: { valid: true, organizationName: 'Invite Works', role: 'Viewer' } });

    const organizationsBefore = await prisma.organization.count();
    const email = uniqueEmail('invited');
    const response = (await settle(() =>
      signupAction(args(postRequest('/signup', { name: 'Ivy Invited', email, password: STRONG_PASSWORD, invitation: token, redirectTo }))),
    )) as Response;
    expect(response.status).toBe(302);
    expect(response.headers.get('Location')).toBe(`/orgs/${owner.slug}/credentials`);
    expect(response.headers.get('Set-Cookie')).toContain('__session=');
    expect(await prisma.organization.count()).toBe(organizationsBefore);
    const user = await prisma.user.findUniqueOrThrow({ where: { email }, include: { memberships: { include: { organization: true } } } });
    expect(user.memberships.map((m) => [m.organization.slug, m.role])).toEqual([[owner.slug, 'viewer']]);
    const joined = await rows((await orgOf(owner.slug)).id, 'member.join');
    expect(joined[0]).toMatchObject({ actorId: user.id, ip: IP, details: { role: 'viewer', signedUp: true } });
  });

  it('an invitation for one address needs that address, and a used one creates no account', async () => {
    const owner = await createSignedUpUser();
    const bound = uniqueEmail('bound');
    const token = await invite(owner.slug, owner.cookie, 'member', bound);
    const other = uniqueEmail('other');
    const wrong = unwrapData(await signupAction(args(postRequest('/signup', { name: 'Mallory', email: other, password: STRONG_PASSWORD, invitation: token }))));
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.data)).toContain(`This invitation is for ${bound}`);
    expect(await prisma.user.count({ where: { email: other } })).toBe(0);

    const ok = (await settle(() => signupAction(args(postRequest('/signup', { name: 'Bo Bound', email: bound, password: STRONG_PASSWORD, invitation: token }))))) as Response;
    expect(ok.status).toBe(302);

    const late = uniqueEmail('late');
    const again = unwrapData(await signupAction(args(postRequest('/signup', { name: 'Late', email: late, password: STRONG_PASSWORD, invitation: token }))));
    expect(again.status).toBe(400);
    expect(JSON.stringify(again.data)).toMatch(/already been used/);
    expect(await prisma.user.count({ where: { email: late } })).toBe(0);
  });

  it('the plain sign-up still creates an organization of its own', async () => {
    const email = uniqueEmail('solo');
    const response = (await settle(() =>
      signupAction(args(postRequest('/signup', { name: 'Solo', email, password: STRONG_PASSWORD, organizationName: `Solo ${crypto.randomBytes(3).toString('hex')}` }))),
    )) as Response;
    expect(response.status).toBe(302);
    const user = await prisma.user.findUniqueOrThrow({ where: { email }, include: { memberships: true } });
    expect(user.memberships.map((m) => m.role)).toEqual(['owner']);
  });
});
