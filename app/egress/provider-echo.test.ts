// A provider that repeats what Latchkey sent it (the Authorization: Basic header, the form body) in its error: the client secret and refresh token appear nowhere, in no encoding.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createMember } from '~/auth/test-helpers';
import { STATUS_CHANGED_ACTION } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { createOAuthCredential, createOrg, createProviderApp } from '~/jobs/test-support';
import { logger } from '~/logger.server';
import { deliverWebhookJob, rotateWebhookSecret } from '~/notifications/webhooks.server';
import { createPastedOAuthCredential } from '~/oauth/pasted.server';
import { refreshCredential } from '~/oauth/refresh.server';
import { startTestOAuthProvider, type TestOAuthProvider } from '../../test/oauth-provider';
import { startRemixTestApp, type RemixTestApp } from '../../test/remix-app';
import { secretForms } from './redact';

// Characters that URL-encoding, form-encoding and JSON escaping all change, so every form differs from the raw value.
const CLIENT_SECRET = `Planted/Secret+${crypto.randomBytes(12).toString('hex')}&"x"`;
const CLIENT_ID = 'echo-client';

let provider: TestOAuthProvider;
let app: RemixTestApp;
let webhook: { url: string; bodies: string[]; server: http.Server };
const logged: string[] = [];

beforeAll(async () => {
  provider = await startTestOAuthProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, autoApprove: true });
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  webhook = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, bodies, server };
  app = await startRemixTestApp();
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const) {
    vi.spyOn(logger, level).mockImplementation(((...args: unknown[]) => {
      // inspect, not JSON: request logs carry sockets (cycles); every string inside is printed in full.
      logged.push(inspect(args, { depth: 8, maxStringLength: Infinity, breakLength: Infinity }));
    }) as never);
  }
  for (const level of ['error', 'warn', 'log', 'info'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
  }
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await app?.close();
  await provider?.close();
  await new Promise((r) => webhook?.server.close(r));
});

afterEach(() => provider.echoNextTokenRequests(0));

/** Every form of every value Latchkey sent the provider: raw, base64 (of the value and of the Basic pair), URL-encoded, escaped. */
function planted(refreshToken: string | null): string[] {
  const basicPairs = [`${CLIENT_ID}:${CLIENT_SECRET}`, `${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`];
  const values = [CLIENT_SECRET, ...basicPairs, ...(refreshToken ? [refreshToken] : [])];
  const forms = new Set<string>();
  for (const value of values) {
    forms.add(value);
    forms.add(Buffer.from(value).toString('base64'));
    forms.add(Buffer.from(value).toString('base64url'));
    forms.add(encodeURIComponent(value));
    forms.add(new URLSearchParams({ v: value }).toString().slice(2));
    for (const form of secretForms(value)) forms.add(form);
  }
  return [...forms];
}

function expectNoneIn(where: string, text: string, forms: string[]) {
  for (const form of forms) expect(text.includes(form), `${where} contains ${form}`).toBe(false);
}

/** Every text-like column of every table in the database, searched for each form. */
async function databaseHits(forms: string[]): Promise<string[]> {
  const columns = await prisma.$queryRaw<Array<{ table_schema: string; table_name: string; column_name: string }>>`
    SELECT table_schema, table_name, column_name FROM information_schema.columns
     WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
       AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')`;
  const hits: string[] = [];
  for (const { table_schema, table_name, column_name } of columns) {
    const rows = await prisma.$queryRawUnsafe<Array<{ value: string }>>(
      `SELECT "${column_name}"::text AS value FROM "${table_schema}"."${table_name}" WHERE "${column_name}"::text LIKE ANY ($1::text[])`,
      forms.map((f) => `%${f.replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
    );
    for (const row of rows) hits.push(`${table_schema}.${table_name}.${column_name}: ${row.value.slice(0, 200)}`);
  }
  return hits;
}

describe('a token endpoint that echoes the request in its error', () => {
  it('after a failed refresh the client secret and refresh token are nowhere: database, pages (as a viewer), CSV, webhook, logs', { timeout: 60_000 }, async () => {
    const org = await createOrg();
    const appId = await createProviderApp(org, provider);
    await prisma.organization.update({ where: { id: org.organizationId }, data: { webhookUrl: webhook.url, allowPrivateHosts: true } });
    await rotateWebhookSecret(org.organizationId);
    const viewer = await createMember(org.slug, 'viewer');
    const credential = await createOAuthCredential(org, provider, appId, { expiresInMs: 30_000 });
    const forms = planted(credential.refreshToken);

    provider.echoNextTokenRequests(5);
    await expect(refreshCredential(credential.id, { force: true })).rejects.toMatchObject({ kind: 'permanent' });

    // The provider really did repeat the Basic header: the failure is stored, in the provider's words minus ours.
    const row = await prisma.credential.findUniqueOrThrow({ where: { id: credential.id } });
    expect(row.status).toBe('needs_attention');
    expect(row.statusReason).toContain('Rejected request with Authorization: Basic [redacted]');
    expect(row.statusReason).toContain('[redacted]');

    const event = await prisma.auditEvent.findFirstOrThrow({
      where: { organizationId: org.organizationId, credentialId: credential.id, action: STATUS_CHANGED_ACTION },
      orderBy: { seq: 'desc' },
    });
    await deliverWebhookJob({ data: { organizationId: org.organizationId, auditEventId: event.id.toString() } } as never);
    expect(webhook.bodies.length).toBeGreaterThan(0);
    expect(webhook.bodies.join('\n')).toContain('needs_attention');
    expectNoneIn('webhook payload', webhook.bodies.join('\n'), forms);

    expect(await databaseHits(forms)).toEqual([]);

    const headers = { cookie: viewer.cookie };
    const pages = {
      table: `/orgs/${org.slug}/credentials`,
      detail: `/orgs/${org.slug}/credentials/${credential.id}`,
      audit: `/orgs/${org.slug}/audit`,
      csv: `/orgs/${org.slug}/audit.csv`,
    };
    for (const [name, path] of Object.entries(pages)) {
      const response = await fetch(`${app.url}${path}`, { headers });
      expect(response.status, name).toBe(200);
      const text = await response.text();
      expectNoneIn(name, text, forms);
    }
    // The viewer does see what failed (so the searches above looked at the reason itself).
    expect(await (await fetch(`${app.url}${pages.detail}`, { headers })).text()).toContain('Rejected request with Authorization');

    expectNoneIn('logs', logged.join('\n'), forms);
  });

  it('pasting tokens against such an endpoint says why it failed without repeating the secret or the refresh token', async () => {
    const org = await createOrg();
    await prisma.organization.update({ where: { id: org.organizationId }, data: { allowPrivateHosts: true } });
    const { accessToken, refreshToken } = provider.issueTokens();
    provider.echoNextTokenRequests(1);

    const error = (await createPastedOAuthCredential(org.actor, {
      service: 'custom',
      name: `echo-${crypto.randomBytes(3).toString('hex')}`,
      accessToken,
      refreshToken,
      tokenUrl: provider.tokenUrl,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      clientAuth: 'post',
    }).catch((e: unknown) => e)) as Error & { fieldErrors?: Record<string, string[]> };

    expect(error.message).toContain('Rejected request with Authorization');
    const text = JSON.stringify({ message: error.message, fields: error.fieldErrors });
    expectNoneIn('pasted-token error', text, planted(refreshToken));
  });
});
