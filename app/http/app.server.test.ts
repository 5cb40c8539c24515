// The Express middleware, exercised over real HTTP against the app started in-process with a trivial handler.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReadableStreamFromReadable } from '@remix-run/node';
import type { RequestHandler } from 'express';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from './app.server';
import { allowedOrigins } from './origin-check.server';
import { bodyLimitFor } from './body-limit.server';

const limits = { formMaxBytes: 256 * 1024, uploadMaxBytes: 1024 * 1024 };
const PUBLIC_URL = 'https://latchkey.example.com';
let server: http.Server;
let base: string;
let calls: { method: string; path: string; bytes: number }[] = [];
let healthy = true;
const logLines: string[] = [];

/** Reads the whole body, as a Remix action would, and records that it ran; /unread answers without reading it. */
const handler: RequestHandler = (req, res) => {
  if (req.path === '/unread') {
    // As the Remix adapter does for a route with no action: the body becomes a Request's stream nobody reads.
    void new Request('http://latchkey.test/unread', { method: 'POST', body: createReadableStreamFromReadable(req), duplex: 'half' } as RequestInit);
    res.status(405).type('text').send('no action here');
    return;
  }
  let bytes = 0;
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    calls.push({ method: req.method, path: req.path, bytes });
    res.type('text').send(`handled ${bytes}`);
  });
};

beforeAll(async () => {
  const app = createApp({
    handler,
    publicUrl: PUBLIC_URL,
    ...limits,
    logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
    checkHealth: async () => {
      if (!healthy) throw new Error('db down');
    },
  });
  server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  calls = [];
  healthy = true;
});

/** A POST over node:http, which (unlike fetch) sends the Host header we give it. */
function rawPost(path: string, headers: Record<string, string>, body = form(10)): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${base}${path}`, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

function form(size: number): string {
  return `field=${'a'.repeat(size)}`;
}

describe('Origin check', () => {
  it('a cross-site POST answers 403 with a clear message and never reaches the handler', async () => {
    const res = await fetch(`${base}/settings`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: form(10),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('sent from another site');
    expect(calls).toEqual([]);
  });

  it('a POST with neither Origin nor Referer is refused', async () => {
    const res = await fetch(`${base}/settings`, { method: 'POST', body: form(10) });
    expect(res.status).toBe(403);
    expect(calls).toEqual([]);
  });

  it('a POST whose Origin names the Host it was sent to is refused when that is not PUBLIC_URL (a spoofed or rebound Host)', async () => {
    // What a DNS-rebinding page sends: its own name as Host and as Origin.
    for (const host of ['evil.example', new URL(base).host]) {
      const res = await rawPost('/settings', { host, origin: `http://${host}`, 'content-type': 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(403);
    }
    expect(calls).toEqual([]);
  });

  it('a POST from PUBLIC_URL is allowed whatever Host a proxy in front of us sends', async () => {
    const res = await rawPost('/settings', { host: 'latchkey-web:3000', origin: PUBLIC_URL, 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('a POST whose Origin is PUBLIC_URL, or whose Referer is a page on it, is allowed', async () => {
    const viaOrigin = await fetch(`${base}/settings`, {
      method: 'POST',
      headers: { origin: 'https://latchkey.example.com' },
      body: form(1),
    });
    const viaReferer = await fetch(`${base}/settings`, {
      method: 'POST',
      headers: { referer: 'https://latchkey.example.com/orgs/acme/credentials?tab=all' },
      body: form(1),
    });
    expect([viaOrigin.status, viaReferer.status]).toEqual([200, 200]);
  });

  it('the default loopback PUBLIC_URL also accepts its other loopback names on the same port, and nothing else', () => {
    expect([...allowedOrigins('http://localhost:3000')].sort()).toEqual(['http://127.0.0.1:3000', 'http://[::1]:3000', 'http://localhost:3000']);
    expect([...allowedOrigins(PUBLIC_URL)]).toEqual([PUBLIC_URL]);
  });

  it('an agent API call with a bearer token needs no Origin; the same path without one is refused', async () => {
    const withToken = await fetch(`${base}/api/v1/use`, {
      method: 'POST',
      headers: { authorization: 'Bearer lk_agent_x', 'content-type': 'application/json' },
      body: '{}',
    });
    const withoutToken = await fetch(`${base}/api/v1/use`, { method: 'POST', body: '{}' });
    expect(withToken.status).toBe(200);
    expect(withoutToken.status).toBe(403);
  });

  it('a refused JSON client gets a JSON error', async () => {
    const res = await fetch(`${base}/settings`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', accept: 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { status: number } };
    expect(body.error.status).toBe(403);
  });
});

describe('unreadable requests', () => {
  const cases = [
    ['/%E0%A4%A', 'broken %-escape'],
    ['/orgs/%ZZ/credentials', 'broken %-escape'],
    ['/orgs/a%0Ab/credentials', 'control character'],
    ['/orgs/acme/credentials?q=%00', 'NUL character'],
    ['/orgs/acme/credentials?a%00=1', 'NUL character'],
  ] as const;
  for (const [path, reason] of cases) {
    it(`GET ${path} answers 400 (${reason}) before any route sees it`, async () => {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(reason);
      expect(calls).toEqual([]);
    });
  }

  it('a Host header that is no host name answers 400', async () => {
    const res = await new Promise<number>((resolve, reject) => {
      const request = http.request(`${base}/orgs/acme`, { headers: { host: 'exa mple' } }, (r) => (r.resume(), resolve(r.statusCode ?? 0)));
      request.on('error', reject);
      request.end();
    });
    expect(res).toBe(400);
  });

  it('a body the route never read does not break the next request on the same keep-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (path: string, body?: string) =>
      new Promise<string>((resolve) => {
        const headers = { origin: PUBLIC_URL, 'content-type': 'application/x-www-form-urlencoded', ...(body ? { 'content-length': String(body.length) } : {}) };
        const request = http.request(`${base}${path}`, { method: body ? 'POST' : 'GET', headers, agent }, (r) => {
          r.resume();
          r.on('end', () => resolve(String(r.statusCode)));
        });
        request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
        request.end(body);
      });
    const statuses: string[] = [];
    for (let i = 0; i < 3; i++) statuses.push(await send('/unread', form(200_000)), await send('/next'));
    agent.destroy();
    expect(statuses).toEqual(['405', '200', '405', '200', '405', '200']);
  });
});

describe('body size limit', () => {
  const twoMegabytes = 2 * 1024 * 1024;

  it('a 2 MB body with Content-Length answers 413 with a readable page, and the handler never runs', async () => {
    const res = await fetch(`${base}/settings`, {
      method: 'POST',
      headers: { origin: PUBLIC_URL, 'content-type': 'application/x-www-form-urlencoded' },
      body: form(twoMegabytes),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('The form is too large (max 256 KiB)');
    expect(calls).toEqual([]);
  });

  it('a 2 MB chunked body answers 413 (JSON when asked) and the handler never runs', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= twoMegabytes) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(`${base}/settings`, {
      method: 'POST',
      headers: { origin: PUBLIC_URL, accept: 'application/json' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { title: string } }).error.title).toBe('The form is too large (max 256 KiB)');
    expect(calls).toEqual([]);
  });

  it('a chunked body under the limit reaches the handler whole', async () => {
    const parts = [Buffer.alloc(100_000, 'a'), Buffer.alloc(100_000, 'b')];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = parts.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const res = await fetch(`${base}/settings`, { method: 'POST', headers: { origin: PUBLIC_URL }, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(200);
    expect(calls).toEqual([{ method: 'POST', path: '/settings', bytes: 200_000 }]);
  });

  it('upload routes accept a file up to UPLOAD_MAX_BYTES while ordinary forms stop at FORM_MAX_BYTES', async () => {
    const size = 900 * 1024;
    const upload = await fetch(`${base}/orgs/acme/credentials/new`, { method: 'POST', headers: { origin: PUBLIC_URL }, body: form(size) });
    const ordinary = await fetch(`${base}/orgs/acme/settings`, { method: 'POST', headers: { origin: PUBLIC_URL }, body: form(size) });
    expect(upload.status).toBe(200);
    expect(ordinary.status).toBe(413);
    expect(bodyLimitFor('/orgs/acme/credentials/c1/replace', limits).maxBytes).toBe(limits.uploadMaxBytes + 64 * 1024);
    expect(bodyLimitFor('/orgs/acme/files/upload', limits).message).toBe('The upload is too large (max 1 MiB)');
    expect(bodyLimitFor('/login', limits).maxBytes).toBe(limits.formMaxBytes);
  });
});

describe('headers and health', () => {
  it('responses carry a strict CSP, nosniff, a referrer policy and a request id', async () => {
    const res = await fetch(`${base}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('each response gets its own nonce and an upstream request id is echoed', async () => {
    const [a, b] = await Promise.all([
      fetch(`${base}/`, { headers: { 'x-request-id': 'proxy-abc-12345' } }),
      fetch(`${base}/`),
    ]);
    expect(a.headers.get('x-request-id')).toBe('proxy-abc-12345');
    expect(a.headers.get('content-security-policy')).not.toBe(b.headers.get('content-security-policy'));
  });

  it('GET /healthz answers {ok:true} when the database answers, 503 when it does not', async () => {
    const up = await fetch(`${base}/healthz`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ ok: true });
    healthy = false;
    const down = await fetch(`${base}/healthz`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { ok: boolean }).ok).toBe(false);
  });
});

describe('request log', () => {
  it('logs one line per request with the path only, never the query string or credentials', async () => {
    logLines.length = 0;
    await fetch(`${base}/oauth/callback?code=s3cr3t-code&state=st4te`, {
      headers: { cookie: 'session=c00kie', authorization: 'Bearer t0ken', 'x-request-id': 'trace-0001-abc' },
    });
    const lines = logLines.filter((l) => l.includes('trace-0001-abc'));
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as { req: { path: string; method: string }; res: { statusCode: number } };
    expect(entry.req).toMatchObject({ method: 'GET', path: '/oauth/callback' });
    expect(entry.res.statusCode).toBe(200);
    for (const secret of ['s3cr3t-code', 'st4te', 'c00kie', 't0ken']) expect(lines[0]).not.toContain(secret);
  });
});
