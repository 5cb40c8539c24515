// Several OAuth apps of one provider: each is named, the person picks the one to connect (and reconnect) with, and the provider's errors name that app.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedUpUser } from '~/auth/test-helpers';
import { hashSessionToken } from '~/auth/session.server';
import type { CredentialActor } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { closeQueues } from '~/queue/queue.server';
import { customAppFields, startTestOAuthProvider, type TestOAuthProvider } from '../../test/oauth-provider';
import { connectOptions, createOAuthApp } from './apps.server';
import { completeAuthorization, startConnect, startReconnect } from './flow.server';

let alpha: TestOAuthProvider;
let beta: TestOAuthProvider;
let actor: CredentialActor;
let sessionId: string;
const apps: Record<'alpha' | 'beta', string> = { alpha: '', beta: '' };

function register(name: string, provider: TestOAuthProvider) {
  return createOAuthApp(actor, customAppFields(provider, name));
}

/** The provider signs in at once (autoApprove) and sends the browser back with a code. */
async function signIn(authorizationUrl: string): Promise<URLSearchParams> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  await response.body?.cancel();
  return new URL(response.headers.get('location')!).searchParams;
}

function complete(params: URLSearchParams) {
  return completeAuthorization({ params, sessionId, userId: actor.userId, userLabel: actor.userLabel, ip: null, userAgent: null });
}

beforeAll(async () => {
  alpha = await startTestOAuthProvider({ autoApprove: true, account: 'ada@alpha.test' });
  beta = await startTestOAuthProvider({ autoApprove: true, account: 'bob@beta.test' });
  const user = await createSignedUpUser();
  // Both local providers listen on 127.0.0.1: this organization allows private hosts (Settings → Network).
  const org = await prisma.organization.update({ where: { slug: user.slug }, data: { allowPrivateHosts: true }, select: { id: true } });
  actor = { organizationId: org.id, userId: user.userId, userLabel: user.email, role: 'owner', ip: null, userAgent: 'vitest' };
  sessionId = hashSessionToken(decodeURIComponent(user.cookie.split('=')[1]!));
  // Alpha first: before the fix, Connect always used the oldest app.
  apps.alpha = (await register('Alpha IdP', alpha)).id;
  apps.beta = (await register('Beta IdP', beta)).id;
});

afterAll(async () => {
  await alpha.close();
  await beta.close();
  await closeQueues();
});

describe('two Custom OAuth apps', () => {
  it('are offered by name, and Connect without a choice asks which one', async () => {
    expect((await connectOptions(actor.organizationId, 'custom')).map((o) => o.name)).toEqual(['Alpha IdP', 'Beta IdP']);
    await expect(startConnect(actor, sessionId, { service: 'custom', name: `pick_${crypto.randomBytes(3).toString('hex')}` })).rejects.toMatchObject({
      fieldErrors: { appId: [expect.stringMatching(/Choose which OAuth app/)] },
    });
  });

  it('Connect uses the chosen (newer) app, and Reconnect can switch to the other', async () => {
    const name = `beta_${crypto.randomBytes(3).toString('hex')}`;
    const started = await startConnect(actor, sessionId, { service: 'custom', name, appId: apps.beta });
    expect(new URL(started.authorizationUrl).origin).toBe(new URL(beta.authorizationUrl).origin);
    await complete(await signIn(started.authorizationUrl));
    const credential = await prisma.credential.findFirstOrThrow({ where: { organizationId: actor.organizationId, name } });
    expect(credential).toMatchObject({ oauthAppId: apps.beta, oauthAccount: 'bob@beta.test' });
    expect(beta.tokenRequests.some((r) => r.grantType === 'authorization_code')).toBe(true);
    expect(alpha.tokenRequests).toHaveLength(0);

    const again = await startReconnect(actor, sessionId, credential.id, { appId: apps.alpha });
    expect(new URL(again.authorizationUrl).origin).toBe(new URL(alpha.authorizationUrl).origin);
    await complete(await signIn(again.authorizationUrl));
    expect(await prisma.credential.findUniqueOrThrow({ where: { id: credential.id } })).toMatchObject({ oauthAppId: apps.alpha, oauthAccount: 'ada@alpha.test' });
  });

  it('a sign-in the provider refuses names the app, not "Custom"', async () => {
    const started = await startConnect(actor, sessionId, { service: 'custom', name: `refused_${crypto.randomBytes(3).toString('hex')}`, appId: apps.beta });
    const params = await signIn(started.authorizationUrl);
    beta.failNextTokenRequests({ status: 400, body: { error: 'invalid_client', error_description: 'client authentication failed' } });
    await expect(complete(params)).rejects.toThrow(/^Beta IdP rejected the sign-in/);
  });
});
