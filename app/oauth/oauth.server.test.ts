// OAuth end to end against real local servers: connect, callback abuse, refresh single-flight across processes, error classification, disconnect, pasted tokens, no leaks.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { Events, OAuth2Server } from 'oauth2-mock-server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSignedUpUser } from '~/auth/test-helpers';
import { hashSessionToken } from '~/auth/session.server';
import type { CredentialActor } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { logger } from '~/logger.server';
import { closeQueues } from '~/queue/queue.server';
import { readCredentialSecret, sealSecret } from '~/vault/vault.server';
import { startTestOAuthProvider, type TestOAuthProvider } from '../../test/oauth-provider';
import { createOAuthApp, listOAuthApps, oauthRedirectUri } from './apps.server';
import { disconnectCredential, revokeBeforeDelete } from './disconnect.server';
import { CallbackError, completeAuthorization, startConnect, startReconnect } from './flow.server';
import { createPastedOAuthCredential } from './pasted.server';
import { getProvider, listProviders, withOfflineAccess } from './providers.server';
import { accessTokenForUse, refreshCredential, RefreshError } from './refresh.server';
import { classifyTokenFailure, parseRetryAfter } from './token-endpoint.server';

const CANARY_SECRET = `canary-client-secret-${crypto.randomBytes(8).toString('hex')}`;

let provider: TestOAuthProvider;
const logged: unknown[] = [];

interface Fixture {
  actor: CredentialActor;
  sessionId: string;
  slug: string;
  appId: string;
}

async function fixture(p: TestOAuthProvider = provider, clientSecret = p.clientSecret): Promise<Fixture> {
  const user = await createSignedUpUser();
  const token = decodeURIComponent(user.cookie.split('=')[1]!);
  // The local providers listen on 127.0.0.1: this organization allows private hosts (Settings → Network).
  const org = await prisma.organization.update({ where: { slug: user.slug }, data: { allowPrivateHosts: true }, select: { id: true } });
  const actor: CredentialActor = {
    organizationId: org.id,
    userId: user.userId,
    userLabel: user.email,
    role: 'owner',
    ip: '127.0.0.1',
    userAgent: 'vitest',
  };
  const app = await createOAuthApp(actor, {
    provider: 'custom',
    name: 'Local provider',
    clientId: p.clientId,
    clientSecret,
    authorizationUrl: p.authorizationUrl,
    tokenUrl: p.tokenUrl,
    revocationUrl: p.revocationUrl,
    userinfoUrl: p.userinfoUrl,
    scopes: 'read write',
    clientAuth: 'basic',
  });
  return { actor, sessionId: hashSessionToken(token), slug: user.slug, appId: app.id };
}

/** Starts a connect and follows the provider's redirect; answers the callback's query. */
async function authorize(f: Fixture, name = `oauth-${crypto.randomBytes(4).toString('hex')}`): Promise<{ params: URLSearchParams; name: string }> {
  const { authorizationUrl } = await startConnect(f.actor, f.sessionId, { service: 'custom', name, appId: f.appId });
  return { params: await follow(authorizationUrl), name };
}

async function follow(authorizationUrl: string): Promise<URLSearchParams> {
  const response = await fetch(authorizationUrl, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (!location) throw new Error(`provider answered ${response.status} without a redirect`);
  const url = new URL(location);
  expect(`${url.origin}${url.pathname}`).toBe(oauthRedirectUri());
  return url.searchParams;
}

function complete(f: Fixture, params: URLSearchParams, sessionId = f.sessionId) {
  return completeAuthorization({ params, sessionId, userId: f.actor.userId, userLabel: f.actor.userLabel, ip: null, userAgent: null });
}

async function secretOf(f: Fixture, credentialId: string, field: string): Promise<string | null> {
  try {
    return (await readCredentialSecret(f.actor.organizationId, credentialId, field)).toString('utf8');
  } catch {
    return null;
  }
}

async function oauthCount(f: Fixture): Promise<number> {
  return prisma.credential.count({ where: { organizationId: f.actor.organizationId, type: 'oauth' } });
}

async function connected(f: Fixture) {
  const { params } = await authorize(f);
  return complete(f, params);
}

beforeAll(async () => {
  provider = await startTestOAuthProvider({ autoApprove: true });
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug'] as const) {
    vi.spyOn(logger, level).mockImplementation(((...args: unknown[]) => {
      logged.push(args);
    }) as never);
  }
});

afterEach(() => {
  provider.options.rotateRefreshTokens = true;
  provider.options.tokenDelayMs = 0;
  provider.options.sendIss = true;
  provider.account = 'ada@provider.test';
});

afterAll(async () => {
  await provider.close();
  await closeQueues();
});

describe('connect', () => {
  it('stores sealed tokens, expiry, granted scopes and the account, and turns active', async () => {
    const f = await fixture();
    const { params, name } = await authorize(f);
    expect(params.get('iss')).toBe(provider.issuer);
    const result = await complete(f, params);
    expect(result).toMatchObject({ organizationSlug: f.slug, reconnected: false, account: 'ada@provider.test' });

    const credential = await prisma.credential.findUniqueOrThrow({ where: { id: result.credentialId } });
    expect(credential).toMatchObject({ name, type: 'oauth', status: 'active', oauthAccount: 'ada@provider.test', oauthScopes: ['read', 'write'], oauthAppId: f.appId });
    expect(credential.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3500_000);
    expect(await secretOf(f, credential.id, 'access_token')).toBe(provider.issuedAccessTokens.at(-1));
    expect(await secretOf(f, credential.id, 'refresh_token')).toBe(provider.issuedRefreshTokens.at(-1));
    // Sealed: the stored bytes are not the token.
    const rows = await prisma.credentialSecret.findMany({ where: { credentialId: credential.id } });
    for (const row of rows) expect(Buffer.from(row.ciphertext).includes(Buffer.from(provider.issuedRefreshTokens.at(-1)!))).toBe(false);
    // The exchange used PKCE and HTTP Basic client authentication.
    expect(provider.tokenRequests.at(-1)).toMatchObject({ grantType: 'authorization_code', hadVerifier: true, clientAuth: 'basic' });
    const audit = await prisma.auditEvent.findFirst({ where: { credentialId: credential.id, action: 'credential.connect' } });
    expect(audit?.details).toMatchObject({ account: 'ada@provider.test', provider: 'custom' });
    // The verifier is gone once used.
    const state = await prisma.oAuthState.findFirst({ where: { organizationId: f.actor.organizationId } });
    expect(state).toMatchObject({ codeVerifier: null });
    expect(state?.usedAt).not.toBeNull();
  });

  it('reconnect keeps the id and name, replaces the tokens and notes that the account changed', async () => {
    const f = await fixture();
    const first = await connected(f);
    const before = await prisma.credential.findUniqueOrThrow({ where: { id: first.credentialId } });
    const oldRefresh = await secretOf(f, first.credentialId, 'refresh_token');
    provider.account = 'grace@provider.test';
    const { authorizationUrl } = await startReconnect(f.actor, f.sessionId, first.credentialId);
    const result = await complete(f, await follow(authorizationUrl));
    expect(result).toMatchObject({ credentialId: first.credentialId, reconnected: true, accountChanged: true, previousAccount: 'ada@provider.test', account: 'grace@provider.test' });
    const after = await prisma.credential.findUniqueOrThrow({ where: { id: first.credentialId } });
    expect(after.name).toBe(before.name);
    expect(after.version).toBe(before.version + 1);
    expect(after.oauthAccount).toBe('grace@provider.test');
    expect(await secretOf(f, first.credentialId, 'refresh_token')).not.toBe(oldRefresh);
    expect(await prisma.auditEvent.count({ where: { credentialId: first.credentialId, action: 'credential.reconnect' } })).toBe(1);
  });

  it('refuses a name already used, before leaving Latchkey', async () => {
    const f = await fixture();
    const { name } = await authorize(f).then(async (a) => (await complete(f, a.params), a));
    await expect(startConnect(f.actor, f.sessionId, { service: 'custom', name, appId: f.appId })).rejects.toMatchObject({
      fieldErrors: { name: [`A credential named ${name} already exists`] },
    });
  });

  it('a viewer cannot start a connect', async () => {
    const f = await fixture();
    await expect(startConnect({ ...f.actor, role: 'viewer' }, f.sessionId, { service: 'custom', name: 'x', appId: f.appId })).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('works against oauth2-mock-server requiring PKCE', async () => {
    const server = new OAuth2Server();
    await server.issuer.keys.generate('RS256');
    await server.start(0, '127.0.0.1');
    try {
      // Require PKCE: an authorization-code request without a verifier is refused.
      server.service.on(Events.BeforeResponse, (response, req) => {
        const body = (req as unknown as { body: Record<string, string> }).body;
        if (body.grant_type === 'authorization_code' && !body.code_verifier) {
          response.statusCode = 400;
          response.body = { error: 'invalid_request', error_description: 'code_verifier required' };
        }
      });
      server.service.on(Events.BeforeUserinfo, (response) => {
        response.body = { sub: 'johndoe', email: 'john@mock.test' };
      });
      const base = server.issuer.url!;
      const withoutVerifier = await fetch(`${base}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x', redirect_uri: oauthRedirectUri(), client_id: 'mock-client' }),
      });
      expect(withoutVerifier.status).toBe(400);
      const f = await fixture({ ...provider, clientId: 'mock-client', clientSecret: 'mock-secret', authorizationUrl: `${base}/authorize`, tokenUrl: `${base}/token`, revocationUrl: `${base}/revoke`, userinfoUrl: `${base}/userinfo` } as TestOAuthProvider, 'mock-secret');
      const { params } = await authorize(f);
      const result = await complete(f, params);
      const credential = await prisma.credential.findUniqueOrThrow({ where: { id: result.credentialId } });
      expect(credential).toMatchObject({ status: 'active', oauthAccount: 'john@mock.test' });
      expect(await secretOf(f, credential.id, 'refresh_token')).toMatch(/^[0-9a-f-]{36}$/);
      const refreshed = await refreshCredential(credential.id, { force: true });
      expect(refreshed.outcome).toBe('refreshed');
      await disconnectCredential(f.actor, credential.id);
      expect(await prisma.credential.findUniqueOrThrow({ where: { id: credential.id } })).toMatchObject({ status: 'disconnected' });
    } finally {
      await server.stop();
    }
  });
});

describe('callback abuse is rejected with a message and stores nothing', () => {
  async function rejects(f: Fixture, run: () => Promise<unknown>, message: RegExp) {
    const before = await oauthCount(f);
    const error = await run().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(CallbackError);
    expect((error as Error).message).toMatch(message);
    expect(await oauthCount(f)).toBe(before);
    return error as CallbackError;
  }

  it('a missing state', async () => {
    const f = await fixture();
    const { params } = await authorize(f);
    params.delete('state');
    await rejects(f, () => complete(f, params), /without its state/);
  });

  it('a replayed state', async () => {
    const f = await fixture();
    const { params } = await authorize(f);
    await complete(f, params);
    await rejects(f, () => complete(f, params), /already used/);
  });

  it("another session's state (and the real session can still finish)", async () => {
    const f = await fixture();
    const other = await fixture();
    const { params } = await authorize(f);
    await rejects(f, () => complete(f, params, other.sessionId), /another browser session/);
    expect((await complete(f, params)).reconnected).toBe(false);
  });

  it('an expired state', async () => {
    const f = await fixture();
    const { params } = await authorize(f);
    await prisma.oAuthState.updateMany({ where: { organizationId: f.actor.organizationId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await rejects(f, () => complete(f, params), /longer than 10 minutes/);
  });

  it('a wrong PKCE verifier', async () => {
    const f = await fixture();
    const { params } = await authorize(f);
    const state = await prisma.oAuthState.findFirstOrThrow({ where: { organizationId: f.actor.organizationId, usedAt: null } });
    const sealed = await sealSecret({ organizationId: f.actor.organizationId, credentialId: f.actor.organizationId, field: `code_verifier:${state.id}`, plaintext: 'x'.repeat(64) });
    await prisma.oAuthState.update({ where: { id: state.id }, data: { codeVerifier: new Uint8Array(sealed.ciphertext), codeVerifierKeyVersion: sealed.keyVersion } });
    const error = await rejects(f, () => complete(f, params), /rejected the sign-in: PKCE verification failed/);
    expect(error.organizationSlug).toBe(f.slug);
  });

  it('a mismatched iss', async () => {
    const f = await fixture();
    const { params } = await authorize(f);
    params.set('iss', 'https://evil.example');
    await rejects(f, () => complete(f, params), /different server/);
  });

  it('error=access_denied', async () => {
    const f = await fixture();
    const { params } = await authorize(f);
    params.delete('code');
    params.set('error', 'access_denied');
    params.set('error_description', 'The user denied the request');
    await rejects(f, () => complete(f, params), /did not connect: access was denied — The user denied the request/);
  });

  it('a reused code', async () => {
    const f = await fixture();
    const first = await authorize(f);
    await complete(f, first.params);
    const second = await authorize(f);
    second.params.set('code', first.params.get('code')!);
    await rejects(f, () => complete(f, second.params), /Authorization code already used/);
  });

  it('a reconnect that the provider denies leaves the credential as it was', async () => {
    const f = await fixture();
    const { credentialId } = await connected(f);
    const before = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
    const { authorizationUrl } = await startReconnect(f.actor, f.sessionId, credentialId);
    const params = await follow(authorizationUrl);
    params.delete('code');
    params.set('error', 'access_denied');
    const error = await rejects(f, () => complete(f, params), /access was denied/);
    expect(error.credentialId).toBe(credentialId);
    expect(await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } })).toEqual(before);
  });
});

describe('refresh', () => {
  it('rotates the refresh token, bumps the version and schedules the next refresh', async () => {
    const f = await fixture();
    const { credentialId } = await connected(f);
    const before = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
    const result = await refreshCredential(credentialId, { force: true });
    expect(result.outcome).toBe('refreshed');
    const after = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
    expect(after.version).toBe(before.version + 1);
    expect(after.refreshLeaseOwner).toBeNull();
    expect(after.nextRefreshAt).not.toBeNull();
    expect(await secretOf(f, credentialId, 'refresh_token')).toBe(provider.issuedRefreshTokens.at(-1));
    expect(await secretOf(f, credentialId, 'access_token')).toBe(provider.issuedAccessTokens.at(-1));
  });

  it('a still-valid token is not refreshed unless forced', async () => {
    const f = await fixture();
    const { credentialId } = await connected(f);
    const requests = provider.tokenRequests.length;
    expect((await refreshCredential(credentialId)).outcome).toBe('still_valid');
    expect(provider.tokenRequests.length).toBe(requests);
  });

  it('keeps the old refresh token when the response carries none', async () => {
    const f = await fixture();
    const { credentialId } = await connected(f);
    const original = await secretOf(f, credentialId, 'refresh_token');
    provider.options.rotateRefreshTokens = false;
    await refreshCredential(credentialId, { force: true });
    expect(await secretOf(f, credentialId, 'refresh_token')).toBe(original);
    expect(await secretOf(f, credentialId, 'access_token')).toBe(provider.issuedAccessTokens.at(-1));
  });

  it('invalid_grant sets needs attention with the provider\'s words and audits the failure', async () => {
    const f = await fixture();
    const { credentialId } = await connected(f);
    provider.revokeAll();
    const error = await refreshCredential(credentialId, { force: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefreshError);
    expect(error).toMatchObject({ kind: 'permanent', providerMessage: 'Token has been expired or revoked. (invalid_grant)' });
    const credential = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
    expect(credential).toMatchObject({ status: 'needs_attention', statusReason: 'Reconnect required: Token has been expired or revoked. (invalid_grant)' });
    expect(credential.refreshFailingSince).not.toBeNull();
    expect(await prisma.auditEvent.count({ where: { credentialId, action: 'credential.refresh_failed' } })).toBe(1);
  });

  it('invalid_grant after the version changed meanwhile is a race, not a revocation', async () => {
    const f = await fixture();
    const { credentialId } = await connected(f);
    provider.failNextTokenRequests({ status: 400, body: { error: 'invalid_grant', error_description: 'Refresh token reuse detected' }, delayMs: 300 });
    const pending = refreshCredential(credentialId, { force: true });
    await new Promise((r) => setTimeout(r, 100));
    // Someone (a reconnect) stores new tokens while the request is out.
    await prisma.credential.update({ where: { id: credentialId }, data: { version: { increment: 1 } } });
    expect((await pending).outcome).toBe('raced');
    expect(await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } })).toMatchObject({ status: 'active', statusReason: null });
  });

  it.each([
    [429, { 'retry-after': '7' }, 7000],
    [503, { 'retry-after': '2' }, 2000],
    [408, {}, undefined],
    [500, {}, undefined],
  ])('HTTP %i is transient with retryAfterMs from Retry-After', async (status, headers, retryAfterMs) => {
    const f = await fixture();
    const { credentialId } = await connected(f);
    provider.failNextTokenRequests({ status, body: status === 503 ? { error: 'temporarily_unavailable' } : 'busy', headers });
    const error = await refreshCredential(credentialId, { force: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'transient', retryAfterMs });
    const credential = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
    expect(credential.status).toBe('active');
    expect(credential.refreshFailingSince).not.toBeNull();
    expect(credential.refreshLeaseOwner).toBeNull();
    // The next attempt succeeds and clears the failing clock.
    expect((await refreshCredential(credentialId, { force: true })).outcome).toBe('refreshed');
    expect((await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } })).refreshFailingSince).toBeNull();
  });

  it('a network failure is transient', async () => {
    const dead = await startTestOAuthProvider();
    await dead.close();
    const f = await fixture();
    const { credentialId } = await connected(f);
    await prisma.oAuthApp.update({ where: { id: f.appId }, data: { tokenUrl: dead.tokenUrl } });
    await expect(refreshCredential(credentialId, { force: true })).rejects.toMatchObject({ kind: 'transient', providerMessage: 'the provider could not be reached' });
  });

  it('classifies failures and reads Retry-After dates', () => {
    expect(classifyTokenFailure({ kind: 'oauth', status: 400, code: 'unauthorized_client', description: null }).kind).toBe('permanent');
    expect(classifyTokenFailure({ kind: 'oauth', status: 400, code: 'invalid_grant', description: 'revoked' }).message).toBe('revoked (invalid_grant)');
    expect(classifyTokenFailure({ kind: 'network', timedOut: true }).kind).toBe('transient');
    expect(classifyTokenFailure({ kind: 'http', status: 401 }).kind).toBe('permanent');
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('50 concurrent refreshes from two processes make exactly one token request and keep the last refresh token', async () => {
    const f = await fixture();
    const { credentialId } = await connected(f);
    // Due now: the access token has expired.
    await prisma.credential.update({ where: { id: credentialId }, data: { expiresAt: new Date(Date.now() - 1000) } });
    provider.options.tokenDelayMs = 500;
    const before = provider.tokenRequests.filter((r) => r.grantType === 'refresh_token').length;
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '__fixtures__/refresh-burst.ts'), credentialId, '25'], {
      cwd: path.resolve(__dirname, '../..'),
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      }),
    );
    const childDone = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await ready;
    const startAt = Date.now() + 300;
    child.stdin.write(`${startAt}\n`);
    await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
    const here = await Promise.all(Array.from({ length: 25 }, () => refreshCredential(credentialId).then((r) => r.outcome)));
    expect(await childDone, err).toBe(0);
    const there = JSON.parse(out.trim().split('\n').at(-1)!) as string[];
    // Both processes really overlapped: each had callers that waited on the other's lease or refresh.
    expect(here.filter((o) => o === 'raced').length + there.filter((o) => o === 'raced').length).toBeGreaterThanOrEqual(48);
    const all = [...here, ...there];
    expect(all).toHaveLength(50);
    expect(all.filter((o) => o === 'refreshed')).toHaveLength(1);
    expect(all.every((o) => ['refreshed', 'raced', 'still_valid'].includes(o))).toBe(true);
    expect(provider.tokenRequests.filter((r) => r.grantType === 'refresh_token').length - before).toBe(1);
    expect(await secretOf(f, credentialId, 'refresh_token')).toBe(provider.issuedRefreshTokens.at(-1));
  }, 60_000);

  it('accessTokenForUse refreshes inside the lead window and answers the fresh token', async () => {
    const f = await fixture();
    const { credentialId } = await connected(f);
    const current = await secretOf(f, credentialId, 'access_token');
    expect(await accessTokenForUse(credentialId)).toBe(current);
    // An hour-long token issued an hour ago, 10 s left: inside the 60-second lead (at most half its lifetime).
    await prisma.credential.update({ where: { id: credentialId }, data: { expiresAt: new Date(Date.now() + 10_000), lastRefreshedAt: new Date(Date.now() - 3_590_000) } });
    const token = await accessTokenForUse(credentialId, { leadMs: 60_000 });
    expect(token).not.toBe(current);
    expect(token).toBe(provider.issuedAccessTokens.at(-1));
  });
});

describe('disconnect and delete', () => {
  it('revokes at the provider, deletes the tokens and sets disconnected; reconnect brings it back', async () => {
    const f = await fixture();
    const { credentialId } = await connected(f);
    const refreshToken = await secretOf(f, credentialId, 'refresh_token');
    const outcome = await disconnectCredential(f.actor, credentialId);
    expect(outcome).toEqual({ revoked: true, problem: null });
    expect(provider.revokedTokens).toContain(refreshToken);
    expect(await prisma.credentialSecret.count({ where: { credentialId } })).toBe(0);
    const credential = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
    expect(credential).toMatchObject({ status: 'disconnected', expiresAt: null });
    expect(await prisma.auditEvent.count({ where: { credentialId, action: 'credential.disconnect' } })).toBe(1);
    await expect(refreshCredential(credentialId, { force: true })).rejects.toMatchObject({ kind: 'permanent' });
    // The revoked refresh token no longer works at the provider.
    const { authorizationUrl } = await startReconnect(f.actor, f.sessionId, credentialId);
    await complete(f, await follow(authorizationUrl));
    expect(await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } })).toMatchObject({ status: 'active' });
  });

  it('delete revokes first and audits it', async () => {
    const f = await fixture();
    const { credentialId } = await connected(f);
    const refreshToken = await secretOf(f, credentialId, 'refresh_token');
    expect(await revokeBeforeDelete(f.actor, credentialId)).toEqual({ revoked: true, problem: null });
    expect(provider.revokedTokens).toContain(refreshToken);
    expect(await prisma.auditEvent.count({ where: { credentialId, action: 'credential.revoke' } })).toBe(1);
  });

  it("another organization's credential is not found", async () => {
    const f = await fixture();
    const other = await fixture();
    const { credentialId } = await connected(f);
    await expect(disconnectCredential(other.actor, credentialId)).rejects.toMatchObject({ code: 'not_found' });
    await expect(startReconnect(other.actor, other.sessionId, credentialId)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('pasted tokens', () => {
  it('a pasted refresh token is validated by refreshing at once', async () => {
    const f = await fixture();
    const pasted = provider.issueTokens(['read']);
    const { id, refreshed } = await createPastedOAuthCredential(f.actor, {
      service: 'custom',
      name: 'pasted-ok',
      accessToken: pasted.accessToken,
      refreshToken: pasted.refreshToken,
      tokenUrl: provider.tokenUrl,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      clientAuth: 'post',
    });
    expect(refreshed).toBe(true);
    expect(await secretOf(f, id, 'refresh_token')).toBe(provider.issuedRefreshTokens.at(-1));
    expect(provider.tokenRequests.at(-1)).toMatchObject({ grantType: 'refresh_token', clientAuth: 'post' });
    // Later refreshes use the pasted token URL and client.
    expect((await refreshCredential(id, { force: true })).outcome).toBe('refreshed');
  });

  it("a refresh token the provider rejects shows the provider's error and stores nothing", async () => {
    const f = await fixture();
    const error = await createPastedOAuthCredential(f.actor, {
      service: 'custom',
      name: 'pasted-bad',
      accessToken: 'at_whatever',
      refreshToken: 'rt_not_issued',
      tokenUrl: provider.tokenUrl,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/did not accept the refresh token: Token has been expired or revoked\. \(invalid_grant\)\. Nothing was stored/);
    expect(await prisma.credential.count({ where: { organizationId: f.actor.organizationId, name: 'pasted-bad' } })).toBe(0);
  });

  it('an access token without a refresh token turns expired when it runs out', async () => {
    const f = await fixture();
    const { id, refreshed } = await createPastedOAuthCredential(f.actor, {
      service: 'custom',
      name: 'pasted-access-only',
      accessToken: 'at_access_only',
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect(refreshed).toBe(false);
    expect(await accessTokenForUse(id)).toBe('at_access_only');
    await prisma.credential.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await expect(refreshCredential(id)).rejects.toMatchObject({ kind: 'permanent' });
    expect(await prisma.credential.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'expired' });
  });

  it('validates fields with field-level errors', async () => {
    const f = await fixture();
    await expect(createPastedOAuthCredential(f.actor, { service: 'custom', name: 'bad name!', accessToken: '', tokenUrl: 'ftp://x' })).rejects.toMatchObject({
      fieldErrors: { name: [expect.any(String)], accessToken: ['Paste the access token'], tokenUrl: ['Enter a full http(s) URL'] },
    });
  });
});

describe('providers and secrets', () => {
  it('every built-in provider builds an authorization URL with PKCE S256, state and the exact redirect URI', () => {
    const builtIns = listProviders().filter((p) => p.id !== 'custom');
    expect(builtIns.map((p) => p.id).sort()).toEqual(['atlassian', 'discord', 'github', 'gitlab', 'google', 'linear', 'microsoft', 'notion', 'salesforce', 'slack']);
    for (const p of builtIns) {
      const url = p.authorizationUrl(
        { clientId: 'cid', clientSecret: 'cs', redirectUri: 'https://latchkey.example/oauth/callback', state: 'st4te', codeVerifier: 'v'.repeat(43), scopes: ['a', 'b'] },
        p.endpoints,
      );
      expect(url.origin, p.id).toBe(new URL(p.endpoints.authorizationUrl).origin);
      expect(url.searchParams.get('code_challenge_method'), p.id).toBe('S256');
      expect(url.searchParams.get('code_challenge'), p.id).toBe(crypto.createHash('sha256').update('v'.repeat(43)).digest('base64url'));
      expect(url.searchParams.get('state'), p.id).toBe('st4te');
      expect(url.searchParams.get('redirect_uri'), p.id).toBe('https://latchkey.example/oauth/callback');
      expect(url.searchParams.get('client_id'), p.id).toBe('cid');
      expect(url.toString()).not.toContain('cs&');
    }
  });

  it('each provider is asked for offline access the way it grants it (Google access_type=offline&prompt=consent, Microsoft and Atlassian offline_access, generic OIDC prompt=consent)', () => {
    const offline = (id: Parameters<typeof getProvider>[0], scopes: string[]) => withOfflineAccess(scopes, getProvider(id).offlineAccess);
    expect(offline('google', ['openid', 'email'])).toEqual({ scopes: ['openid', 'email'], params: { access_type: 'offline', prompt: 'consent' } });
    expect(offline('microsoft', ['User.Read']).scopes).toContain('offline_access');
    expect(offline('atlassian', ['read:jira-work']).scopes).toContain('offline_access');
    expect(offline('github', ['repo'])).toEqual({ scopes: ['repo'], params: {} });
    // Custom: prompt=consent only when the request asks for offline_access (OpenID Connect Core §11).
    expect(offline('custom', ['openid', 'offline_access']).params).toEqual({ prompt: 'consent' });
    expect(offline('custom', ['read']).params).toEqual({});
  });

  it('a custom app with plain http to a non-local host is refused', async () => {
    const f = await fixture();
    await expect(createOAuthApp(f.actor, { provider: 'custom', name: 'x', clientId: 'c', authorizationUrl: 'http://example.com/a', tokenUrl: 'https://example.com/t' })).rejects.toMatchObject({
      fieldErrors: { authorizationUrl: ['Use https (http only for localhost)'] },
    });
  });

  it('a canary client secret and the tokens never reach app views, URLs, errors, audit rows or logs', async () => {
    const canaryProvider = await startTestOAuthProvider({ autoApprove: true, clientSecret: CANARY_SECRET });
    try {
      const f = await fixture(canaryProvider, CANARY_SECRET);
      const apps = await listOAuthApps(f.actor.organizationId);
      expect(apps[0]).toMatchObject({ hasClientSecret: true });
      const { authorizationUrl } = await startConnect(f.actor, f.sessionId, { service: 'custom', name: 'canary', appId: f.appId });
      const params = await follow(authorizationUrl);
      const { credentialId } = await complete(f, params);
      canaryProvider.revokeAll();
      const refreshError = await refreshCredential(credentialId, { force: true }).catch((e: unknown) => e);
      const replay = await complete(f, params).catch((e: unknown) => e);
      const audit = await prisma.auditEvent.findMany({ where: { organizationId: f.actor.organizationId } });
      const secrets = [CANARY_SECRET, ...canaryProvider.issuedAccessTokens, ...canaryProvider.issuedRefreshTokens];
      const haystack = JSON.stringify([apps, authorizationUrl, String(refreshError), String(replay), audit.map((a) => a.details), logged]);
      for (const secret of secrets) expect(haystack).not.toContain(secret);
      expect(authorizationUrl).not.toContain('client_secret');
    } finally {
      await canaryProvider.close();
    }
  });
});
