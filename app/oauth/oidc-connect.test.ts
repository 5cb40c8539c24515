// OAuth against an independent, spec-following OpenID Connect server (oidc-provider): discovery from an issuer URL, RFC 9207 `iss`, offline access that needs prompt=consent, and a grant two credentials share.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedUpUser } from '~/auth/test-helpers';
import { hashSessionToken } from '~/auth/session.server';
import { deleteCredential, type CredentialActor } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { closeQueues } from '~/queue/queue.server';
import { readCredentialSecret } from '~/vault/vault.server';
import { startStrictOidcProvider, type StrictOidcProvider } from '../../test/strict-oidc-provider';
import { createOAuthApp, oauthRedirectUri } from './apps.server';
import { disconnectCredential, revocationPlan, revokeBeforeDelete } from './disconnect.server';
import { CallbackError, completeAuthorization, startConnect } from './flow.server';
import { refreshCredential } from './refresh.server';

let op: StrictOidcProvider;

interface Fixture {
  actor: CredentialActor;
  sessionId: string;
  appId: string;
}

/** A new organization that registered the strict provider as a Custom app named "Strict peer". */
async function fixture(): Promise<Fixture> {
  const user = await createSignedUpUser();
  const token = decodeURIComponent(user.cookie.split('=')[1]!);
  // The provider listens on 127.0.0.1: this organization allows private hosts (Settings → Network).
  const org = await prisma.organization.update({ where: { slug: user.slug }, data: { allowPrivateHosts: true }, select: { id: true } });
  const actor: CredentialActor = { organizationId: org.id, userId: user.userId, userLabel: user.email, role: 'owner', ip: '127.0.0.1', userAgent: 'vitest' };
  const app = await createOAuthApp(actor, {
    provider: 'custom',
    name: 'Strict peer',
    clientId: op.clientId,
    clientSecret: op.clientSecret,
    issuer: op.issuer,
    authorizationUrl: op.authorizationUrl,
    tokenUrl: op.tokenUrl,
    revocationUrl: op.revocationUrl,
    userinfoUrl: op.userinfoUrl,
    scopes: 'openid email',
    clientAuth: 'basic',
  });
  return { actor, sessionId: hashSessionToken(token), appId: app.id };
}

/**
 * A browser at the provider: follows its redirects (login, consent, resume) with a cookie jar until it sends the
 * person back to Latchkey. One jar is one browser session, so a second sign-in with it reuses the provider's grant.
 */
async function signIn(authorizationUrl: string, jar = new Map<string, string>()): Promise<URLSearchParams> {
  let next = authorizationUrl;
  for (let hop = 0; hop < 12; hop++) {
    const response = await fetch(next, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (!location) throw new Error(`the provider answered ${response.status} without a redirect`);
    const target = new URL(location, next);
    if (`${target.origin}${target.pathname}` === oauthRedirectUri()) return target.searchParams;
    next = target.toString();
  }
  throw new Error('the sign-in never came back');
}

function complete(f: Fixture, params: URLSearchParams) {
  return completeAuthorization({ params, sessionId: f.sessionId, userId: f.actor.userId, userLabel: f.actor.userLabel, ip: null, userAgent: null });
}

async function connect(f: Fixture, jar?: Map<string, string>, name = `strict_${crypto.randomBytes(3).toString('hex')}`) {
  const { authorizationUrl } = await startConnect(f.actor, f.sessionId, { service: 'custom', name, appId: f.appId });
  return { name, authorizationUrl, params: await signIn(authorizationUrl, jar) };
}

async function hasRefreshToken(f: Fixture, credentialId: string): Promise<boolean> {
  return readCredentialSecret(f.actor.organizationId, credentialId, 'refresh_token').then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  op = await startStrictOidcProvider({ autoApprove: true });
});

afterAll(async () => {
  await op.close();
  await closeQueues();
});

describe('a Custom app registered by its issuer URL', () => {
  it('fills its endpoints from the server metadata and records that the server always sends iss', async () => {
    const user = await createSignedUpUser();
    const org = await prisma.organization.update({ where: { slug: user.slug }, data: { allowPrivateHosts: true }, select: { id: true } });
    const actor: CredentialActor = { organizationId: org.id, userId: user.userId, userLabel: user.email, role: 'owner', ip: null, userAgent: null };
    const app = await createOAuthApp(actor, { provider: 'custom', name: 'Discovered', clientId: op.clientId, clientSecret: op.clientSecret, issuer: op.issuer, scopes: 'openid' });
    expect(app).toMatchObject({
      issuer: op.issuer,
      issParameterRequired: true,
      authorizationUrl: op.authorizationUrl,
      tokenUrl: op.tokenUrl,
      revocationUrl: op.revocationUrl,
      userinfoUrl: op.userinfoUrl,
    });
    // The server grants offline access only when asked, so the app asks for it.
    expect(app.scopes).toEqual(['openid', 'offline_access']);
  });

  it('refuses an issuer whose metadata names another issuer, and saves nothing', async () => {
    const f = await fixture();
    const before = await prisma.oAuthApp.count({ where: { organizationId: f.actor.organizationId } });
    await expect(
      createOAuthApp(f.actor, { provider: 'custom', name: 'Impostor', clientId: 'x', issuer: `${op.issuer}/tenant` }),
    ).rejects.toMatchObject({ fieldErrors: { issuer: [expect.stringMatching(/No metadata found|names itself/)] } });
    expect(await prisma.oAuthApp.count({ where: { organizationId: f.actor.organizationId } })).toBe(before);
  });
});

describe('connecting to a spec-following OpenID Connect provider', () => {
  it('asks for offline access with prompt=consent and gets a refresh token that refreshes', async () => {
    const f = await fixture();
    const { authorizationUrl, params } = await connect(f);
    const sent = new URL(authorizationUrl).searchParams;
    expect(sent.get('prompt')).toBe('consent');
    expect(sent.get('scope')?.split(' ')).toContain('offline_access');
    const result = await complete(f, params);
    expect(result.account).toBe(op.account);
    expect(await hasRefreshToken(f, result.credentialId)).toBe(true);
    expect((await refreshCredential(result.credentialId, { force: true })).outcome).toBe('refreshed');
  });
});

describe('RFC 9207: the callback names its issuer', () => {
  it('a callback without iss is refused when the provider says it always sends one, and stores nothing', async () => {
    const f = await fixture();
    const { params } = await connect(f);
    expect(params.get('iss')).toBe(op.issuer);
    params.delete('iss');
    const before = await prisma.credential.count({ where: { organizationId: f.actor.organizationId } });
    const error = await complete(f, params).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallbackError);
    expect((error as Error).message).toMatch(/^Strict peer always names itself .*came back without it\. Nothing was changed\.$/);
    expect(await prisma.credential.count({ where: { organizationId: f.actor.organizationId } })).toBe(before);
  });

  it('a callback whose iss is another issuer on the same server is refused', async () => {
    const f = await fixture();
    const { params } = await connect(f);
    params.set('iss', `${op.issuer}/other-tenant`);
    const error = await complete(f, params).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallbackError);
    expect((error as Error).message).toMatch(/different server/);
    expect(await prisma.credential.count({ where: { organizationId: f.actor.organizationId } })).toBe(0);
  });
});

describe('two credentials connected with the same account and app share one grant', () => {
  async function twoOnOneGrant() {
    const f = await fixture();
    // One browser session at the provider: the second sign-in reuses the first one's grant, as real providers do.
    const jar = new Map<string, string>();
    const a = await complete(f, (await connect(f, jar, `shared_a_${crypto.randomBytes(2).toString('hex')}`)).params);
    const bName = `shared_b_${crypto.randomBytes(2).toString('hex')}`;
    const b = await complete(f, (await connect(f, jar, bName)).params);
    const agent = await prisma.agent.create({ data: { organizationId: f.actor.organizationId, name: `uses_${bName}`, allowedCredentials: [bName] } });
    return { f, a, b, bName, agent };
  }

  async function plan(id: string) {
    const credential = await prisma.credential.findUniqueOrThrow({ where: { id } });
    return revocationPlan(credential);
  }

  it('each names the other, with its agents, and says that revoking ends the other too', async () => {
    const { a, b, bName, agent } = await twoOnOneGrant();
    expect(await plan(a.credentialId)).toMatchObject({
      at: 'Strict peer',
      revokes: true,
      sharedLoseAccess: true,
      shared: [{ id: b.credentialId, name: bName, agents: [{ id: agent.id, name: agent.name }] }],
    });
    expect((await plan(b.credentialId))?.shared.map((s) => s.id)).toEqual([a.credentialId]);
  });

  it('delete without revoking leaves the other credential working', async () => {
    const { f, a, b } = await twoOnOneGrant();
    const revokedBefore = op.revokedGrants.length;
    const name = (await prisma.credential.findUniqueOrThrow({ where: { id: a.credentialId } })).name;
    expect(await revokeBeforeDelete(f.actor, a.credentialId, { revoke: false })).toEqual({ revoked: false, problem: null, skipped: true });
    await deleteCredential(f.actor, a.credentialId, { confirmName: name });
    expect(op.revokedGrants.length).toBe(revokedBefore);
    expect((await refreshCredential(b.credentialId, { force: true })).outcome).toBe('refreshed');
  });

  it('disconnect without revoking leaves the other credential working', async () => {
    const { f, a, b } = await twoOnOneGrant();
    const revokedBefore = op.revokedGrants.length;
    expect(await disconnectCredential(f.actor, a.credentialId, { revoke: false })).toMatchObject({ revoked: false, skipped: true });
    expect(op.revokedGrants.length).toBe(revokedBefore);
    expect(await prisma.credential.findUniqueOrThrow({ where: { id: a.credentialId } })).toMatchObject({ status: 'disconnected' });
    expect((await refreshCredential(b.credentialId, { force: true })).outcome).toBe('refreshed');
  });

  it('revoking one of them ends the other too, which is why the dialogs warn', async () => {
    const { f, a, b } = await twoOnOneGrant();
    expect(await disconnectCredential(f.actor, a.credentialId)).toMatchObject({ revoked: true });
    await expect(refreshCredential(b.credentialId, { force: true })).rejects.toMatchObject({ kind: 'permanent' });
  });
});
