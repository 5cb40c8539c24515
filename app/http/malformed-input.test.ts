// Every route, logged out and as an owner, against a corpus of malformed input: nothing answers 5xx and nothing in the database changes.
import crypto from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedUpUser, newSessionCookie } from '~/auth/test-helpers';
import { credentialActor } from '~/credentials/actor.server';
import { createCredential } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { startConnectTicket } from '~/oauth/terminal-connect.server';
import { hashInvitationToken } from '~/orgs/invitations.server';
import { requireMembership } from '~/orgs/membership.server';
import { createProposal } from '~/proposals/proposals.server';
import { writeCredentialSecrets } from '~/vault/vault.server';
import { query, testDatabaseUrl } from '../../test/db';
import { startRemixTestApp, type RemixTestApp } from '../../test/remix-app';

type User = Awaited<ReturnType<typeof createSignedUpUser>>;

let app: RemixTestApp;
let owner: User;
let stranger: User;
let orgIds: string[];
/** Real values for every route parameter, so each route is reached as its owner would reach it. */
let params: Record<string, string[]>;
/** Values a parameter must survive: unknown, malformed, and another organization's. */
let badParams: Record<string, string[]>;
let inviteToken: string;

async function ownerActor(user: User) {
  const request = new Request(`http://localhost/orgs/${user.slug}/credentials`, { headers: { Cookie: user.cookie } });
  return credentialActor(await requireMembership(request, user.slug), request);
}

async function createFixtures() {
  owner = await createSignedUpUser({ name: 'Olive Owner' });
  stranger = await createSignedUpUser({ name: 'Stan Stranger' });
  const [org, otherOrg] = await Promise.all(
    [owner, stranger].map((u) => prisma.organization.findUniqueOrThrow({ where: { slug: u.slug }, select: { id: true } })),
  );
  orgIds = [org!.id, otherOrg!.id];
  const actor = await ownerActor(owner);
  const secret = () => `ghp_${crypto.randomBytes(18).toString('hex')}`;
  const apiKey = await createCredential(actor, { name: 'github_ci', service: 'github', type: 'api_key', fields: { key: secret() } });
  const password = await createCredential(actor, {
    name: 'smtp_relay',
    service: 'custom',
    type: 'password',
    fields: { username: 'mailer@example.com', password: crypto.randomBytes(12).toString('hex') },
  });
  const file = await createCredential(actor, {
    name: 'signing_key',
    service: 'custom',
    type: 'file',
    file: { fileName: 'key.txt', bytes: Buffer.from('not a real key\n') },
  });
  const oauth = await prisma.$transaction(async (tx) => {
    const credential = await tx.credential.create({
      data: {
        organizationId: org!.id,
        name: 'github_oauth',
        service: 'github',
        type: 'oauth',
        oauthProvider: 'github',
        oauthAccount: 'octocat',
        expiresAt: new Date(Date.now() + 3_600_000),
        createdById: owner.userId,
      },
      select: { id: true },
    });
    await writeCredentialSecrets(tx, { organizationId: org!.id, credentialId: credential.id, secrets: { access_token: secret() } });
    return credential;
  });
  const theirs = await createCredential(await ownerActor(stranger), { name: 'their_key', service: 'github', type: 'api_key', fields: { key: secret() } });
  const agent = await prisma.agent.create({ data: { organizationId: org!.id, name: 'ci-bot', allowedCredentials: ['github_*'] } });
  await prisma.agentToken.create({ data: { agentId: agent.id, tokenHash: crypto.randomBytes(32).toString('hex'), prefix: 'lk_test' } });
  const theirAgent = await prisma.agent.create({ data: { organizationId: otherOrg!.id, name: 'their-bot' } });
  // A pending proposal in each organization (one with an agent-supplied value): its approval page must survive the corpus unchanged.
  const propose = (a: { id: string; name: string; organizationId: string }, value?: string) =>
    createProposal(
      { ...a, allowedCredentials: [] },
      { message: 'Needs Stripe', credentials: [{ name: 'stripe_key', service: 'stripe', type: 'api_key', ...(value ? { value } : {}) }] },
      { publicUrl: 'http://localhost', context: { actor: { type: 'system', id: null, label: 'corpus' }, ip: null, userAgent: null } },
    );
  const proposal = await propose(agent, `sk_test_${crypto.randomBytes(12).toString('hex')}`);
  const theirProposal = await propose(theirAgent);
  // A live management token in each organization: the API tokens page lists one, and a revoke aimed at the other's must fail.
  await prisma.managementToken.createMany({
    data: orgIds.map((organizationId, i) => ({
      organizationId,
      userId: [owner, stranger][i]!.userId,
      name: 'ci deploys',
      role: 'admin' as const,
      tokenHash: crypto.randomBytes(32).toString('hex'),
      prefix: 'lkm_corpus00',
    })),
  });
  inviteToken = crypto.randomBytes(32).toString('base64url');
  await prisma.invitation.create({
    data: { organizationId: org!.id, role: 'member', tokenHash: hashInvitationToken(inviteToken), expiresAt: new Date(Date.now() + 86_400_000) },
  });

  params = {
    orgSlug: [owner.slug],
    id: [apiKey.id, password.id, file.id, oauth.id, proposal.id],
    agentId: [agent.id],
    token: [inviteToken],
    ticket: [
      (
        await startConnectTicket(
          { organizationId: org!.id, userId: owner.userId, userLabel: owner.email, role: 'owner', ip: null, userAgent: null },
          owner.slug,
          { service: 'github', name: 'from_terminal' },
        )
      ).path.split('/').pop()!,
    ],
  };
  const malformed = ['%ZZ', '%E0%A4%A', '%00', '%C0%AF', 'x'.repeat(2000), 'not-an-id', '..', crypto.randomUUID()];
  badParams = {
    orgSlug: [...malformed, stranger.slug],
    id: [...malformed, theirs.id, theirProposal.id],
    agentId: [...malformed, theirAgent.id],
    token: [...malformed, crypto.randomBytes(32).toString('base64url')],
    ticket: [...malformed, `${Buffer.from('{"org":"x"}').toString('base64url')}.forged`],
  };
}

/** Every row the corpus could touch: both organizations' rows and their owners' (other test files share the database). */
async function snapshot(): Promise<Record<string, string>> {
  const url = testDatabaseUrl();
  const scoped: Record<string, string> = {
    User: `SELECT * FROM "User" t WHERE id = ANY($2::uuid[])`,
    Organization: `SELECT * FROM "Organization" t WHERE id = ANY($1::uuid[])`,
    OrganizationDataKey: `SELECT * FROM "OrganizationDataKey" t WHERE "organizationId" = ANY($1::uuid[])`,
    Membership: `SELECT * FROM "Membership" t WHERE "organizationId" = ANY($1::uuid[]) OR "userId" = ANY($2::uuid[])`,
    Invitation: `SELECT * FROM "Invitation" t WHERE "organizationId" = ANY($1::uuid[])`,
    Credential: `SELECT * FROM "Credential" t WHERE "organizationId" = ANY($1::uuid[])`,
    CredentialSecret: `SELECT s.* FROM "CredentialSecret" s JOIN "Credential" c ON c.id = s."credentialId" WHERE c."organizationId" = ANY($1::uuid[])`,
    AuditEvent: `SELECT * FROM "AuditEvent" t WHERE "organizationId" = ANY($1::uuid[])`,
    OAuthApp: `SELECT * FROM "OAuthApp" t WHERE "organizationId" = ANY($1::uuid[])`,
    Agent: `SELECT * FROM "Agent" t WHERE "organizationId" = ANY($1::uuid[])`,
    AgentToken: `SELECT k.* FROM "AgentToken" k JOIN "Agent" a ON a.id = k."agentId" WHERE a."organizationId" = ANY($1::uuid[])`,
    ManagementToken: `SELECT * FROM "ManagementToken" t WHERE "organizationId" = ANY($1::uuid[])`,
    Proposal: `SELECT * FROM "Proposal" t WHERE "organizationId" = ANY($1::uuid[])`,
    ProposalSlot: `SELECT s.* FROM "ProposalSlot" s JOIN "Proposal" p ON p.id = s."proposalId" WHERE p."organizationId" = ANY($1::uuid[])`,
    ProposalSecret: `SELECT s.* FROM "ProposalSecret" s JOIN "Proposal" p ON p.id = s."proposalId" WHERE p."organizationId" = ANY($1::uuid[])`,
    // Organizations a sign-up or "new organization" form could have created for either owner.
    OwnedOrganizations: `SELECT o.* FROM "Organization" o JOIN "Membership" m ON m."organizationId" = o.id WHERE m."userId" = ANY($2::uuid[])`,
  };
  const out: Record<string, string> = {};
  const userIds = [owner.userId, stranger.userId];
  await Promise.all(
    Object.entries(scoped).map(async ([table, sql]) => {
      // PostgreSQL wants exactly the parameters a statement uses.
      const values = [sql.includes('$1') ? orgIds : null, userIds];
      const text = sql.includes('$1') ? sql : sql.replaceAll('$2', '$1');
      const rows = await query(url, `SELECT row_to_json(r)::text AS row FROM (${text}) r`, sql.includes('$2') ? values.filter(Boolean) : [orgIds]);
      out[table] = rows.map((r) => r.row as string).sort().join('\n');
    }),
  );
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Routes and URLs

interface RouteUnderTest {
  id: string;
  /** e.g. /orgs/:orgSlug/credentials/:id */
  pattern: string;
  hasLoader: boolean;
  hasAction: boolean;
}

function routesUnderTest(): RouteUnderTest[] {
  const routes = app.routes;
  const fullPath = (id: string): string => {
    const route = routes[id]!;
    const own = route.path ?? '';
    const parent = route.parentId ? fullPath(route.parentId) : '';
    return [parent, own].filter(Boolean).join('/').replace(/\/+/g, '/');
  };
  return Object.keys(routes)
    .filter((id) => id !== 'root')
    .map((id) => ({
      id,
      pattern: `/${fullPath(id)}`.replace(/\/+/g, '/'),
      hasLoader: Boolean(routes[id]!.module.loader),
      hasAction: Boolean(routes[id]!.module.action),
    }));
}

/** Fills a pattern's parameters; `override` replaces one of them (already URL-encoded, or raw malformed text). */
function fill(pattern: string, pick: (name: string) => string): string {
  if (pattern.includes('*')) throw new Error(`${pattern}: splat routes need a value in the corpus`);
  return pattern.replace(/:(\w+)\??/g, (_, name: string) => pick(name));
}

function paramNames(pattern: string): string[] {
  return [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

/** Remix single fetch: /a/b → /a/b.data, / → /_root.data (the query string stays). */
function dataUrl(path: string): string {
  const [pathname, search] = path.split('?') as [string, string | undefined];
  const base = pathname === '/' ? '/_root.data' : `${pathname.replace(/\/$/, '')}.data`;
  return search === undefined ? base : `${base}?${search}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The corpus

const QUERY_NAMES = [
  'q', 'type', 'status', 'sort', 'page', 'size', 'from', 'to', 'actor', 'action', 'credential', 'cursor', 'service',
  'tab', 'step', 'app', 'version', 'redirectTo', 'code', 'state', 'error', 'error_description', 'iss', 'index', '_routes',
  'name',
];
const QUERY_VALUES = [
  '%00', 'a%00b', '%ZZ', '%E0%A4%A', '%C0%AF', '%F0%9F%98', '%1B%5B31m%09%0A', 'x'.repeat(300), '2026-13-45', '2026-99-01',
  '-1', '1e400', '99999999999999999999', '%3Cscript%3Ealert(1)%3C%2Fscript%3E', '%E2%80%AE', '%5B%5D', '',
];
/** Fields our forms use, each filled with an overlong value (dates get an impossible date) in one well-formed form. */
const FORM_FIELDS = [
  'name', 'description', 'email', 'password', 'organizationName', 'redirectTo', 'intent', 'role', 'membershipId',
  'invitationId', 'tokenId', 'appId', 'allowlist', 'deliver', 'service', 'type', 'fields.key', 'fields.username', 'fields.password',
  'baseUrl', 'expiresAt', 'version', 'confirmName', 'from', 'webhookUrl', 'warningWindowDays', 'allowPrivateHosts',
  'accessToken', 'refreshToken', 'tokenUrl', 'clientId', 'clientSecret', 'clientAuth', 'scopes', 'provider',
  'authorizationUrl', 'revocationUrl', 'userinfoUrl', 'issuer', 'pkce', 'expiry', 'customDays', 'reveal',
  'requirements.0.name', 'requirements.0.service', 'requirements.0.type', 'requirements.0.optional', 'requirements.0.description',
  'reason', 'position', 'proposalExpiryDays', 'values.stripe_key.key', 'values.stripe_key.file',
];
const DATE_FIELDS = new Set(['expiresAt', 'from', 'to']);

/**
 * Actions that read no field: any well-formed form is a real submission to them (log out, dismiss the
 * banner, reconnect, disconnect, accept an invitation), so on their own URLs they get only malformed bodies.
 */
const ACTIONS_WITHOUT_FIELDS = new Set([
  'routes/logout',
  'routes/orgs.$orgSlug.attention',
  'routes/orgs.$orgSlug.credentials.$id_.connect',
  'routes/orgs.$orgSlug.credentials.$id_.disconnect',
  'routes/invitations.$token',
  'routes/orgs.$orgSlug.connect.$ticket',
]);

interface Probe {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  what: string;
}

const BOUNDARY = '----latchkeycorpus';
const formUrlEncoded = { 'Content-Type': 'application/x-www-form-urlencoded' };

function malformedBodies(path: string, formMaxBytes: number): Probe[] {
  const post = (what: string, headers: Record<string, string>, body?: string | Uint8Array, method = 'POST'): Probe => ({ method, path, headers, body, what });
  return [
    post('JSON', { 'Content-Type': 'application/json' }, JSON.stringify({ name: 'x', intent: 'delete', email: 'a@example.com' })),
    post('text/plain', { 'Content-Type': 'text/plain' }, 'name=x&intent=delete'),
    post('no Content-Type', {}, new Uint8Array([110, 97, 109, 101, 61, 120])),
    post('no body', {}),
    post('broken multipart', { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` }, `--${BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\ncut off`),
    post('multipart without boundary', { 'Content-Type': 'multipart/form-data' }, `--${BOUNDARY}\r\n\r\n`),
    post('urlencoded garbage', formUrlEncoded, '%ZZ=%E0%A4%A&&==&name=%&intent=%C0'),
    post('NUL in fields', formUrlEncoded, 'name=a%00b&email=x%00%40example.com&intent=%00&password=%00'),
    post('too large', formUrlEncoded, `name=${'a'.repeat(formMaxBytes + 1)}`),
    post('PUT', formUrlEncoded, 'name=x', 'PUT'),
    post('PATCH', { 'Content-Type': 'application/json' }, '{}', 'PATCH'),
    post('DELETE', formUrlEncoded, '', 'DELETE'),
    post('OPTIONS', {}, undefined, 'OPTIONS'),
  ];
}

function overlongForm(path: string): Probe {
  const body = new URLSearchParams(FORM_FIELDS.map((f) => [f, DATE_FIELDS.has(f) ? '2026-13-45' : 'x'.repeat(4000)])).toString();
  return { method: 'POST', path, headers: formUrlEncoded, body, what: 'overlong fields, impossible dates' };
}

function probesFor(route: RouteUnderTest, formMaxBytes: number): Probe[] {
  const probes: Probe[] = [];
  const names = paramNames(route.pattern);
  // Each real value at least once (every credential type), then one per variant in turn.
  const realUrls = (params.id && names.includes('id') ? params.id : [undefined]).map((id) =>
    fill(route.pattern, (name) => (name === 'id' && id ? id : params[name]![0]!)),
  );
  for (const name of names) if (!params[name]) throw new Error(`${route.id}: the corpus has no value for :${name}; add one to params`);
  let turn = 0;
  const nextUrl = () => realUrls[turn++ % realUrls.length]!;

  for (const url of realUrls) {
    probes.push({ method: 'GET', path: url, what: 'valid' }, { method: 'GET', path: dataUrl(url), what: 'valid .data' });
  }
  for (const value of QUERY_VALUES) {
    const url = `${nextUrl()}?${QUERY_NAMES.map((n) => `${n}=${value}`).join('&')}`;
    probes.push({ method: 'GET', path: url, what: `query ${value.slice(0, 20)}` }, { method: 'GET', path: dataUrl(url), what: `.data query ${value.slice(0, 20)}` });
  }
  probes.push({ method: 'GET', path: `${nextUrl()}?q=${'x'.repeat(6000)}`, what: 'overlong q' });
  probes.push({ method: 'GET', path: `${nextUrl()}?type=a&type=b&page=1&page=2&sort[]=x`, what: 'repeated params' });
  probes.push({ method: 'GET', path: `${nextUrl()}/%E0%A4%A`, what: 'broken escape appended' });
  probes.push({ method: 'GET', path: `${nextUrl()}%ZZ`, what: 'broken escape in last segment' });
  probes.push({ method: 'HEAD', path: nextUrl(), what: 'HEAD' });
  probes.push({ method: 'GET', path: nextUrl(), headers: { Cookie: '__session=%ZZ%00garbage; toast=%E0' }, what: 'garbage cookie' });
  probes.push({ method: 'GET', path: nextUrl(), headers: { Host: 'exa mple' }, what: 'malformed Host' });

  for (const name of names) {
    for (const bad of badParams[name]!) {
      const url = fill(route.pattern, (n) => (n === name ? bad : n === 'id' ? params.id![0]! : params[n]![0]!));
      probes.push(
        { method: 'GET', path: url, what: `:${name}=${bad.slice(0, 20)}` },
        { method: 'GET', path: dataUrl(url), what: `.data :${name}=${bad.slice(0, 20)}` },
      );
      // A well-formed (empty) form to someone else's or no resource must change nothing either.
      if (route.hasAction) {
        probes.push(
          { method: 'POST', path: url, headers: formUrlEncoded, body: '', what: `POST :${name}=${bad.slice(0, 20)}` },
          { method: 'POST', path: dataUrl(url), headers: formUrlEncoded, body: '', what: `POST .data :${name}=${bad.slice(0, 20)}` },
        );
      }
    }
  }

  for (const path of [nextUrl(), dataUrl(nextUrl())]) {
    probes.push(...malformedBodies(path, formMaxBytes));
    if (!ACTIONS_WITHOUT_FIELDS.has(route.id)) probes.push(overlongForm(path));
  }
  return probes;
}

interface Outcome {
  status: number;
  probe: Probe;
  who: string;
  route: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** One probe over a raw node:http request: fetch would normalise the path, the Host header and the body. */
function send(probe: Probe, cookie: string | null, who: string, route: string): Promise<Outcome> {
  const headers: Record<string, string> = { Origin: app.url, Accept: 'text/html,*/*', ...(cookie ? { Cookie: cookie } : {}), ...probe.headers };
  const body = typeof probe.body === 'string' ? Buffer.from(probe.body) : probe.body;
  if (body) headers['Content-Length'] = String(body.length);
  return new Promise((resolve) => {
    const request = http.request(`${app.url}${probe.path}`, { method: probe.method, headers, agent }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, probe, who, route }));
    });
    // A connection the server drops counts as a failure too.
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 599, probe: { ...probe, what: `${probe.what}: ${error.code ?? error.message}` }, who, route }));
    request.end(body);
  });
}

/** Runs tasks with at most `limit` in flight. */
async function pool<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

beforeAll(async () => {
  [app] = await Promise.all([startRemixTestApp(), createFixtures()]);
}, 60_000);

afterAll(async () => {
  agent.destroy();
  await app?.close();
});

describe('the inputs the review found answering 500', () => {
  const cases: Array<{ name: string; request: () => Promise<Response>; message: RegExp }> = [
    { name: 'GET credentials?q=%00', request: () => get(`/orgs/${owner.slug}/credentials?q=%00`), message: /NUL character/ },
    { name: 'GET credentials.data?q=%00', request: () => get(`/orgs/${owner.slug}/credentials.data?q=%00`), message: /NUL character/ },
    { name: 'GET audit?to=2026-13-45', request: () => get(`/orgs/${owner.slug}/audit?to=2026-13-45`), message: /Enter a date as YYYY-MM-DD/ },
    { name: 'GET audit.csv?from=2026-99-01', request: () => get(`/orgs/${owner.slug}/audit.csv?from=2026-99-01`), message: /Enter a date as YYYY-MM-DD/ },
    {
      name: 'POST settings as JSON',
      request: () => post(`/orgs/${owner.slug}/settings`, { 'Content-Type': 'application/json' }, '{"name":"Renamed"}'),
      message: /not application\/json/,
    },
    {
      name: 'POST settings as text/plain',
      request: () => post(`/orgs/${owner.slug}/settings`, { 'Content-Type': 'text/plain' }, 'name=Renamed'),
      message: /not text\/plain/,
    },
    {
      name: 'POST members without a Content-Type',
      request: () => post(`/orgs/${owner.slug}/members`, {}, new TextEncoder().encode('intent=invite&role=member')),
      message: /without a Content-Type/,
    },
    {
      name: 'POST login as JSON (logged out)',
      request: () => post('/login', { 'Content-Type': 'application/json' }, JSON.stringify({ email: owner.email, password: 'x' }), null),
      message: /not application\/json/,
    },
    {
      name: 'POST signup with a broken multipart body (logged out)',
      request: () =>
        post('/signup', { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` }, `--${BOUNDARY}\r\nContent-Disposition: form-data; name="email"\r\n\r\nnobody@`, null),
      message: /could not be read/,
    },
    { name: 'GET /orgs/%ZZ/credentials (logged out)', request: () => get('/orgs/%ZZ/credentials', null), message: /broken %-escape/ },
    { name: 'GET /%E0%A4%A (logged out)', request: () => get('/%E0%A4%A', null), message: /broken %-escape/ },
  ];

  function get(path: string, cookie: string | null = owner.cookie) {
    return fetch(`${app.url}${path}`, { headers: cookie ? { Cookie: cookie } : {}, redirect: 'manual' });
  }
  function post(path: string, headers: Record<string, string>, body: BodyInit, cookie: string | null = owner.cookie) {
    return fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: { Origin: app.url, ...(cookie ? { Cookie: cookie } : {}), ...headers },
      body,
      redirect: 'manual',
    });
  }

  for (const { name, request, message } of cases) {
    it(`${name} answers a 4xx saying what is wrong and changes nothing`, async () => {
      const before = await snapshot();
      const response = await request();
      const text = await response.text();
      expect(response.status, text.slice(0, 500)).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(text).toMatch(message);
      expect(await snapshot()).toEqual(before);
    });
  }
});

describe('the Origin check against PUBLIC_URL, in front of Remix', () => {
  const rename = (headers: Record<string, string>): Probe => ({
    method: 'POST',
    path: `/orgs/${owner.slug}/settings`,
    // Too short a name: the action answers 400 with a field error, so nothing is renamed either way.
    headers: { ...formUrlEncoded, ...headers },
    body: 'name=x',
    what: 'rename',
  });

  it('a form from PUBLIC_URL reaches the action even when a proxy sends another Host (Remix would answer 500)', async () => {
    const before = app.calls.get('routes/orgs.$orgSlug.settings')!.action;
    const outcome = await send(rename({ Host: 'latchkey-web:3000' }), owner.cookie, 'owner', 'settings');
    expect(outcome.status).toBe(400);
    expect(app.calls.get('routes/orgs.$orgSlug.settings')!.action).toBe(before + 1);
  });

  it('a form whose Origin names the spoofed Host it was sent to is refused with 403 and never reaches the action', async () => {
    const before = app.calls.get('routes/orgs.$orgSlug.settings')!.action;
    const outcome = await send(rename({ Host: 'rebound.example', Origin: 'http://rebound.example' }), owner.cookie, 'owner', 'settings');
    expect(outcome.status).toBe(403);
    expect(app.calls.get('routes/orgs.$orgSlug.settings')!.action).toBe(before);
  });
});

describe('login throttling over HTTP', () => {
  it('the attempt after 5 wrong passwords from one address answers 429 with a Retry-After header and says how long to wait', async () => {
    const { createSignedUpUser: signUp } = await import('~/auth/test-helpers');
    const user = await signUp();
    const attempt = (password: string) =>
      fetch(`${app.url}/login`, {
        method: 'POST',
        headers: { Origin: app.url, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: user.email, password }),
        redirect: 'manual',
      });
    for (let i = 0; i < 5; i++) expect((await attempt(`Wrong-password-${i}`)).status).toBe(400);
    const blocked = await attempt('Wrong-password-again');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('Retry-After'))).toBeGreaterThan(14 * 60);
    expect(await blocked.text()).toContain('Too many attempts. Try again in 15 minutes.');
  });
});

describe('the malformed-input corpus over every route', () => {
  it('reaches every route and answers none of it with a 5xx, logged out or as an owner, changing nothing', async () => {
    const routes = routesUnderTest();
    expect(routes.length).toBeGreaterThan(20);
    const { getEnv } = await import('~/config/env.server');
    const formMaxBytes = getEnv().FORM_MAX_BYTES;
    const before = await snapshot();

    // One session per route: a corpus entry that logs out (a real submission to /logout) ends only its own.
    const cookies = new Map(await Promise.all(routes.map(async (r) => [r.id, await newSessionCookie(owner.userId)] as const)));
    const tasks: Array<() => Promise<Outcome>> = [];
    for (const route of routes) {
      for (const probe of probesFor(route, formMaxBytes)) {
        tasks.push(() => send(probe, null, 'logged out', route.id));
        tasks.push(() => send(probe, cookies.get(route.id)!, 'owner', route.id));
      }
    }
    const started = Date.now();
    const outcomes = await pool(tasks, 6);
    const elapsed = Date.now() - started;

    const failures = outcomes
      .filter((o) => o.status >= 500)
      .map((o) => `${o.status} ${o.probe.method} ${o.probe.path.slice(0, 120)} [${o.probe.what}] as ${o.who} (${o.route})`);
    expect(failures, `${failures.length} of ${outcomes.length} requests answered 5xx`).toEqual([]);

    // Reached: every loader and every action ran at least once (a route the corpus cannot fill fails above).
    const unreached = routes.flatMap((r) => {
      const calls = app.calls.get(r.id)!;
      return [...(r.hasLoader && calls.loader === 0 ? [`${r.id} loader`] : []), ...(r.hasAction && calls.action === 0 ? [`${r.id} action`] : [])];
    });
    expect(unreached, 'routes the corpus never reached').toEqual([]);

    const after = await snapshot();
    for (const table of Object.keys(before)) expect(after[table], `rows of ${table} changed`).toBe(before[table]);
    console.info(`malformed-input corpus: ${outcomes.length} requests over ${routes.length} routes in ${elapsed} ms`);
  }, 300_000);
});
