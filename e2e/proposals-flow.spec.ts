// From "I need a Stripe key" to a working proxied call, with a person touching only the approval page: an agent
// declares requirements, the doctor says missing, the agent proposes (a value it generated, one a person enters,
// an OAuth slot against the local OAuth server), a person approves in Chromium, the doctor says ok, the call works.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestOAuthProvider, type TestOAuthProvider } from '../test/oauth-provider';
import { db, ensureOrganizationDataKey, expect, insertAgent, screenshot, test, uniqueSuffix } from './fixtures';
import { runEnv } from './support/run-env';

let provider: TestOAuthProvider;
let upstream: http.Server;
let upstreamUrl: string;
/** What the local stand-in for Stripe's API saw. */
const seen: Array<{ path: string; authorization: string | undefined }> = [];
const stripeKey = `sk_test_${crypto.randomBytes(16).toString('hex')}`;

test.beforeAll(async () => {
  provider = await startTestOAuthProvider({ autoApprove: true, account: 'octo@example.test' });
  // Stripe's API, locally: GET /v1/balance answers 200 to the key a person entered, 401 to anything else.
  upstream = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    const ok = req.headers.authorization === `Bearer ${stripeKey}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { object: 'balance', available: [] } : { error: { message: 'Invalid API Key' } }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await provider.close();
  await new Promise((resolve) => upstream.close(resolve));
});

/** The agent process: plain HTTP with its token, as a framework at start-up would. */
function agentApi(token: string) {
  const base = `${runEnv().baseURL}/api/v1`;
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, text, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
}

test('an agent asks for what it lacks, a person approves in the browser, and the agent’s call works', async ({ page, loginAs }) => {
  test.setTimeout(120_000);
  const { user, org } = await loginAs({ name: 'Ada Approver' });
  await ensureOrganizationDataKey(org.id);
  // The local OAuth server and the Stripe stand-in listen on 127.0.0.1: the organization allows private hosts.
  await db().query('UPDATE "Organization" SET "allowPrivateHosts" = true WHERE id = $1', [org.id]);
  const { createOAuthApp } = await import('../app/oauth/apps.server');
  const { customAppFields } = await import('../test/oauth-provider');
  const actor = { organizationId: org.id, userId: user.id, userLabel: user.name, role: 'owner' as const, ip: null, userAgent: 'e2e' };
  await createOAuthApp(actor, customAppFields(provider, 'Local provider'));

  const agentName = `billing-bot-${uniqueSuffix()}`;
  const agentId = await insertAgent(org.id, agentName, []);
  const token = `lk_${crypto.randomBytes(32).toString('base64url')}`;
  await db().query('INSERT INTO "AgentToken" (id, "agentId", "tokenHash", prefix) VALUES (gen_random_uuid(), $1, $2, $3)', [
    agentId,
    crypto.createHash('sha256').update(token).digest('hex'),
    token.slice(0, 9),
  ]);
  const api = agentApi(token);

  // 1. The agent declares what it needs; the doctor says all three are missing.
  const declared = await api('PUT', '/agent/requirements', {
    requirements: [
      { name: 'stripe_key', service: 'stripe', type: 'api_key', description: 'Reads the balance for the nightly report' },
      { name: 'report_signing', service: 'custom', type: 'api_key' },
      { name: 'local_oauth', service: 'custom', type: 'oauth' },
    ],
  });
  expect(declared.status).toBe(200);
  const before = await api('GET', '/doctor');
  expect(before.body.ok).toBe(false);
  expect(before.body.requirements.map((r: { state: string }) => r.state)).toEqual(['missing', 'missing', 'missing']);

  // 2. It proposes them: one a person enters, one it generated (sealed at once), one OAuth connection.
  const generated = `gen_${crypto.randomBytes(20).toString('hex')}`;
  const proposed = await api('POST', '/proposals', {
    message: 'I need a Stripe key for the nightly billing report, a signing secret I generated, and the local account.',
    credentials: [
      { name: 'stripe_key', service: 'stripe', type: 'api_key', obtain: 'https://dashboard.stripe.com/apikeys', obtainInstructions: 'A restricted key with read access to Balance', baseUrl: upstreamUrl },
      { name: 'report_signing', service: 'custom', type: 'api_key', value: generated, baseUrl: upstreamUrl },
      { name: 'local_oauth', service: 'custom', oauth: { tokenUrl: provider.tokenUrl, scopes: ['read'] } },
    ],
  });
  expect(proposed.status).toBe(201);
  expect(proposed.text).not.toContain(generated);
  const { id, approvalUrl } = proposed.body as { id: string; approvalUrl: string };
  // The agent blocks on the decision (a long poll, renewed until it is decided).
  const decision = (async () => {
    for (;;) {
      const answer = await api('GET', `/proposals/${id}?wait=30`);
      if (answer.body.status !== 'pending') return answer.body;
    }
  })();

  // 3. A person opens the approval link (from the banner, the inbox, the webhook or the agent's output).
  await page.goto(new URL(approvalUrl).pathname);
  await expect(page.getByRole('heading', { name: /proposal/i }).first()).toBeVisible();
  await expect(page.getByText(agentName).first()).toBeVisible();
  await expect(page.locator('body')).not.toContainText(generated);

  // Connect the OAuth slot: the local server signs in and sends the person back here; the tokens wait on the slot.
  await page.getByRole('button', { name: /^Connect/ }).click();
  await expect(page.getByText(/Connected as octo@example\.test/).first()).toBeVisible();

  // A wrong Stripe key: nothing is applied and the page says which slot.
  await page.locator('input[name="values.stripe_key.key"]').fill('not-a-stripe-key');
  await page.getByRole('button', { name: /^Approve/ }).click();
  await expect(page.getByText(/Nothing was applied/).first()).toBeVisible();
  const credentialsAfterError = await db().query('SELECT count(*)::int AS n FROM "Credential" WHERE "organizationId" = $1', [org.id]);
  expect(credentialsAfterError.rows[0].n).toBe(0);
  await screenshot(page, 'proposal-flow-errors');

  await page.locator('input[name="values.stripe_key.key"]').fill(stripeKey);
  await page.getByRole('button', { name: /^Approve/ }).click();
  await expect(page.getByText(/approved/i).first()).toBeVisible();
  await screenshot(page, 'proposal-flow-approved');

  // 4. The agent wakes with the decision; the doctor says ok; the proxied call works with the key a person entered.
  const decided = await decision;
  expect(decided).toMatchObject({ status: 'approved', decidedBy: { type: 'user' } });
  const after = await api('GET', '/doctor');
  expect(after.body.requirements.map((r: { state: string }) => r.state)).toEqual(['ok', 'ok', 'ok']);
  expect(after.body.ok).toBe(true);
  const call = await api('GET', '/proxy/stripe_key/v1/balance');
  expect(call.status).toBe(200);
  expect(call.body).toMatchObject({ object: 'balance' });
  expect(seen.at(-1)).toEqual({ path: '/v1/balance', authorization: `Bearer ${stripeKey}` });
  const signed = await api('GET', '/proxy/report_signing/v1/balance');
  expect(signed.status).toBe(401); // the stand-in only knows the Stripe key; the generated one reached it
  expect(seen.at(-1)!.authorization).toBe(`Bearer ${generated}`);

  // The generated value is in no table in plain text; the proposal's sealed copy is gone after approval.
  const dump = await db().query(
    `SELECT string_agg(t, '') AS all FROM (SELECT row_to_json(x)::text AS t FROM "Proposal" x UNION ALL SELECT row_to_json(x)::text FROM "ProposalSlot" x
       UNION ALL SELECT row_to_json(x)::text FROM "AuditEvent" x WHERE "organizationId" = $1) d`,
    [org.id],
  );
  expect(dump.rows[0].all).not.toContain(generated);
  expect((await db().query('SELECT count(*)::int AS n FROM "ProposalSecret" WHERE "proposalId" = $1', [id])).rows[0].n).toBe(0);
  // Nor in the server's log.
  const log = path.resolve(import.meta.dirname, '..', 'test-results', runEnv().run, 'server.log');
  expect(fs.existsSync(log)).toBe(true);
  expect(fs.readFileSync(log, 'utf8')).not.toContain(generated);
  expect(fs.readFileSync(log, 'utf8')).not.toContain(stripeKey);
});
