// The proxy end to end on loopback: official SDKs, injection by type, streaming, SSRF refusals, isolation, limits, errors.
import http from 'node:http';
import crypto from 'node:crypto';
import { Octokit } from '@octokit/rest';
import OpenAI from 'openai';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { revokeAgentToken, rotateAgentToken } from '~/agents/agents.server';
import { systemAuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import { createApp } from '~/http/app.server';
import { replaceCredentialSecret } from '~/credentials/credentials.server';
import { clearCredentialCache } from './credentials.server';
import { setEgressResolver } from '~/egress/egress.server';
import { upstreamTimeouts } from '~/egress/timeouts';
import { parseEnv } from '~/config/env.server';
import { listServices } from '~/credentials/catalog';
import { createApiRouter } from './router.server';
import { createTestAgent, createTestCredential, createTestOrg, listen, startApiServer, startUpstream, type Listening, type TestOrg } from './test-support';

const openaiKey = `sk-proj-${crypto.randomBytes(24).toString('hex')}`;
const githubKey = `ghp_${crypto.randomBytes(20).toString('hex')}`;

let api: Listening;
let org: TestOrg;
let strictOrg: TestOrg;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  api = await startApiServer({ proxy: { maxBodyBytes: 64 * 1024, replayableBodyBytes: 1024, headersTimeoutMs: 2_000 } });
  org = await createTestOrg({ allowPrivateHosts: true });
  strictOrg = await createTestOrg({ allowPrivateHosts: false });
});

afterAll(async () => {
  for (const close of closers) await close();
  await api.close();
});

afterEach(() => setEgressResolver());

async function upstream(respond?: Parameters<typeof startUpstream>[0]) {
  const u = await startUpstream(respond);
  closers.push(u.close);
  return u;
}

function proxyUrl(name: string, rest = '') {
  return `${api.url}/api/v1/proxy/${name}${rest}`;
}

async function json(response: Response) {
  return (await response.json()) as { code: string; message: string };
}

describe('official SDKs through the proxy', () => {
  it('the openai client gets a chat completion while the upstream sees only the stored key', async () => {
    const up = await upstream((req, res) => {
      if (req.headers.authorization !== `Bearer ${openaiKey}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: 'gpt-test',
          choices: [{ index: 0, message: { role: 'assistant', content: 'hello from upstream' }, finish_reason: 'stop' }],
        }),
      );
    });
    await createTestCredential(org, { name: 'openai-prod', service: 'openai', type: 'api_key', fields: { key: openaiKey }, baseUrl: `${up.url}/v1` });
    const { token } = await createTestAgent(org, ['openai-*']);

    // The agent process holds only its lk_ token.
    const client = new OpenAI({ apiKey: token, baseURL: proxyUrl('openai-prod'), maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });

    expect(completion.choices[0]!.message.content).toBe('hello from upstream');
    expect(up.seen).toHaveLength(1);
    expect(up.seen[0]!.url).toBe('/v1/chat/completions');
    expect(up.seen[0]!.headers.authorization).toBe(`Bearer ${openaiKey}`);
    expect(JSON.stringify(up.seen[0]!.headers)).not.toContain(token);
    expect(JSON.parse(up.seen[0]!.body)).toMatchObject({ model: 'gpt-test' });
  });

  it('octokit reads the authenticated user through the proxy with the stored GitHub token', async () => {
    const up = await upstream((req, res) => {
      const ok = req.headers.authorization === `Bearer ${githubKey}`;
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { login: 'octocat', id: 1 } : { message: 'Bad credentials' }));
    });
    await createTestCredential(org, { name: 'github-bot', service: 'github', type: 'api_key', fields: { key: githubKey }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['github-bot']);

    const octokit = new Octokit({ auth: token, baseUrl: proxyUrl('github-bot'), request: { retries: 0 } });
    const { data } = await octokit.rest.users.getAuthenticated();

    expect(data.login).toBe('octocat');
    expect(up.seen[0]!.url).toBe('/user');
    expect(up.seen[0]!.headers.authorization).toBe(`Bearer ${githubKey}`);
  });
});

describe('injection by type', () => {
  it('a query-parameter key replaces any value the agent put there', async () => {
    const key = `AIza${crypto.randomBytes(40).toString('base64url').slice(0, 35)}`;
    const up = await upstream((_req, res) => res.end('{}'));
    await createTestCredential(org, { name: 'gemini-key', service: 'gemini', type: 'api_key', fields: { key }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['gemini-key']);

    const response = await fetch(proxyUrl('gemini-key', '/v1/models?key=forged&page=2'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(200);
    const url = new URL(up.seen[0]!.url, 'http://x');
    expect(url.pathname).toBe('/v1/models');
    expect(url.searchParams.getAll('key')).toEqual([key]);
    expect(url.searchParams.get('page')).toBe('2');
  });

  it('a username/password credential is sent as Basic and the agent token as Proxy-Authorization works', async () => {
    const up = await upstream((_req, res) => res.end('ok'));
    await createTestCredential(org, { name: 'basic-svc', service: 'custom', type: 'password', fields: { username: 'svc', password: 'p@ss word' }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['basic-*']);

    const response = await fetch(proxyUrl('basic-svc', '/ping'), { headers: { 'proxy-authorization': `Bearer ${token}`, authorization: 'Basic Zm9yZ2Vk' } });

    expect(response.status).toBe(200);
    expect(up.seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('svc:p@ss word').toString('base64')}`);
    expect(up.seen[0]!.headers['proxy-authorization']).toBeUndefined();
  });

  it('hop-by-hop, cookie and forwarding headers are stripped; other headers and the body pass through', async () => {
    const up = await upstream((_req, res) => res.writeHead(201, { 'x-upstream': 'yes', 'keep-alive': 'timeout=5' }).end('created'));
    await createTestCredential(org, { name: 'headers-svc', service: 'custom', type: 'api_key', fields: { key: 'custom-secret-1' }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['headers-svc']);

    const response = await fetch(proxyUrl('headers-svc', '/items'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, cookie: 'session=abc', 'x-forwarded-host': 'evil.test', 'x-custom': '1', 'content-type': 'text/plain' },
      body: 'payload',
    });

    expect(response.status).toBe(201);
    expect(await response.text()).toBe('created');
    expect(response.headers.get('x-upstream')).toBe('yes');
    const seen = up.seen[0]!;
    expect(seen.headers.authorization).toBe('Bearer custom-secret-1');
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers['x-forwarded-host']).toBeUndefined();
    expect(seen.headers['x-custom']).toBe('1');
    expect(seen.headers.host).toBe(new URL(up.url).host);
    expect(seen.body).toBe('payload');
  });
});

describe('use tracking', () => {
  it('a proxied request is recorded: last used on the credential and the agent, and a credential.used audit row with the origin', async () => {
    const { flushUsage } = await import('~/usage/store.server');
    const up = await upstream((_req, res) => res.end('{}'));
    const { id: credentialId } = await createTestCredential(org, { name: 'tracked-key', service: 'openai', type: 'api_key', fields: { key: openaiKey }, baseUrl: up.url });
    const { agent, token } = await createTestAgent(org, ['tracked-key']);

    for (let i = 0; i < 3; i++) {
      const response = await fetch(proxyUrl('tracked-key', '/v1/models'), { headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(200);
    }
    // Recording is off the response path; give it a moment, then flush as the worker would.
    await new Promise((r) => setTimeout(r, 200));
    await flushUsage();

    const credential = await prisma.credential.findUniqueOrThrow({ where: { id: credentialId } });
    expect(credential.lastUsedAt).not.toBeNull();
    expect((await prisma.agent.findUniqueOrThrow({ where: { id: agent.id } })).lastUsedAt).not.toBeNull();
    const rows = await prisma.auditEvent.findMany({ where: { credentialId, action: 'credential.used' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actorType: 'agent', actorId: agent.id, details: { uses: 3 } });
    expect(rows[0]!.ip).toMatch(/127\.0\.0\.1|::1/);
    expect(JSON.stringify(rows[0], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(openaiKey);
  });
});

describe('streaming', () => {
  it('server-sent events reach the agent one by one, before the upstream has finished', async () => {
    let release!: () => void;
    const firstReceived = new Promise<void>((resolve) => (release = resolve));
    const up = await upstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: one\n\n');
      // The second event is only sent once the agent has read the first: a buffering proxy would hang here.
      void firstReceived.then(() => {
        res.write('data: two\n\n');
        res.end();
      });
    });
    await createTestCredential(org, { name: 'sse-svc', service: 'custom', type: 'api_key', fields: { key: 'sse-secret' }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['sse-svc']);

    const response = await fetch(proxyUrl('sse-svc', '/events'), { headers: { authorization: `Bearer ${token}` } });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('data: one')) text += decoder.decode((await reader.read()).value);
    expect(text).not.toContain('two');
    release();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) text += decoder.decode(chunk.value);
    expect(text).toBe('data: one\n\ndata: two\n\n');
  });
});

describe('egress safety', () => {
  it('a loopback upstream is refused for an organization that does not allow private hosts', async () => {
    const up = await upstream();
    await createTestCredential(strictOrg, { name: 'loopback', service: 'custom', type: 'api_key', fields: { key: 'k-loop' }, baseUrl: up.url });
    const { token } = await createTestAgent(strictOrg, ['*']);

    const response = await fetch(proxyUrl('loopback', '/x'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(403);
    expect((await json(response)).code).toBe('egress_refused');
    expect(up.seen).toHaveLength(0);
  });

  it('the cloud metadata address is refused before any connection', async () => {
    await createTestCredential(strictOrg, { name: 'metadata', service: 'custom', type: 'api_key', fields: { key: 'k-meta' }, baseUrl: 'http://169.254.169.254/latest' });
    const { token } = await createTestAgent(strictOrg, ['metadata']);

    const response = await fetch(proxyUrl('metadata', '/meta-data'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(403);
    expect((await json(response)).code).toBe('egress_refused');
  });

  it('a DNS name that resolves to loopback is refused after resolution', async () => {
    const up = await upstream();
    const port = new URL(up.url).port;
    setEgressResolver(async () => [{ address: '127.0.0.1', family: 4 }]);
    await createTestCredential(strictOrg, { name: 'rebind', service: 'custom', type: 'api_key', fields: { key: 'k-rebind' }, baseUrl: `http://api.rebind.example:${port}` });
    const { token } = await createTestAgent(strictOrg, ['rebind']);

    const response = await fetch(proxyUrl('rebind', '/x'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(403);
    expect((await json(response)).code).toBe('egress_refused');
    expect(up.seen).toHaveLength(0);
  });

  it('the same name is dialled through the resolver when the organization allows private hosts', async () => {
    const up = await upstream((_req, res) => res.end('reached'));
    const port = new URL(up.url).port;
    setEgressResolver(async () => [{ address: '127.0.0.1', family: 4 }]);
    await createTestCredential(org, { name: 'named-host', service: 'custom', type: 'api_key', fields: { key: 'k-named' }, baseUrl: `http://api.named.example:${port}` });
    const { token } = await createTestAgent(org, ['named-host']);

    const response = await fetch(proxyUrl('named-host', '/x'), { headers: { authorization: `Bearer ${token}` } });

    expect(await response.text()).toBe('reached');
    expect(up.seen[0]!.headers.host).toBe(`api.named.example:${port}`);
  });

  it('host override attempts in the path and headers stay on the credential’s host and base path', async () => {
    const up = await upstream((_req, res) => res.end('ok'));
    await createTestCredential(org, { name: 'override', service: 'custom', type: 'api_key', fields: { key: 'k-over' }, baseUrl: `${up.url}/base` });
    const { token } = await createTestAgent(org, ['override']);
    const headers = { authorization: `Bearer ${token}`, 'x-forwarded-host': '169.254.169.254', forwarded: 'host=127.0.0.2' };

    for (const rest of ['//169.254.169.254/latest/meta-data', '/@127.0.0.2/x', '/%2F%2Fevil.test/x', '/a/..%2F..%2Fadmin']) {
      const response = await fetch(proxyUrl('override', rest), { headers });
      expect(response.status, rest).toBe(200);
    }
    const dotDot = await new Promise<number>((resolve, reject) => {
      // fetch normalises "..", so send it raw.
      const request = http.request(`${api.url}/api/v1/proxy/override/../../../admin`, { headers }, (res) => resolve(res.statusCode ?? 0));
      request.on('error', reject);
      request.end();
    });
    expect([400, 404]).toContain(dotDot);
    for (const seen of up.seen) {
      expect(seen.headers.host).toBe(new URL(up.url).host);
      expect(seen.url.startsWith('/base/')).toBe(true);
      expect(seen.headers['x-forwarded-host']).toBeUndefined();
    }
  });

  it('redirects to 127.0.0.1 or 169.254.169.254 are refused, not followed', async () => {
    const target = await upstream((_req, res) => res.end('internal'));
    const up = await upstream((req, res) => {
      const location = req.url === '/to-metadata' ? 'http://169.254.169.254/latest/meta-data/' : `${target.url.replace('127.0.0.1', '127.0.0.1')}/secret`;
      res.writeHead(302, { location }).end();
    });
    // A different port on 127.0.0.1 is another origin.
    await createTestCredential(org, { name: 'redirector', service: 'custom', type: 'api_key', fields: { key: 'k-redir' }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['redirector']);

    for (const path of ['/to-metadata', '/to-loopback']) {
      const response = await fetch(proxyUrl('redirector', path), { headers: { authorization: `Bearer ${token}` }, redirect: 'manual' });
      expect(response.status).toBe(502);
      expect((await json(response)).code).toBe('redirect_refused');
    }
    expect(target.seen).toHaveLength(0);
  });
});

describe('isolation and tokens', () => {
  it('another organization’s credential answers 404 and one outside the allowlist 403', async () => {
    const other = await createTestOrg({ allowPrivateHosts: true });
    await createTestCredential(other, { name: 'theirs', service: 'custom', type: 'api_key', fields: { key: 'their-secret' }, baseUrl: 'http://127.0.0.1:9' });
    await createTestCredential(org, { name: 'not-listed', service: 'custom', type: 'api_key', fields: { key: 'unlisted-secret' }, baseUrl: 'http://127.0.0.1:9' });
    const { token } = await createTestAgent(org, ['theirs', 'listed-*']);
    const auth = { authorization: `Bearer ${token}` };

    const foreign = await fetch(proxyUrl('theirs', '/x'), { headers: auth });
    expect(foreign.status).toBe(404);
    expect((await json(foreign)).code).toBe('credential_not_found');
    const missing = await fetch(proxyUrl('does-not-exist', '/x'), { headers: auth });
    expect(missing.status).toBe(404);
    const unlisted = await fetch(proxyUrl('not-listed', '/x'), { headers: auth });
    expect(unlisted.status).toBe(403);
    expect((await json(unlisted)).code).toBe('credential_not_allowed');
    const detail = await fetch(`${api.url}/api/v1/credentials/theirs`, { headers: auth });
    expect(detail.status).toBe(404);
  });

  it('a revoked token and a rotated-away token get 401; the new token works', async () => {
    const up = await upstream((_req, res) => res.end('ok'));
    await createTestCredential(org, { name: 'tokens-svc', service: 'custom', type: 'api_key', fields: { key: 'k-tokens' }, baseUrl: up.url });
    const { agent, token } = await createTestAgent(org, ['tokens-svc']);
    const call = (t: string) => fetch(proxyUrl('tokens-svc', '/x'), { headers: { authorization: `Bearer ${t}` } });
    const actor = { organizationId: org.id, role: 'owner' as const, context: systemAuditContext('test') };

    expect((await call(token)).status).toBe(200);
    const rotated = await rotateAgentToken(actor, agent.id);
    expect((await call(token)).status).toBe(401);
    expect((await call(rotated.token)).status).toBe(200);
    const row = await prisma.agentToken.findFirstOrThrow({ where: { agentId: agent.id, revokedAt: null } });
    await revokeAgentToken(actor, agent.id, row.id);
    const revoked = await call(rotated.token);
    expect(revoked.status).toBe(401);
    expect((await json(revoked)).code).toBe('unauthorized');
    expect((await call('lk_not-a-token')).status).toBe(401);
    expect((await fetch(proxyUrl('tokens-svc', '/x'))).status).toBe(401);
  });
});

describe('status, limits and upstream failures', () => {
  it('a credential that needs attention answers 409 with the reason', async () => {
    const cred = await createTestCredential(org, { name: 'attention', service: 'custom', type: 'api_key', fields: { key: 'k-att' }, baseUrl: 'http://127.0.0.1:9' });
    await prisma.credential.update({ where: { id: cred.id }, data: { status: 'needs_attention', statusReason: 'The provider rejected the refresh token' } });
    clearCredentialCache();
    const { token } = await createTestAgent(org, ['attention']);

    const response = await fetch(proxyUrl('attention', '/x'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(409);
    const body = await json(response);
    expect(body.code).toBe('credential_needs_attention');
    expect(body.message).toContain('rejected the refresh token');
  });

  it('an expired credential answers 409', async () => {
    const cred = await createTestCredential(org, { name: 'expired-key', service: 'custom', type: 'api_key', fields: { key: 'k-exp' }, baseUrl: 'http://127.0.0.1:9' });
    await prisma.credential.update({ where: { id: cred.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    clearCredentialCache();
    const { token } = await createTestAgent(org, ['expired-key']);

    const response = await fetch(proxyUrl('expired-key', '/x'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(409);
    expect((await json(response)).code).toBe('credential_expired');
  });

  it('bodies over the limit get 413, declared or streamed', async () => {
    const up = await upstream();
    await createTestCredential(org, { name: 'big-body', service: 'custom', type: 'api_key', fields: { key: 'k-big' }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['big-body']);
    const big = Buffer.alloc(128 * 1024, 'a');

    const declared = await fetch(proxyUrl('big-body', '/upload'), { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: big });
    expect(declared.status).toBe(413);
    expect((await json(declared)).code).toBe('payload_too_large');

    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 8; i += 1) controller.enqueue(new Uint8Array(16 * 1024));
        controller.close();
      },
    });
    const streamed = await fetch(proxyUrl('big-body', '/upload'), { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it('an unreachable upstream answers 502 with no secret in the body or headers', async () => {
    const closed = await upstream();
    await closed.close();
    const secret = 'k-unreachable-secret';
    await createTestCredential(org, { name: 'down', service: 'custom', type: 'api_key', fields: { key: secret }, baseUrl: closed.url });
    const { token } = await createTestAgent(org, ['down']);

    const response = await fetch(proxyUrl('down', '/x'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(502);
    const text = await response.text();
    expect(JSON.parse(text).code).toBe('upstream_unreachable');
    expect(text).not.toContain(secret);
    expect(JSON.stringify([...response.headers])).not.toContain(secret);
  });

  it('an upstream that echoes the key in a header does not pass it back', async () => {
    const secret = 'k-echo-secret';
    const up = await upstream((req, res) => res.writeHead(200, { 'x-echo': String(req.headers.authorization) }).end('ok'));
    await createTestCredential(org, { name: 'echo', service: 'custom', type: 'api_key', fields: { key: secret }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['echo']);

    const response = await fetch(proxyUrl('echo', '/x'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-echo')).toBeNull();
  });
});

describe('agent API', () => {
  it('lists only allowed credentials with status and expiry, and no values', async () => {
    const other = await createTestOrg();
    const secret = `sk-proj-${crypto.randomBytes(24).toString('hex')}`;
    await createTestCredential(other, { name: 'api-a', service: 'openai', type: 'api_key', fields: { key: secret } });
    await createTestCredential(other, { name: 'api-b', service: 'custom', type: 'api_key', fields: { key: 'hidden-b' } });
    const { token } = await createTestAgent(other, ['api-a']);

    const response = await fetch(`${api.url}/api/v1/credentials`, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();

    expect(response.status).toBe(200);
    const body = JSON.parse(text) as { credentials: { name: string; type: string; service: string; status: string }[] };
    expect(body.credentials.map((c) => c.name)).toEqual(['api-a']);
    expect(body.credentials[0]).toMatchObject({ type: 'api_key', service: 'openai', status: 'active', expiresAt: null });
    expect(text).not.toContain(secret);
    const one = await fetch(`${api.url}/api/v1/credentials/api-a`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await one.json()) as { name: string }).name).toBe('api-a');
    expect((await fetch(`${api.url}/api/v1/credentials/api-b`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
  });

  it('serves an OpenAPI 3.1 document generated from the schemas', async () => {
    const response = await fetch(`${api.url}/api/v1/openapi.json`);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };

    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/credentials', '/credentials/{name}', '/proxy/{name}/{path}']));
    expect(Object.keys(doc.components.schemas.Credential!.properties!)).toEqual(
      expect.arrayContaining(['name', 'type', 'service', 'status', 'expiresAt']),
    );
  });
});

describe('the hot path', () => {
  it('proxied answers and proxy errors carry a request id and Cache-Control: no-store; a plain incoming id is kept', async () => {
    const up = await upstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    await createTestCredential(org, { name: 'hot-ids', service: 'custom', type: 'api_key', fields: { key: 'k-hot-ids' }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['hot-ids']);

    const ok = await fetch(proxyUrl('hot-ids', '/x?q=1'), { headers: { authorization: `Bearer ${token}`, 'x-request-id': 'agent-req-12345' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe('agent-req-12345');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const bad = await fetch(proxyUrl('hot-ids', '/x'), { headers: { authorization: 'Bearer lk_unknown', 'x-request-id': 'bad id with spaces' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(bad.headers.get('cache-control')).toBe('no-store');
    expect(bad.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await json(bad)).code).toBe('unauthorized');
  });

  it('a replaced value is used as soon as the credential row is re-read (no stale plaintext)', async () => {
    const up = await upstream((req, res) => res.end(String(req.headers.authorization)));
    const cred = await createTestCredential(org, { name: 'hot-replace', service: 'openai', type: 'api_key', fields: { key: 'sk-old-value-1234567890' }, baseUrl: `${up.url}/v1` });
    const { token } = await createTestAgent(org, ['hot-replace']);
    const call = async () => (await fetch(proxyUrl('hot-replace', '/models'), { headers: { authorization: `Bearer ${token}` } })).text();

    expect(await call()).toBe('Bearer sk-old-value-1234567890');
    await replaceCredentialSecret(org.actor, cred.id, { fields: { key: 'sk-new-value-0987654321' }, expectedVersion: cred.version });
    clearCredentialCache();
    expect(await call()).toBe('Bearer sk-new-value-0987654321');
  });

  it('a resolved name is cached briefly, and the cached answer is still judged for each organization', async () => {
    const up = await upstream((_req, res) => res.writeHead(200, { connection: 'close' }).end('reached'));
    const port = new URL(up.url).port;
    let lookups = 0;
    setEgressResolver(async () => {
      lookups += 1;
      return [{ address: '127.0.0.1', family: 4 }];
    });
    await createTestCredential(org, { name: 'dns-cached', service: 'custom', type: 'api_key', fields: { key: 'k-dns' }, baseUrl: `http://api.cached.example:${port}` });
    await createTestCredential(strictOrg, { name: 'dns-cached', service: 'custom', type: 'api_key', fields: { key: 'k-dns' }, baseUrl: `http://api.cached.example:${port}` });
    const permissive = await createTestAgent(org, ['dns-cached']);
    const strict = await createTestAgent(strictOrg, ['dns-cached']);

    // The upstream closes each connection, so every request dials (and looks the name up) again.
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(proxyUrl('dns-cached', '/x'), { headers: { authorization: `Bearer ${permissive.token}` } });
      expect(await response.text()).toBe('reached');
    }
    expect(lookups).toBe(1);
    const refused = await fetch(proxyUrl('dns-cached', '/x'), { headers: { authorization: `Bearer ${strict.token}` } });
    expect(refused.status).toBe(403);
    expect((await json(refused)).code).toBe('egress_refused');
    expect(up.seen).toHaveLength(3);
  });

  it('logs one compact line per proxied request: id, method, path without query, status; no token or key', async () => {
    const lines: string[] = [];
    const app = createApp({
      handler: (_req, res) => res.status(404).end(),
      api: createApiRouter(),
      publicUrl: 'http://127.0.0.1',
      formMaxBytes: 1024,
      uploadMaxBytes: 1024,
      checkHealth: async () => undefined,
      logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
    });
    const server = await listen(http.createServer(app));
    closers.push(server.close);
    const up = await upstream((_req, res) => res.end('ok'));
    await createTestCredential(org, { name: 'hot-log', service: 'custom', type: 'api_key', fields: { key: 'k-hot-log-secret' }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['hot-log']);

    const response = await fetch(`${server.url}/api/v1/proxy/hot-log/items?api_key=agent-query-secret`, { headers: { authorization: `Bearer ${token}` } });
    expect(await response.text()).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 50));

    const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; req: { id: string; method: string; path: string }; res: { statusCode: number } });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 30, msg: 'GET /api/v1/proxy/hot-log/items 200', req: { method: 'GET', path: '/api/v1/proxy/hot-log/items' }, res: { statusCode: 200 } });
    expect(logged[0]!.req.id).toBe(response.headers.get('x-request-id'));
    const text = lines.join('\n');
    for (const secret of [token, 'k-hot-log-secret', 'agent-query-secret']) expect(text).not.toContain(secret);
  });
});

describe('what the agent sends and gets back', () => {
  it('the agent token in x-api-key, api-key, a custom header, a Basic pair or the query never reaches the service', async () => {
    const up = await upstream((_req, res) => res.end('ok'));
    await createTestCredential(org, { name: 'token-leak', service: 'openai', type: 'api_key', fields: { key: openaiKey }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['token-leak']);

    const response = await fetch(proxyUrl('token-leak', `/v1/models?api_key=${token}&page=2`), {
      headers: {
        authorization: `Bearer ${token}`,
        'x-api-key': token,
        'api-key': token,
        'x-custom-auth': `Token ${token}`,
        'x-forwarded-key': encodeURIComponent(token),
        'x-basic': `Basic ${Buffer.from(`agent:${token}`).toString('base64')}`,
        'x-kept': 'yes',
      },
    });

    expect(response.status).toBe(200);
    const seen = up.seen[0]!;
    expect(JSON.stringify(seen)).not.toContain(token);
    expect(seen.headers.authorization).toBe(`Bearer ${openaiKey}`);
    expect(seen.headers['x-kept']).toBe('yes');
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(new URL(seen.url, 'http://x').searchParams.get('page')).toBe('2');
  });

  it('an SDK that sends its API key only as x-api-key (Anthropic) or api-key (Azure OpenAI) authenticates with the agent token, which never reaches the service', async () => {
    const key = `sk-ant-api03-${crypto.randomBytes(24).toString('hex')}`;
    const up = await upstream((_req, res) => res.end('ok'));
    await createTestCredential(org, { name: 'claude-sdk', service: 'anthropic', type: 'api_key', fields: { key }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['claude-sdk']);

    const viaXApiKey = await fetch(proxyUrl('claude-sdk', '/v1/messages'), { headers: { 'x-api-key': token, 'anthropic-version': '2023-06-01' } });
    const viaApiKey = await fetch(proxyUrl('claude-sdk', '/v1/messages'), { headers: { 'api-key': token } });
    const notAToken = await fetch(proxyUrl('claude-sdk', '/v1/messages'), { headers: { 'x-api-key': 'sk-ant-some-real-key' } });

    expect(viaXApiKey.status).toBe(200);
    expect(viaApiKey.status).toBe(200);
    expect(notAToken.status).toBe(401);
    expect(up.seen).toHaveLength(2);
    for (const seen of up.seen) {
      expect(JSON.stringify(seen)).not.toContain(token);
      expect(seen.headers['x-api-key']).toBe(key);
    }
  });

  it('an agent header with the injected header’s name is replaced by the credential, whatever its case', async () => {
    const key = `sk-ant-api03-${crypto.randomBytes(24).toString('hex')}`;
    const up = await upstream((_req, res) => res.end('ok'));
    await createTestCredential(org, { name: 'claude', service: 'anthropic', type: 'api_key', fields: { key }, baseUrl: up.url });
    await createTestCredential(org, {
      name: 'custom-header',
      service: 'custom',
      type: 'api_key',
      fields: { key: 'custom-injected-1' },
      baseUrl: up.url,
      settings: { injection: { kind: 'header', header: 'X-Service-Key', scheme: 'Key' } },
    });
    const { token } = await createTestAgent(org, ['claude', 'custom-header']);

    const claude = await fetch(proxyUrl('claude', '/v1/messages'), { headers: { authorization: `Bearer ${token}`, 'X-API-KEY': 'forged-by-agent' } });
    const custom = await fetch(proxyUrl('custom-header', '/x'), { headers: { authorization: `Bearer ${token}`, 'x-service-key': 'Key forged-by-agent' } });

    expect([claude.status, custom.status]).toEqual([200, 200]);
    expect(up.seen[0]!.headers['x-api-key']).toBe(key);
    expect(up.seen[1]!.headers['x-service-key']).toBe('Key custom-injected-1');
    expect(JSON.stringify(up.seen)).not.toContain('forged-by-agent');
  });

  it('a cookie the service sets never reaches the agent (the proxy answers on Latchkey’s own origin)', async () => {
    const up = await upstream((_req, res) => {
      res.setHeader('set-cookie', ['upstream_session=abc; Path=/; HttpOnly', 'tracking=1']);
      res.setHeader('set-cookie2', 'legacy=1');
      res.setHeader('x-upstream', 'kept');
      res.end('ok');
    });
    await createTestCredential(org, { name: 'cookie-svc', service: 'custom', type: 'api_key', fields: { key: 'k-cookie' }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['cookie-svc']);

    const response = await fetch(proxyUrl('cookie-svc', '/login'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get('set-cookie2')).toBeNull();
    expect(response.headers.get('x-upstream')).toBe('kept');
  });

  it('an upstream that echoes the key base64-encoded in a header does not pass it back', async () => {
    const secret = 'k-echo-b64-secret';
    const up = await upstream((req, res) => res.writeHead(200, { 'x-echo': Buffer.from(String(req.headers.authorization)).toString('base64') }).end('ok'));
    await createTestCredential(org, { name: 'echo-b64', service: 'custom', type: 'api_key', fields: { key: secret }, baseUrl: up.url });
    const { token } = await createTestAgent(org, ['echo-b64']);

    const response = await fetch(proxyUrl('echo-b64', '/x'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-echo')).toBeNull();
  });
});

describe('credential files and base URLs', () => {
  it('a file answers 409 credential_not_injectable, saying how files are used, before any base URL check; the agent API offers it no proxy path', async () => {
    await prisma.credential.create({
      data: { organizationId: org.id, name: 'sa-file', service: 'custom', type: 'file', fileName: 'key.json', fileSize: 10, createdById: org.actor.userId },
    });
    clearCredentialCache();
    const { token } = await createTestAgent(org, ['sa-file']);

    const response = await fetch(proxyUrl('sa-file', '/x'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(409);
    const body = await json(response);
    expect(body.code).toBe('credential_not_injectable');
    expect(body.message).toMatch(/downloads it from its page in Latchkey/);
    const list = (await (await fetch(`${api.url}/api/v1/credentials`, { headers: { authorization: `Bearer ${token}` } })).json()) as { credentials: { name: string; proxyPath: string | null }[] };
    expect(list.credentials).toEqual([expect.objectContaining({ name: 'sa-file', proxyPath: null })]);
    const one = (await (await fetch(`${api.url}/api/v1/credentials/sa-file`, { headers: { authorization: `Bearer ${token}` } })).json()) as { proxyPath: string | null };
    expect(one.proxyPath).toBeNull();
  });

  it('a credential without a base URL answers 409 no_base_url saying where to set one', async () => {
    await createTestCredential(org, { name: 'no-base', service: 'custom', type: 'api_key', fields: { key: 'k-no-base' } });
    const { token } = await createTestAgent(org, ['no-base']);

    const response = await fetch(proxyUrl('no-base', '/x'), { headers: { authorization: `Bearer ${token}` } });

    expect(response.status).toBe(409);
    const body = await json(response);
    expect(body.code).toBe('no_base_url');
    expect(body.message).toMatch(/Edit → Base URL/);
  });
});

describe('upstream time limits', () => {
  it('a slow upstream is served when the credential’s own limit allows it and answers 504 under the environment default', { timeout: 20_000 }, async () => {
    // The environment default, parsed as at start-up, set small here instead of a real minute.
    const env = parseEnv({ ...process.env, UPSTREAM_TIMEOUT_MS: '1000', UPSTREAM_IDLE_TIMEOUT_MS: '1000' });
    const slowApi = await startApiServer({ proxy: { headersTimeoutMs: env.UPSTREAM_TIMEOUT_MS, idleTimeoutMs: env.UPSTREAM_IDLE_TIMEOUT_MS } });
    closers.push(slowApi.close);
    // Headers only after 1.8 s: longer than the default, as a long non-streaming model call.
    const up = await upstream((_req, res) => void setTimeout(() => res.end('{"done":true}'), 1_800));
    await createTestCredential(org, { name: 'slow-default', service: 'custom', type: 'api_key', fields: { key: 'k-slow-1' }, baseUrl: up.url });
    await createTestCredential(org, { name: 'slow-patient', service: 'custom', type: 'api_key', fields: { key: 'k-slow-2' }, baseUrl: up.url, settings: { upstreamTimeoutMs: 5_000 } });
    const { token } = await createTestAgent(org, ['slow-*']);
    const call = (name: string) => fetch(`${slowApi.url}/api/v1/proxy/${name}/v1/chat`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });

    const [impatient, patient] = await Promise.all([call('slow-default'), call('slow-patient')]);

    expect(impatient.status).toBe(504);
    expect((await json(impatient)).code).toBe('upstream_timeout');
    expect(patient.status).toBe(200);
    expect(await patient.text()).toBe('{"done":true}');
  });

  it('AI services wait at least 10 minutes for headers by default; other services the general default; a credential’s own setting wins', () => {
    const env = parseEnv(process.env);
    const defaults = { headersMs: env.UPSTREAM_TIMEOUT_MS, longRunningHeadersMs: env.UPSTREAM_AI_TIMEOUT_MS, idleMs: env.UPSTREAM_IDLE_TIMEOUT_MS };
    const ai = listServices().filter((s) => s.category === 'ai');
    expect(ai.map((s) => s.id)).toEqual(expect.arrayContaining(['openai', 'anthropic', 'gemini']));
    for (const service of ai) {
      const limits = upstreamTimeouts(service.id, {}, defaults);
      expect(limits.headersMs, service.id).toBeGreaterThanOrEqual(10 * 60_000);
      // A model may also pause that long inside a streamed answer.
      expect(limits.idleMs, service.id).toBeGreaterThanOrEqual(limits.headersMs);
    }
    expect(upstreamTimeouts('github', {}, defaults)).toEqual({ headersMs: 60_000, idleMs: 120_000 });
    expect(upstreamTimeouts('openai', { upstreamTimeoutMs: 30_000 }, defaults).headersMs).toBe(30_000);
    expect(() => parseEnv({ ...process.env, UPSTREAM_AI_TIMEOUT_MS: '5' })).toThrow(/UPSTREAM_AI_TIMEOUT_MS/);
  });
});
