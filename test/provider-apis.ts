// Local servers shaped like two providers' own revocation APIs, for tests: GitHub's "Delete an app token"
// (DELETE /applications/{client_id}/token, HTTP Basic client_id:client_secret, JSON { access_token }, 204) and
// Slack's auth.revoke (POST /api/auth.revoke with the token as Bearer, { ok, revoked }).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RevocationCall {
  api: 'github' | 'slack';
  token: string;
  /** The client that authenticated (GitHub only). */
  clientId?: string;
}

export interface ProviderApis {
  readonly url: string;
  /** GitHub's URL template, as the provider catalog holds it. */
  readonly githubTokenUrl: string;
  readonly slackRevokeUrl: string;
  /** Tokens each API accepts as live; revoking removes them. */
  readonly liveTokens: Set<string>;
  readonly calls: RevocationCall[];
  close(): Promise<void>;
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: http.ServerResponse, status: number, body?: unknown) {
  res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

/** `clients` maps a GitHub client id to its secret; requests with other credentials get 404 as GitHub answers them. */
export async function startProviderApis(clients: Record<string, string>): Promise<ProviderApis> {
  const liveTokens = new Set<string>();
  const calls: RevocationCall[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    void (async () => {
      const body = await readBody(req);
      const github = /^\/applications\/([^/]+)\/token$/.exec(url.pathname);
      if (req.method === 'DELETE' && github) {
        const clientId = decodeURIComponent(github[1]!);
        const auth = req.headers.authorization ?? '';
        const [id, secret] = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString('utf8').split(':');
        // GitHub answers 404 (not 401) for a wrong client: it does not confirm the app exists.
        if (!auth.startsWith('Basic ') || id !== clientId || clients[clientId] === undefined || clients[clientId] !== secret) return json(res, 404, { message: 'Not Found' });
        let token: unknown;
        try {
          token = (JSON.parse(body) as { access_token?: unknown }).access_token;
        } catch {
          return json(res, 400, { message: 'Problems parsing JSON' });
        }
        if (typeof token !== 'string') return json(res, 422, { message: 'Validation Failed' });
        calls.push({ api: 'github', token, clientId });
        if (!liveTokens.delete(token)) return json(res, 404, { message: 'Not Found' });
        return json(res, 204);
      }
      if (req.method === 'POST' && url.pathname === '/api/auth.revoke') {
        const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || new URLSearchParams(body).get('token') || '';
        if (!token) return json(res, 200, { ok: false, error: 'not_authed' });
        calls.push({ api: 'slack', token });
        if (!liveTokens.delete(token)) return json(res, 200, { ok: false, error: 'invalid_auth' });
        return json(res, 200, { ok: true, revoked: true });
      }
      json(res, 404, { message: 'Not Found' });
    })().catch(() => json(res, 500, { message: 'Server Error' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    githubTokenUrl: `${base}/applications/{client_id}/token`,
    slackRevokeUrl: `${base}/api/auth.revoke`,
    liveTokens,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
