// What an agent meets under each credential status: the proxy refuses only what cannot work, and the agent API reads the status at request time.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prisma } from '~/db.server';
import { runHealthSweep } from '~/jobs/health-sweep.server';
import { closeQueues } from '~/queue/queue.server';
import { writeCredentialSecrets } from '~/vault/vault.server';
import { clearCredentialCache } from './credentials.server';
import { createTestAgent, createTestCredential, createTestOrg, startApiServer, startUpstream, type Listening, type TestOrg } from './test-support';

const DAY = 24 * 60 * 60_000;

let api: Listening;
let up: Awaited<ReturnType<typeof startUpstream>>;
let org: TestOrg;

beforeAll(async () => {
  api = await startApiServer();
  up = await startUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  org = await createTestOrg({ allowPrivateHosts: true });
});

afterAll(async () => {
  await closeQueues();
  await up.close();
  await api.close();
});

async function key(name: string, data: { expiresAt?: Date | null; status?: 'active' | 'needs_attention' | 'expired'; statusReason?: string | null; statusCause?: string | null } = {}) {
  const secret = `sk-${crypto.randomBytes(12).toString('hex')}`;
  const created = await createTestCredential(org, { name, service: 'openai', type: 'api_key', fields: { key: secret }, baseUrl: up.url });
  await prisma.credential.update({ where: { id: created.id }, data });
  clearCredentialCache();
  return { id: created.id, secret };
}

/** An OAuth credential stored "active" whose access token expired a minute ago (the workers are behind). */
async function staleOAuth(name: string, withRefreshToken: boolean) {
  return prisma.$transaction(async (tx) => {
    const credential = await tx.credential.create({
      data: { organizationId: org.id, name, service: 'custom', type: 'oauth', oauthProvider: 'custom', expiresAt: new Date(Date.now() - 60_000) },
      select: { id: true },
    });
    await writeCredentialSecrets(tx, {
      organizationId: org.id,
      credentialId: credential.id,
      secrets: withRefreshToken ? { access_token: 'at-stale', refresh_token: 'rt-stale' } : { access_token: 'at-stale' },
    });
    return credential.id;
  });
}

function call(name: string, token: string) {
  return fetch(`${api.url}/api/v1/proxy/${name}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
}

async function listed(token: string) {
  const response = await fetch(`${api.url}/api/v1/credentials`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { credentials: { name: string; status: string; statusReason: string | null; expiresAt: string | null }[] };
  return Object.fromEntries(body.credentials.map((c) => [c.name, c]));
}

describe('the proxy refuses only what cannot work', () => {
  it('an API key that expires in 4 days is forwarded, before and after the sweep warns about it', async () => {
    const { secret } = await key('soon-key', { expiresAt: new Date(Date.now() + 4 * DAY) });
    const { token } = await createTestAgent(org, ['soon-key']);
    expect((await call('soon-key', token)).status).toBe(200);

    await runHealthSweep();
    clearCredentialCache();
    const row = await prisma.credential.findFirstOrThrow({ where: { organizationId: org.id, name: 'soon-key' } });
    expect(row).toMatchObject({ status: 'expiring', statusCause: 'expiring_soon' });

    const response = await call('soon-key', token);
    expect(response.status).toBe(200);
    expect(up.seen.at(-1)?.headers.authorization).toBe(`Bearer ${secret}`);
  });

  it('a key written "needs attention: Expires in 4 days" before the split is forwarded even before the sweep converts it', async () => {
    await key('legacy-soon', { expiresAt: new Date(Date.now() + 4 * DAY), status: 'needs_attention', statusReason: 'Expires in 4 days', statusCause: null });
    const { token } = await createTestAgent(org, ['legacy-soon']);
    expect((await call('legacy-soon', token)).status).toBe(200);
    expect((await listed(token))['legacy-soon']).toMatchObject({ status: 'expiring' });
  });

  it('a key past its expiry answers 409 credential_expired, whether or not the sweep has run', async () => {
    await key('gone-key', { expiresAt: new Date(Date.now() - 1_000) });
    const { token } = await createTestAgent(org, ['gone-key']);
    const before = await call('gone-key', token);
    expect(before.status).toBe(409);
    expect(((await before.json()) as { code: string }).code).toBe('credential_expired');

    await runHealthSweep();
    clearCredentialCache();
    const after = await call('gone-key', token);
    expect(after.status).toBe(409);
    expect(((await after.json()) as { code: string }).code).toBe('credential_expired');
  });

  it('a key the service rejected still answers 409 needs attention, with its reason', async () => {
    await key('rejected-key', { status: 'needs_attention', statusReason: 'The service answered 401 on verification', statusCause: 'rejected' });
    const { token } = await createTestAgent(org, ['rejected-key']);
    const response = await call('rejected-key', token);
    expect(response.status).toBe(409);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe('credential_needs_attention');
    expect(body.message).toContain('answered 401');
  });
});

describe('the agent API reads the status at request time', () => {
  it('a key past expiry reads expired and one inside the warning window reads expiring, before any sweep', async () => {
    await key('api-past', { expiresAt: new Date(Date.now() - 60_000) });
    await key('api-soon', { expiresAt: new Date(Date.now() + 2 * DAY) });
    await key('api-later', { expiresAt: new Date(Date.now() + 30 * DAY) });
    const { token } = await createTestAgent(org, ['api-*']);
    const byName = await listed(token);
    expect(byName['api-past']).toMatchObject({ status: 'expired' });
    expect(byName['api-soon']).toMatchObject({ status: 'expiring' });
    expect(byName['api-later']).toMatchObject({ status: 'active' });
    const one = await fetch(`${api.url}/api/v1/credentials/api-past`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await one.json()) as { status: string }).status).toBe('expired');
  });

  it('an OAuth credential stored active past its expiry is never listed active', async () => {
    await staleOAuth('oauth-stale-refreshable', true);
    await staleOAuth('oauth-stale-final', false);
    const { token } = await createTestAgent(org, ['oauth-stale-*']);
    const byName = await listed(token);
    expect(byName['oauth-stale-refreshable']).toMatchObject({ status: 'needs_attention' });
    expect(byName['oauth-stale-final']).toMatchObject({ status: 'expired' });
  });
});
