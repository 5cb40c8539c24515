// Revocation by each provider's own method against local servers shaped like their APIs (GitHub's token API, Slack's auth.revoke), and honest words where a provider offers none.
import crypto from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSignedUpUser } from '~/auth/test-helpers';
import type { CredentialActor } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { closeQueues } from '~/queue/queue.server';
import { writeCredentialSecrets } from '~/vault/vault.server';
import { startProviderApis, type ProviderApis } from '../../test/provider-apis';
import { resolveClientForCredential } from './apps.server';
import { resetPlatformAppsForTests } from './config.server';
import { disconnectCredential, revocationPlan } from './disconnect.server';
import { getProvider } from './providers.server';
import { RevocationError, revokeTokens } from './revocation.server';

const GITHUB_CLIENT = { id: 'Iv1.latchkeytest', secret: `gh-secret-${crypto.randomBytes(6).toString('hex')}` };
let apis: ProviderApis;
const env = { ...process.env };

beforeAll(async () => {
  apis = await startProviderApis({ [GITHUB_CLIENT.id]: GITHUB_CLIENT.secret });
  // The platform's own apps (OAUTH_<PROVIDER>_CLIENT_ID), as an operator configures them.
  process.env.OAUTH_GITHUB_CLIENT_ID = GITHUB_CLIENT.id;
  process.env.OAUTH_GITHUB_CLIENT_SECRET = GITHUB_CLIENT.secret;
  process.env.OAUTH_SLACK_CLIENT_ID = 'slack-client';
  process.env.OAUTH_SLACK_CLIENT_SECRET = 'slack-secret';
  process.env.OAUTH_MICROSOFT_CLIENT_ID = 'ms-client';
  process.env.OAUTH_MICROSOFT_CLIENT_SECRET = 'ms-secret';
  resetPlatformAppsForTests();
});

afterEach(() => {
  apis.calls.length = 0;
});

afterAll(async () => {
  process.env = env;
  resetPlatformAppsForTests();
  await apis.close();
  await closeQueues();
});

async function organization(): Promise<CredentialActor> {
  const user = await createSignedUpUser();
  // The local API servers listen on 127.0.0.1.
  const org = await prisma.organization.update({ where: { slug: user.slug }, data: { allowPrivateHosts: true }, select: { id: true } });
  return { organizationId: org.id, userId: user.userId, userLabel: user.email, role: 'owner', ip: null, userAgent: null };
}

/** A credential connected with the platform's app for `provider` (as a finished Connect leaves it). */
async function connectedCredential(actor: CredentialActor, provider: 'github' | 'slack' | 'microsoft', account = 'ada') {
  const accessToken = `at_${provider}_${crypto.randomBytes(8).toString('hex')}`;
  const credential = await prisma.credential.create({
    data: {
      organizationId: actor.organizationId,
      name: `${provider}_${crypto.randomBytes(3).toString('hex')}`,
      service: provider,
      type: 'oauth',
      status: 'active',
      createdById: actor.userId,
      oauthProvider: provider,
      oauthAccount: account,
    },
  });
  await writeCredentialSecrets(prisma, { organizationId: actor.organizationId, credentialId: credential.id, secrets: { access_token: accessToken } });
  return { credential, accessToken };
}

describe('GitHub: "Delete an app token"', () => {
  it('is what a GitHub credential revokes with', async () => {
    const actor = await organization();
    const { credential } = await connectedCredential(actor, 'github');
    const client = await resolveClientForCredential(credential);
    expect(client.revocation).toEqual({ kind: 'github', url: 'https://api.github.com/applications/{client_id}/token' });
    expect(getProvider('github').revocationEndsGrant).toBe(false);
  });

  it('sends the token to the API with the app as HTTP Basic, and only this credential’s token is revoked', async () => {
    const actor = await organization();
    const { credential, accessToken } = await connectedCredential(actor, 'github');
    const other = await connectedCredential(actor, 'github');
    apis.liveTokens.add(accessToken).add(other.accessToken);
    const client = { ...(await resolveClientForCredential(credential)), revocation: { kind: 'github' as const, url: apis.githubTokenUrl } };
    await revokeTokens(client, { accessToken, refreshToken: null });
    expect(apis.calls).toEqual([{ api: 'github', token: accessToken, clientId: GITHUB_CLIENT.id }]);
    expect(apis.liveTokens.has(accessToken)).toBe(false);
    expect(apis.liveTokens.has(other.accessToken)).toBe(true);
    // The same account on the same app: GitHub's token API leaves the other credential alone, so nothing warns.
    expect(await revocationPlan(credential)).toMatchObject({ at: 'GitHub', revokes: true, sharedLoseAccess: false, shared: [{ id: other.credential.id }] });
  });

  it('a token GitHub does not know is not reported as revoked', async () => {
    const actor = await organization();
    const { credential, accessToken } = await connectedCredential(actor, 'github');
    const client = { ...(await resolveClientForCredential(credential)), revocation: { kind: 'github' as const, url: apis.githubTokenUrl } };
    await expect(revokeTokens(client, { accessToken, refreshToken: null })).rejects.toThrow(RevocationError);
  });
});

describe('Slack: auth.revoke', () => {
  it('sends the token as Bearer and accepts { ok: true, revoked: true }', async () => {
    const actor = await organization();
    const { credential, accessToken } = await connectedCredential(actor, 'slack');
    apis.liveTokens.add(accessToken);
    const client = await resolveClientForCredential(credential);
    expect(client.revocation).toEqual({ kind: 'slack', url: 'https://slack.com/api/auth.revoke' });
    await revokeTokens({ ...client, revocation: { kind: 'slack', url: apis.slackRevokeUrl } }, { accessToken, refreshToken: null });
    expect(apis.calls).toEqual([{ api: 'slack', token: accessToken }]);
    expect(apis.liveTokens.has(accessToken)).toBe(false);
  });

  it('a token Slack no longer accepts counts as revoked; another error does not', async () => {
    const actor = await organization();
    const { credential, accessToken } = await connectedCredential(actor, 'slack');
    const client = { ...(await resolveClientForCredential(credential)), revocation: { kind: 'slack' as const, url: apis.slackRevokeUrl } };
    await expect(revokeTokens(client, { accessToken, refreshToken: null })).resolves.toBeUndefined();
    const broken = { ...client, revocation: { kind: 'slack' as const, url: `${apis.url}/nothing-here` } };
    await expect(revokeTokens(broken, { accessToken, refreshToken: null })).rejects.toThrow('Slack answered HTTP 404');
  });
});

describe('a provider without a revocation API (Microsoft)', () => {
  it('the dialogs say that nothing is revoked there and where the person removes the app', async () => {
    const actor = await organization();
    const { credential } = await connectedCredential(actor, 'microsoft');
    const plan = await revocationPlan(credential);
    expect(plan).toMatchObject({ at: 'Microsoft Entra ID', revokes: false, manualUrl: 'https://myapps.microsoft.com' });
    expect(plan?.manual).toMatch(/^Microsoft Entra ID offers no way for apps to revoke tokens; to end the grant there, remove the app’s access at myapps\.microsoft\.com/);
  });

  it('Disconnect deletes the tokens and the status says what is left to do, without claiming a revocation', async () => {
    const actor = await organization();
    const { credential } = await connectedCredential(actor, 'microsoft');
    const outcome = await disconnectCredential(actor, credential.id);
    expect(outcome.revoked).toBe(false);
    expect(outcome.problem).toMatch(/offers no way for apps to revoke tokens/);
    expect(await prisma.credentialSecret.count({ where: { credentialId: credential.id } })).toBe(0);
    const after = await prisma.credential.findUniqueOrThrow({ where: { id: credential.id } });
    expect(after).toMatchObject({ status: 'disconnected', statusCause: 'disconnected' });
    expect(after.statusReason).toMatch(/myapps\.microsoft\.com/);
  });
});
