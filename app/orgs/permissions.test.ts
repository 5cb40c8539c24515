// The role matrix, one test per cell, through the real route actions and services (ADR 011; README "Roles").
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, createSignedUpUser, getRequest, postRequest, settle, testContext, unwrapData } from '~/auth/test-helpers';
import { createCredential, revealCredentialSecret, type CredentialActor } from '~/credentials/credentials.server';
import { createAgent } from '~/agents/agents.server';
import { systemAuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import { approveProposal, createProposal } from '~/proposals/proposals.server';
import { closeQueues } from '~/queue/queue.server';
import { loader as callbackLoader } from '~/routes/oauth.callback';
import { action as agentsAction } from '~/routes/orgs.$orgSlug.agents._index';
import { loader as auditLoader } from '~/routes/orgs.$orgSlug.audit._index';
import { action as connectAction } from '~/routes/orgs.$orgSlug.credentials.$id_.connect';
import { action as deleteAction } from '~/routes/orgs.$orgSlug.credentials.$id_.delete';
import { action as disconnectAction } from '~/routes/orgs.$orgSlug.credentials.$id_.disconnect';
import { action as editAction } from '~/routes/orgs.$orgSlug.credentials.$id_.edit';
import { action as replaceAction } from '~/routes/orgs.$orgSlug.credentials.$id_.replace';
import { loader as credentialsLoader } from '~/routes/orgs.$orgSlug.credentials._index';
import { action as newAction } from '~/routes/orgs.$orgSlug.credentials.new';
import { action as newOAuthAction } from '~/routes/orgs.$orgSlug.credentials.new';
import { action as membersAction } from '~/routes/orgs.$orgSlug.members';
import { action as settingsAction } from '~/routes/orgs.$orgSlug.settings';
import { action as networkAction } from '~/routes/orgs.$orgSlug.settings.network';
import { action as tokensAction } from '~/routes/orgs.$orgSlug.settings.tokens';
import { action as oauthAppsAction } from '~/routes/orgs.$orgSlug.settings_.oauth';
import { customAppFields, startTestOAuthProvider, type TestOAuthProvider } from '../../test/oauth-provider';
import { grantOf, PERMISSION_NAMES, type Grant, type Permission } from './permissions';
import { ROLES, type Role } from './roles';

type User = Awaited<ReturnType<typeof createSignedUpUser>>;
type Outcome = 'allowed' | 'denied';
/** What the action is done to: anything, a credential the person added / someone else added, an owner / someone who is not. */
type Scope = 'any' | 'own' | 'others' | 'owner' | 'non-owner';

/** The matrix as README and ADR 011 state it, written out so the test does not read it back from the code. */
const EXPECTED: Array<[Permission, Role, Scope, Outcome]> = [
  ...ROLES.map((r) => ['organization.view', r, 'any', 'allowed'] as [Permission, Role, Scope, Outcome]),
  ...ROLES.map((r) => ['audit.view', r, 'any', 'allowed'] as [Permission, Role, Scope, Outcome]),
  ['credential.create', 'owner', 'any', 'allowed'],
  ['credential.create', 'admin', 'any', 'allowed'],
  ['credential.create', 'member', 'any', 'allowed'],
  ['credential.create', 'viewer', 'any', 'denied'],
  ...(['credential.edit', 'credential.replace', 'credential.connect', 'credential.disconnect', 'credential.delete'] as const).flatMap(
    (p): Array<[Permission, Role, Scope, Outcome]> => [
      [p, 'owner', 'others', 'allowed'],
      [p, 'admin', 'others', 'allowed'],
      [p, 'member', 'own', 'allowed'],
      [p, 'member', 'others', 'denied'],
      [p, 'viewer', 'others', 'denied'],
    ],
  ),
  ['credential.reveal', 'owner', 'others', 'allowed'],
  ['credential.reveal', 'admin', 'others', 'allowed'],
  ['credential.reveal', 'member', 'own', 'denied'],
  ['credential.reveal', 'viewer', 'others', 'denied'],
  ['agent.manage', 'owner', 'any', 'allowed'],
  ['agent.manage', 'admin', 'any', 'allowed'],
  ['agent.manage', 'member', 'any', 'denied'],
  ['agent.manage', 'viewer', 'any', 'denied'],
  ['proposal.review', 'owner', 'any', 'allowed'],
  ['proposal.review', 'admin', 'any', 'allowed'],
  ['proposal.review', 'member', 'any', 'allowed'],
  ['proposal.review', 'viewer', 'any', 'denied'],
  ['proposal.approve_sensitive', 'owner', 'any', 'allowed'],
  ['proposal.approve_sensitive', 'admin', 'any', 'allowed'],
  ['proposal.approve_sensitive', 'member', 'any', 'denied'],
  ['proposal.approve_sensitive', 'viewer', 'any', 'denied'],
  ['api_token.manage', 'owner', 'any', 'allowed'],
  ['api_token.manage', 'admin', 'any', 'allowed'],
  ['api_token.manage', 'member', 'any', 'denied'],
  ['api_token.manage', 'viewer', 'any', 'denied'],
  ...(['member.invite', 'member.manage'] as const).flatMap((p): Array<[Permission, Role, Scope, Outcome]> => [
    [p, 'owner', 'owner', 'allowed'],
    [p, 'owner', 'non-owner', 'allowed'],
    [p, 'admin', 'owner', 'denied'],
    [p, 'admin', 'non-owner', 'allowed'],
    [p, 'member', 'non-owner', 'denied'],
    [p, 'viewer', 'non-owner', 'denied'],
  ]),
  ...(['settings.manage', 'oauth_app.manage'] as const).flatMap((p): Array<[Permission, Role, Scope, Outcome]> => [
    [p, 'owner', 'any', 'allowed'],
    [p, 'admin', 'any', 'allowed'],
    [p, 'member', 'any', 'denied'],
    [p, 'viewer', 'any', 'denied'],
  ]),
  ['network.manage', 'owner', 'any', 'allowed'],
  ['network.manage', 'admin', 'any', 'denied'],
  ['network.manage', 'member', 'any', 'denied'],
  ['network.manage', 'viewer', 'any', 'denied'],
];

let provider: TestOAuthProvider;
let people: Record<Role, User>;
let organizationId: string;
let slug: string;

const args = (request: Request, params: Record<string, string>) => ({ request, params, context: testContext }) as never;

function actorOf(role: Role): CredentialActor {
  const person = people[role];
  return { organizationId, userId: person.userId, userLabel: person.email, role, ip: '203.0.113.5', userAgent: 'vitest' };
}

/** A 403 (thrown or returned, from a route or a service) is "denied"; the success the caller expects is "allowed"; anything else fails. */
async function outcomeOf(run: () => Promise<unknown>, succeeded: (status: number, result: unknown) => boolean): Promise<Outcome> {
  let result: unknown;
  try {
    result = await settle(run);
  } catch (error) {
    const e = error as { code?: string; status?: number };
    if (e.code === 'forbidden' || e.status === 403) return 'denied';
    throw error;
  }
  const status = result instanceof Response ? result.status : unwrapData(result).status;
  if (status === 403) return 'denied';
  if (succeeded(status, result)) return 'allowed';
  const body = result instanceof Response ? await result.text() : JSON.stringify(unwrapData(result).data);
  throw new Error(`neither allowed nor refused: ${status} ${body.slice(0, 300)}`);
}

const redirected = (status: number) => status === 302;
const ok = (status: number) => status === 200;

function githubToken(): string {
  return `ghp_${crypto.randomBytes(18).toString('hex')}`;
}

/** An API key added by `creator` through the real service. */
async function apiKeyBy(creator: Role) {
  return createCredential(actorOf(creator), { name: `key_${crypto.randomBytes(4).toString('hex')}`, service: 'github', type: 'api_key', fields: { key: githubToken() } });
}

/** A pending proposal of a fresh agent of the organization. */
async function proposalOf(credentials: unknown[]) {
  const { agent } = await createAgent({ organizationId, role: 'owner', context: systemAuditContext('test') }, { name: `agent-${crypto.randomBytes(4).toString('hex')}` });
  const context = { actor: { type: 'agent' as const, id: agent.id, label: agent.name }, ip: null, userAgent: 'vitest' };
  return createProposal({ ...agent, organizationId }, { message: 'Needed', credentials }, { publicUrl: 'http://latchkey.test', context });
}

/** An OAuth credential `creator` connected through the routes and the local provider. */
async function oauthBy(creator: Role): Promise<string> {
  const person = people[creator];
  const name = `oauth_${crypto.randomBytes(4).toString('hex')}`;
  const start = (await settle(() =>
    newOAuthAction(args(postRequest(`/orgs/${slug}/credentials/new?type=oauth&service=custom`, { intent: 'connect', service: 'custom', name }, person.cookie), { orgSlug: slug })),
  )) as Response;
  expect(start.status).toBe(302);
  const authorize = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  const back = new URL(authorize.headers.get('location')!);
  const done = (await settle(() => callbackLoader(args(getRequest(`${back.pathname}${back.search}`, person.cookie), {})))) as Response;
  const id = done.headers.get('location')!.split('/').pop()!;
  expect((await prisma.credential.findUniqueOrThrow({ where: { id } })).createdById).toBe(person.userId);
  return id;
}

function creatorFor(role: Role, scope: Scope): Role {
  return scope === 'own' ? role : role === 'owner' ? 'member' : 'owner';
}

function appForm(name: string) {
  return { intent: 'create', ...customAppFields(provider, name, 'app-secret'), pkce: 'on' };
}

/** Does `permission` as `role` on a target of `scope`, through the route (or service) a person would use. */
async function attempt(permission: Permission, role: Role, scope: Scope): Promise<Outcome> {
  const { cookie } = people[role];
  const at = (path: string) => `/orgs/${slug}${path}`;
  switch (permission) {
    case 'organization.view':
      return outcomeOf(() => credentialsLoader(args(getRequest(at('/credentials'), cookie), { orgSlug: slug })), ok);
    case 'audit.view':
      return outcomeOf(() => auditLoader(args(getRequest(at('/audit'), cookie), { orgSlug: slug })), ok);
    case 'credential.create': {
      const form = { name: `new_${crypto.randomBytes(4).toString('hex')}`, service: 'github', type: 'api_key', 'fields.key': githubToken() };
      return outcomeOf(() => newAction(args(postRequest(at('/credentials/new?type=api_key&service=github'), form, cookie), { orgSlug: slug })), redirected);
    }
    case 'credential.edit': {
      const credential = await apiKeyBy(creatorFor(role, scope));
      const form = { name: credential.name, description: `edited by ${role}` };
      return outcomeOf(() => editAction(args(postRequest(at(`/credentials/${credential.id}/edit`), form, cookie), { orgSlug: slug, id: credential.id })), redirected);
    }
    case 'credential.replace': {
      const credential = await apiKeyBy(creatorFor(role, scope));
      const form = { 'fields.key': githubToken(), version: String(credential.version) };
      return outcomeOf(
        () => replaceAction(args(postRequest(at(`/credentials/${credential.id}/replace`), form, cookie), { orgSlug: slug, id: credential.id })),
        redirected,
      );
    }
    case 'credential.connect': {
      const id = await oauthBy(creatorFor(role, scope));
      return outcomeOf(
        () => connectAction(args(postRequest(at(`/credentials/${id}/connect`), {}, cookie), { orgSlug: slug, id })),
        // Allowed: off to the provider's sign-in (not back to the page with an error toast).
        (status, result) => status === 302 && (result as Response).headers.get('location')!.startsWith(provider.authorizationUrl),
      );
    }
    case 'credential.disconnect': {
      const id = await oauthBy(creatorFor(role, scope));
      const outcome = await outcomeOf(() => disconnectAction(args(postRequest(at(`/credentials/${id}/disconnect`), {}, cookie), { orgSlug: slug, id })), redirected);
      const { status } = await prisma.credential.findUniqueOrThrow({ where: { id } });
      expect(status === 'disconnected').toBe(outcome === 'allowed');
      return outcome;
    }
    case 'credential.delete': {
      const credential = await apiKeyBy(creatorFor(role, scope));
      const outcome = await outcomeOf(
        () => deleteAction(args(postRequest(at(`/credentials/${credential.id}/delete`), { confirmName: credential.name }, cookie), { orgSlug: slug, id: credential.id })),
        redirected,
      );
      expect(await prisma.credential.count({ where: { id: credential.id } })).toBe(outcome === 'allowed' ? 0 : 1);
      return outcome;
    }
    case 'credential.reveal': {
      const credential = await apiKeyBy(creatorFor(role, scope));
      return outcomeOf(
        () => revealCredentialSecret(actorOf(role), credential.id, { reauthenticatedAt: new Date() }),
        (_status, result) => typeof (result as { fields?: { key?: string } }).fields?.key === 'string',
      );
    }
    case 'agent.manage': {
      const form = { name: `agent-${crypto.randomBytes(4).toString('hex')}`, description: '', allowlist: 'github_*' };
      return outcomeOf(() => agentsAction(args(postRequest(at('/agents'), form, cookie), { orgSlug: slug })), ok);
    }
    case 'proposal.review': {
      // A proposal that only adds a credential: approving creates it and grants it to the agent.
      const name = `proposed_${crypto.randomBytes(4).toString('hex')}`;
      const proposal = await proposalOf([{ name, service: 'github', type: 'api_key' }]);
      const outcome = await outcomeOf(
        () => approveProposal(actorOf(role), proposal.id, { values: { [name]: { key: githubToken() } } }, { publicUrl: 'http://latchkey.test' }),
        (_status, result) => (result as { status?: string }).status === 'approved',
      );
      expect(await prisma.credential.count({ where: { organizationId, name } })).toBe(outcome === 'allowed' ? 1 : 0);
      return outcome;
    }
    case 'proposal.approve_sensitive': {
      // A value the agent generated: only admins may let it in.
      const name = `supplied_${crypto.randomBytes(4).toString('hex')}`;
      const proposal = await proposalOf([{ name, service: 'github', type: 'api_key', value: githubToken() }]);
      return outcomeOf(
        () => approveProposal(actorOf(role), proposal.id, {}, { publicUrl: 'http://latchkey.test' }),
        (_status, result) => (result as { status?: string }).status === 'approved',
      );
    }
    case 'api_token.manage': {
      const name = `ci ${role} ${crypto.randomBytes(3).toString('hex')}`;
      const outcome = await outcomeOf(
        () => tokensAction(args(postRequest(at('/settings/tokens'), { intent: 'create', name, role: 'viewer', expiry: '30' }, cookie), { orgSlug: slug })),
        ok,
      );
      expect(await prisma.managementToken.count({ where: { organizationId, name } })).toBe(outcome === 'allowed' ? 1 : 0);
      return outcome;
    }
    case 'member.invite': {
      const form = { intent: 'invite', role: scope === 'owner' ? 'owner' : 'viewer', email: '' };
      return outcomeOf(() => membersAction(args(postRequest(at('/members'), form, cookie), { orgSlug: slug })), ok);
    }
    case 'member.manage': {
      // A fresh person to change: a second owner (so the last-owner rule never decides) or a viewer.
      const target = await createMember(slug, scope === 'owner' ? 'owner' : 'viewer');
      const form = { intent: 'change-role', membershipId: target.membershipId, role: scope === 'owner' ? 'admin' : 'member' };
      const outcome = await outcomeOf(() => membersAction(args(postRequest(at('/members'), form, cookie), { orgSlug: slug })), redirected);
      const after = await prisma.membership.findUniqueOrThrow({ where: { id: target.membershipId } });
      expect(after.role).toBe(outcome === 'allowed' ? form.role : scope === 'owner' ? 'owner' : 'viewer');
      return outcome;
    }
    case 'settings.manage': {
      const name = `Renamed by ${role} ${crypto.randomBytes(3).toString('hex')}`;
      return outcomeOf(() => settingsAction(args(postRequest(at('/settings'), { name }, cookie), { orgSlug: slug })), redirected);
    }
    case 'oauth_app.manage':
      return outcomeOf(
        () => oauthAppsAction(args(postRequest(at('/settings/oauth'), appForm(`App of ${role} ${crypto.randomBytes(3).toString('hex')}`), cookie), { orgSlug: slug })),
        redirected,
      );
    case 'network.manage':
      // "on" keeps what the local provider needs; the action still answers its redirect.
      return outcomeOf(() => networkAction(args(postRequest(at('/settings/network'), { allowPrivateHosts: 'on' }, cookie), { orgSlug: slug })), redirected);
  }
}

beforeAll(async () => {
  provider = await startTestOAuthProvider({ autoApprove: true, clientSecret: 'app-secret' });
  const owner = await createSignedUpUser();
  slug = owner.slug;
  const org = await prisma.organization.update({ where: { slug }, data: { allowPrivateHosts: true } });
  organizationId = org.id;
  people = {
    owner,
    admin: await createMember(slug, 'admin'),
    member: await createMember(slug, 'member'),
    viewer: await createMember(slug, 'viewer'),
  };
  const registered = (await settle(() => oauthAppsAction(args(postRequest(`/orgs/${slug}/settings/oauth`, appForm('Local'), owner.cookie), { orgSlug: slug })))) as Response;
  expect(registered.status).toBe(302);
}, 60_000);

afterAll(async () => {
  await provider?.close();
  await closeQueues();
});

const ARTICLE: Record<Role, string> = { owner: 'an owner', admin: 'an admin', member: 'a member', viewer: 'a viewer' };
const SCOPE_WORDS: Record<Scope, string> = {
  any: '',
  own: ' on a credential they added',
  others: ' on a credential someone else added',
  owner: ' for an owner',
  'non-owner': ' for someone who is not an owner',
};

describe('the role matrix, cell by cell, through the real actions', () => {
  it.each(EXPECTED)('%s: %s (%s) is %s', async (permission, role, scope, expected) => {
    expect(await attempt(permission, role, scope), `${ARTICLE[role]} doing ${permission}${SCOPE_WORDS[scope]}`).toBe(expected);
  }, 30_000);
});

describe('the matrix data', () => {
  it('every permission and role has a tested cell, and the data says what the cells do', () => {
    const expectedGrant = (permission: Permission, role: Role): Grant => {
      const cells = EXPECTED.filter(([p, r]) => p === permission && r === role);
      expect(cells.length, `${permission} × ${role} is tested`).toBeGreaterThan(0);
      const allowed = (scope: Scope) => cells.find(([, , s]) => s === scope)?.[3] === 'allowed';
      if (cells.every(([, , , o]) => o === 'denied')) return 'none';
      if (allowed('own') && cells.some(([, , s, o]) => s === 'others' && o === 'denied')) return 'own';
      if (allowed('non-owner') && cells.some(([, , s, o]) => s === 'owner' && o === 'denied')) return 'non_owners';
      return 'all';
    };
    for (const permission of PERMISSION_NAMES) {
      for (const role of ROLES) expect(grantOf(role, permission), `${permission} × ${role}`).toBe(expectedGrant(permission, role));
    }
  });

  it('the README role table says what the matrix says, row for row', () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const words: Record<string, Grant> = { '✓': 'all', own: 'own', 'not owners': 'non_owners', '—': 'none' };
    const rows = readme
      .split('\n')
      .filter((line) => /^\| `[a-z_.]+` \|/.test(line))
      .map((line) => line.split('|').slice(1, -1).map((cell) => cell.trim()));
    expect(rows.map((r) => r[0]!.replace(/`/g, ''))).toEqual(PERMISSION_NAMES);
    for (const [name, , ...cells] of rows) {
      const permission = name!.replace(/`/g, '') as Permission;
      expect(cells.map((c) => words[c]), permission).toEqual(ROLES.map((r) => grantOf(r, permission)));
    }
  });

  it('an unknown role or permission is refused, never granted', () => {
    expect(grantOf('superuser' as Role, 'credential.reveal')).toBe('none');
    expect(grantOf('owner', 'everything' as Permission)).toBe('none');
  });
});
