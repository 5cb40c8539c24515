// Every outbound request Latchkey makes goes through one egress policy: token, revocation and userinfo endpoints and webhooks are refused on private addresses at send time (after DNS resolution), and OAuth apps, pasted token URLs and webhook URLs that point there are refused when saved.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemAuditContext } from '~/audit/audit.server';
import { setCredentialStatus } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { createKeyCredential, createOAuthCredential, createOrg, type OrgFixture } from '~/jobs/test-support';
import { updateNotificationSettings } from '~/notifications/settings.server';
import { deliverWebhookJob, rotateWebhookSecret } from '~/notifications/webhooks.server';
import { createOAuthApp } from '~/oauth/apps.server';
import { createPastedOAuthCredential } from '~/oauth/pasted.server';
import { refreshCredential } from '~/oauth/refresh.server';
import { fetchProfile, requestTokens, revokeAtEndpoint, TokenEndpointError } from '~/oauth/token-endpoint.server';
import { startTestOAuthProvider, type TestOAuthProvider } from '../../test/oauth-provider';
import { setEgressResolver } from './egress.server';

/** A private listener: anything that reaches it is recorded. */
let listener: { port: number; hits: string[]; server: http.Server };
let provider: TestOAuthProvider;

beforeAll(async () => {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"at-private","token_type":"Bearer","sub":"x"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  listener = { port: (server.address() as AddressInfo).port, hits, server };
  provider = await startTestOAuthProvider({ autoApprove: true });
});

afterAll(async () => {
  await new Promise((r) => listener.server.close(r));
  await provider.close();
});

afterEach(() => {
  setEgressResolver();
  listener.hits.length = 0;
});

/** A public-looking name that resolves to 127.0.0.1 (DNS rebinding, or an internal name). */
function rebindTo127() {
  setEgressResolver(async () => [{ address: '127.0.0.1', family: 4 }]);
}

const client = (allowPrivateHosts: boolean) => ({ clientId: 'c', clientSecret: 'client-secret-xyz', clientAuth: 'basic' as const, allowPrivateHosts });

async function strictOrg(): Promise<OrgFixture> {
  return createOrg();
}

async function permissiveOrg(): Promise<OrgFixture> {
  const org = await createOrg();
  await prisma.organization.update({ where: { id: org.organizationId }, data: { allowPrivateHosts: true } });
  return org;
}

function networkMessage(errors: Record<string, string[]> | undefined, field: string) {
  expect(errors?.[field]?.[0], `${field} error`).toMatch(/private address.*Settings → Network/);
}

describe('at send time, after DNS resolution', () => {
  it('token and revocation requests to a name that resolves to a private address are refused and reach nothing', async () => {
    rebindTo127();
    const url = `http://idp.rebind.example:${listener.port}/token`;

    const token = await requestTokens(url, client(false), { grant_type: 'refresh_token', refresh_token: 'rt-1' }).catch((e: unknown) => e);
    expect(token).toBeInstanceOf(TokenEndpointError);
    expect((token as TokenEndpointError).failure).toEqual({ kind: 'refused', host: 'idp.rebind.example' });
    expect((token as TokenEndpointError).message).toMatch(/Settings → Network/);
    await expect(revokeAtEndpoint(url, client(false), 'rt-1', 'refresh_token')).rejects.toMatchObject({ failure: { kind: 'refused' } });
    expect(await fetchProfile(`http://idp.rebind.example:${listener.port}/userinfo`, 'at-1', { allowPrivateHosts: false })).toBeNull();
    // No socket is opened even for loopback literals.
    await expect(requestTokens(`http://127.0.0.1:${listener.port}/token`, client(false), { grant_type: 'refresh_token', refresh_token: 'rt-1' })).rejects.toMatchObject({
      failure: { kind: 'refused' },
    });
    expect(listener.hits).toEqual([]);

    // The same requests go through for an organization that allows private hosts.
    expect((await requestTokens(url, client(true), { grant_type: 'refresh_token', refresh_token: 'rt-1' })).accessToken()).toBe('at-private');
    expect(await fetchProfile(`http://idp.rebind.example:${listener.port}/userinfo`, 'at-1', { allowPrivateHosts: true })).toMatchObject({ sub: 'x' });
    expect(listener.hits).toEqual(['POST /token', 'GET /userinfo']);
  });

  it('a refresh whose token URL now resolves to a private address needs attention with a reason naming the Network setting', async () => {
    const org = await strictOrg();
    // Saved while the name was public; DNS changed since.
    const app = await prisma.oAuthApp.create({
      data: {
        organizationId: org.organizationId,
        provider: 'custom',
        name: `Rebound ${crypto.randomBytes(3).toString('hex')}`,
        clientId: provider.clientId,
        authorizationUrl: `https://idp.rebind.example/authorize`,
        tokenUrl: `http://idp.rebind.example:${listener.port}/token`,
      },
    });
    const credential = await createOAuthCredential(org, provider, app.id, { expiresInMs: 10_000 });
    rebindTo127();

    await expect(refreshCredential(credential.id, { force: true })).rejects.toMatchObject({ kind: 'permanent' });

    const row = await prisma.credential.findUniqueOrThrow({ where: { id: credential.id } });
    expect(row.status).toBe('needs_attention');
    expect(row.statusReason).toMatch(/idp\.rebind\.example.*private address.*Settings → Network/);
    expect(listener.hits).toEqual([]);
  });

  it('a webhook to a name that resolves to a private address is not delivered unless the organization allows private hosts', async () => {
    for (const allowPrivateHosts of [false, true]) {
      const org = await createOrg();
      await prisma.organization.update({
        where: { id: org.organizationId },
        data: { webhookUrl: `http://hooks.rebind.example:${listener.port}/latchkey`, allowPrivateHosts },
      });
      await rotateWebhookSecret(org.organizationId);
      const credentialId = await createKeyCredential(org, null);
      const event = await prisma.$transaction((tx) =>
        setCredentialStatus(tx, { credentialId, organizationId: org.organizationId, status: 'expired', reason: 'Expired', context: systemAuditContext('test') }),
      );
      rebindTo127();
      const delivery = deliverWebhookJob({ data: { organizationId: org.organizationId, auditEventId: event.auditEventId! } } as never);
      if (allowPrivateHosts) {
        await expect(delivery).resolves.toEqual({ status: 200 });
        expect(listener.hits).toEqual(['POST /latchkey']);
      } else {
        await expect(delivery).rejects.toThrow(/private address/);
        expect(listener.hits).toEqual([]);
      }
    }
  });
});

describe('when saved', () => {
  it('pasted tokens with a token URL on 127.0.0.1, localhost or a name resolving to a private address are refused while private hosts are blocked', async () => {
    const org = await strictOrg();
    const { accessToken, refreshToken } = provider.issueTokens();
    const port = new URL(provider.tokenUrl).port;
    const requestsBefore = provider.tokenRequests.length;
    for (const tokenUrl of [provider.tokenUrl, `http://localhost:${port}/token`, `https://tokens.internal.example:${port}/token`]) {
      if (tokenUrl.includes('internal.example')) rebindTo127();
      const name = `pasted-${crypto.randomBytes(3).toString('hex')}`;
      const error = (await createPastedOAuthCredential(org.actor, {
        service: 'custom',
        name,
        accessToken,
        refreshToken,
        tokenUrl,
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
      }).catch((e: unknown) => e)) as { code: string; fieldErrors: Record<string, string[]> };
      expect(error.code, tokenUrl).toBe('validation');
      networkMessage(error.fieldErrors, 'tokenUrl');
      expect(await prisma.credential.count({ where: { organizationId: org.organizationId, name } })).toBe(0);
    }
    // Nothing was posted: neither the refresh token nor the client secret left Latchkey.
    expect(provider.tokenRequests.length).toBe(requestsBefore);
  });

  it('the same pasted tokens are accepted (and proven by a refresh) when the organization allows private hosts', async () => {
    const org = await permissiveOrg();
    const { accessToken, refreshToken } = provider.issueTokens();
    const before = provider.tokenRequests.length;

    const created = await createPastedOAuthCredential(org.actor, {
      service: 'custom',
      name: `pasted-${crypto.randomBytes(3).toString('hex')}`,
      accessToken,
      refreshToken,
      tokenUrl: provider.tokenUrl,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
    });

    expect(created.refreshed).toBe(true);
    expect(provider.tokenRequests.length).toBe(before + 1);
  });

  it('a Custom OAuth app with an endpoint on 127.0.0.1, localhost or a private name is refused while private hosts are blocked, and saved when allowed', async () => {
    const port = new URL(provider.tokenUrl).port;
    const base = {
      provider: 'custom',
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      authorizationUrl: 'https://idp.example.com/authorize',
      tokenUrl: 'https://idp.example.com/token',
    };
    setEgressResolver(async (host) => [{ address: host === 'idp.example.com' ? '93.184.215.14' : '10.1.2.3', family: 4 }]);
    const org = await strictOrg();
    const cases: Array<[field: string, url: string]> = [
      ['tokenUrl', `http://127.0.0.1:${port}/token`],
      ['tokenUrl', `http://localhost:${port}/token`],
      ['revocationUrl', 'https://revoke.corp.internal/revoke'],
      ['userinfoUrl', 'https://169.254.169.254/latest/meta-data'],
      ['authorizationUrl', `http://127.0.0.1:${port}/authorize`],
    ];
    for (const [field, url] of cases) {
      const error = (await createOAuthApp(org.actor, { ...base, name: `App ${crypto.randomBytes(3).toString('hex')}`, [field]: url }).catch((e: unknown) => e)) as {
        code: string;
        fieldErrors: Record<string, string[]>;
      };
      expect(error.code, url).toBe('validation');
      networkMessage(error.fieldErrors, field);
    }
    expect(await prisma.oAuthApp.count({ where: { organizationId: org.organizationId } })).toBe(0);

    await prisma.organization.update({ where: { id: org.organizationId }, data: { allowPrivateHosts: true } });
    const saved = await createOAuthApp(org.actor, { ...base, name: 'Local', tokenUrl: `http://127.0.0.1:${port}/token` });
    expect(saved.tokenUrl).toBe(`http://127.0.0.1:${port}/token`);
    expect(listener.hits).toEqual([]);
  });

  it('a webhook URL on a private address is refused with a message naming the Network setting, and saved when allowed', async () => {
    const org = await strictOrg();
    const context = systemAuditContext('test');
    rebindTo127();
    for (const webhookUrl of [`http://127.0.0.1:${listener.port}/x`, `https://hooks.rebind.example/x`]) {
      const result = await updateNotificationSettings(org.organizationId, context, { webhookUrl, warningWindowDays: 7 });
      expect(result.ok, webhookUrl).toBe(false);
      networkMessage((result as { fieldErrors: Record<string, string[]> }).fieldErrors, 'webhookUrl');
    }
    expect((await prisma.organization.findUniqueOrThrow({ where: { id: org.organizationId } })).webhookUrl).toBeNull();

    await prisma.organization.update({ where: { id: org.organizationId }, data: { allowPrivateHosts: true } });
    expect(await updateNotificationSettings(org.organizationId, context, { webhookUrl: `http://127.0.0.1:${listener.port}/x`, warningWindowDays: 7 })).toMatchObject({ ok: true });
    expect(listener.hits).toEqual([]);
  });
});
