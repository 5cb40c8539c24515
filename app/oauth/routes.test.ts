// The OAuth routes end to end through their loaders and actions: connect → provider → callback → detail, roles, isolation, and no secret in any response.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, createSignedUpUser, getRequest, postRequest, settle, testContext, unwrapData } from '~/auth/test-helpers';
import { credentialActor } from '~/credentials/actor.server';
import { prisma } from '~/db.server';
import { requireMembership } from '~/orgs/membership.server';
import { closeQueues } from '~/queue/queue.server';
import { loader as callbackLoader } from '~/routes/oauth.callback';
import { loader as detailLoader } from '~/routes/orgs.$orgSlug.credentials.$id';
import { loader as replaceLoader } from '~/routes/orgs.$orgSlug.credentials.$id_.replace';
import { loader as revealLoader } from '~/routes/orgs.$orgSlug.credentials.$id_.reveal';
import { action as connectAction } from '~/routes/orgs.$orgSlug.credentials.$id_.connect';
import { action as disconnectAction } from '~/routes/orgs.$orgSlug.credentials.$id_.disconnect';
import { action as newAction, loader as newLoader } from '~/routes/orgs.$orgSlug.credentials.new';
import { action as settingsAction, loader as settingsLoader } from '~/routes/orgs.$orgSlug.settings_.oauth';
import { customAppFields, startTestOAuthProvider, type TestOAuthProvider } from '../../test/oauth-provider';

type User = Awaited<ReturnType<typeof createSignedUpUser>>;
const CANARY = `client-secret-CANARY-${crypto.randomBytes(10).toString('hex')}`;
let provider: TestOAuthProvider;
let owner: User;

function location(response: unknown): string {
  expect(response).toBeInstanceOf(Response);
  const r = response as Response;
  expect(r.status).toBe(302);
  return r.headers.get('location')!;
}

async function registerApp(user: User) {
  const form = { intent: 'create', ...customAppFields(provider, 'Local', CANARY), pkce: 'on' };
  const request = postRequest(`/orgs/${user.slug}/settings/oauth`, form, user.cookie);
  return settle(() => settingsAction({ request, params: { orgSlug: user.slug }, context: testContext }));
}

/** Connect through the routes: the add page's action, the provider, the callback. Answers the callback's redirect. */
async function connectThroughRoutes(user: User, name: string): Promise<string> {
  const start = await settle(() =>
    newAction({
      request: postRequest(`/orgs/${user.slug}/credentials/new?type=oauth&service=custom`, { intent: 'connect', name }, user.cookie),
      params: { orgSlug: user.slug },
      context: testContext,
    }),
  );
  const authorize = await fetch(location(start), { redirect: 'manual' });
  const back = new URL(authorize.headers.get('location')!);
  const callback = await settle(() => callbackLoader({ request: getRequest(`${back.pathname}${back.search}`, user.cookie), params: {}, context: testContext }));
  return location(callback);
}

beforeAll(async () => {
  provider = await startTestOAuthProvider({ autoApprove: true, clientSecret: CANARY });
  owner = await createSignedUpUser();
  // The local provider listens on 127.0.0.1: this organization allows private hosts (Settings → Network).
  await prisma.organization.update({ where: { slug: owner.slug }, data: { allowPrivateHosts: true } });
  expect(location(await registerApp(owner))).toBe(`/orgs/${owner.slug}/settings/oauth`);
});

afterAll(async () => {
  await provider.close();
  await closeQueues();
});

describe('OAuth routes', () => {
  it('Settings shows the exact redirect URI and the app, never its secret', async () => {
    const result = await settingsLoader({ request: getRequest(`/orgs/${owner.slug}/settings/oauth`, owner.cookie), params: { orgSlug: owner.slug }, context: testContext });
    const json = JSON.stringify(unwrapData(result).data);
    expect(json).toContain('"redirectUri":"http://localhost:3000/oauth/callback"');
    expect(json).toContain('"hasClientSecret":true');
    expect(json).not.toContain(CANARY);
  });

  it('a member cannot register an app', async () => {
    const member = await createMember(owner.slug, 'member');
    const response = await registerApp({ ...owner, cookie: member.cookie });
    expect((response as Response).status).toBe(403);
  });

  it('connect lands on the detail page with the account and scopes, and no token anywhere', async () => {
    const to = await connectThroughRoutes(owner, 'routes_bot');
    expect(to).toMatch(new RegExp(`^/orgs/${owner.slug}/credentials/[0-9a-f-]{36}$`));
    const id = to.split('/').at(-1)!;
    const detail = await detailLoader({ request: getRequest(to, owner.cookie), params: { orgSlug: owner.slug, id }, context: testContext });
    const json = JSON.stringify(unwrapData(detail).data);
    expect(json).toContain('ada@provider.test');
    expect(json).toContain('"oauthScopes":["read"]');
    for (const secret of [CANARY, ...provider.issuedAccessTokens, ...provider.issuedRefreshTokens]) expect(json).not.toContain(secret);
  });

  it('the add page’s OAuth step shows a service’s default scopes and the apps that can connect it', async () => {
    const step = async (service: string) => {
      const result = await newLoader({ request: getRequest(`/orgs/${owner.slug}/credentials/new?type=oauth&service=${service}`, owner.cookie), params: { orgSlug: owner.slug }, context: testContext });
      return (unwrapData(result).data as { oauth: { scopes: string[]; apps: Array<{ name: string }> } }).oauth;
    };
    expect((await step('custom')).apps.map((a) => a.name)).toEqual(['Local']);
    expect(await step('github')).toMatchObject({ scopes: ['repo', 'read:user'], apps: [] });
  });

  it('a tampered callback renders a message and stores nothing', async () => {
    const before = await prisma.credential.count();
    const result = await callbackLoader({ request: getRequest('/oauth/callback?state=forged&code=abc', owner.cookie), params: {}, context: testContext });
    expect(unwrapData(result).data).toEqual({ message: 'This sign-in link is not valid. Start again from Latchkey.' });
    expect(await prisma.credential.count()).toBe(before);
  });

  it('reconnect redirects to the provider; disconnect sets disconnected; other organizations get 404', async () => {
    const to = await connectThroughRoutes(owner, 'routes_bot2');
    const id = to.split('/').at(-1)!;
    const reconnect = await settle(() => connectAction({ request: postRequest(`${to}/connect`, {}, owner.cookie), params: { orgSlug: owner.slug, id }, context: testContext }));
    expect(location(reconnect).startsWith(provider.authorizationUrl)).toBe(true);
    expect(location(reconnect)).not.toContain(CANARY);

    const stranger = await createSignedUpUser();
    const foreign = await settle(() => disconnectAction({ request: postRequest(`/orgs/${stranger.slug}/credentials/${id}/disconnect`, {}, stranger.cookie), params: { orgSlug: stranger.slug, id }, context: testContext }));
    expect((foreign as Response).status).toBe(404);

    const done = await settle(() => disconnectAction({ request: postRequest(`${to}/disconnect`, {}, owner.cookie), params: { orgSlug: owner.slug, id }, context: testContext }));
    expect(location(done)).toBe(to);
    expect(await prisma.credential.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'disconnected' });
  });

  it('pasted tokens the provider refuses answer 400 with the provider words and without the pasted values', async () => {
    const pastedCanary = `rt_CANARY_${crypto.randomBytes(8).toString('hex')}`;
    const result = await newAction({
      request: postRequest(
        `/orgs/${owner.slug}/credentials/new?type=oauth&service=custom`,
        { intent: 'paste', name: 'pasted_routes', accessToken: 'at_x', refreshToken: pastedCanary, tokenUrl: provider.tokenUrl, clientId: provider.clientId, clientSecret: CANARY },
        owner.cookie,
      ),
      params: { orgSlug: owner.slug },
      context: testContext,
    });
    const { data, status } = unwrapData(result);
    expect(status).toBe(400);
    expect(JSON.stringify(data)).toMatch(/invalid_grant/);
    expect(JSON.stringify(data)).not.toContain(pastedCanary);
    expect(JSON.stringify(data)).not.toContain(CANARY);
    const actor = credentialActor(await requireMembership(getRequest(`/orgs/${owner.slug}`, owner.cookie), owner.slug), getRequest('/'));
    expect(await prisma.credential.count({ where: { organizationId: actor.organizationId, name: 'pasted_routes' } })).toBe(0);
  });
  it('a pasted-token credential tells the truth about its account, and its Reveal and Replace addresses explain what to do instead', async () => {
    const { accessToken, refreshToken } = provider.issueTokens(['read']);
    const saved = await settle(() =>
      newAction({
        request: postRequest(
          `/orgs/${owner.slug}/credentials/new?type=oauth&service=custom`,
          { intent: 'paste', name: 'pasted_truth', accessToken, refreshToken, tokenUrl: provider.tokenUrl, clientId: provider.clientId, clientSecret: CANARY },
          owner.cookie,
        ),
        params: { orgSlug: owner.slug },
        context: testContext,
      }),
    );
    const id = location(saved).split('/').pop()!;
    const args = (path: string) => ({ request: getRequest(`/orgs/${owner.slug}/credentials/${id}${path}`, owner.cookie), params: { orgSlug: owner.slug, id }, context: testContext });

    const detail = JSON.stringify(unwrapData(await detailLoader(args(''))).data);
    expect(detail).not.toContain('Not connected');
    expect(detail).toContain('Pasted tokens (account unknown)');

    const pages: Array<[string, (a: ReturnType<typeof args>) => Promise<unknown>, string]> = [
      ['/reveal', revealLoader, 'OAuth tokens are never shown'],
      ['/replace', replaceLoader, 'OAuth tokens are replaced by reconnecting'],
    ];
    for (const [path, loader, title] of pages) {
      const answer = await settle(() => loader(args(path)));
      expect(answer).toBeInstanceOf(Response);
      const response = answer as Response;
      expect(response.status).toBe(409);
      const body = (await response.json()) as { title: string; description: string; action: { href: string } };
      expect(body.title).toBe(title);
      expect(body.description).toMatch(/Reconnect/);
      expect(body.action.href).toBe(`/orgs/${owner.slug}/credentials/${id}`);
      expect(JSON.stringify(body)).not.toContain(refreshToken);
    }
  });
});
