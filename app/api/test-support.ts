// Test-only: organizations, credentials pointed at local upstreams, agents, and the API served on loopback.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgent } from '~/agents/agents.server';
import { systemAuditContext } from '~/audit/audit.server';
import { createCredential, type CredentialActor } from '~/credentials/credentials.server';
import { prisma } from '~/db.server';
import { createApp } from '~/http/app.server';
import { createOrganizationDataKey } from '~/vault/vault.server';
import { unique, uniqueEmail } from '../../test/db';
import { createApiRouter, type ApiRouterOptions } from './router.server';

export interface TestOrg {
  id: string;
  actor: CredentialActor;
}

export async function createTestOrg(options: { allowPrivateHosts?: boolean } = {}): Promise<TestOrg> {
  const org = await prisma.$transaction(async (tx) => {
    const organization = await tx.organization.create({
      data: { name: unique('Org'), slug: unique('org'), allowPrivateHosts: options.allowPrivateHosts ?? false },
    });
    await createOrganizationDataKey(tx, organization.id);
    return organization;
  });
  const user = await prisma.user.create({ data: { email: uniqueEmail('admin'), name: 'Admin', passwordHash: 'not-a-real-hash' } });
  await prisma.membership.create({ data: { organizationId: org.id, userId: user.id, role: 'owner' } });
  return {
    id: org.id,
    actor: { organizationId: org.id, userId: user.id, userLabel: 'Admin', role: 'owner', ip: null, userAgent: 'vitest' },
  };
}

/** A credential created through the real service, then pointed at `baseUrl` (and given extra settings). */
export async function createTestCredential(
  org: TestOrg,
  input: { name: string; service: string; type: 'api_key' | 'password'; fields: Record<string, string>; baseUrl?: string; settings?: Record<string, unknown> },
) {
  const credential = await createCredential(org.actor, { name: input.name, service: input.service, type: input.type, fields: input.fields });
  if (input.baseUrl || input.settings) {
    await prisma.credential.update({ where: { id: credential.id }, data: { settings: { ...(input.settings ?? {}), ...(input.baseUrl ? { baseUrl: input.baseUrl } : {}) } } });
  }
  return credential;
}

export async function createTestAgent(org: TestOrg, allowedCredentials: string[], name = unique('agent')) {
  return createAgent({ organizationId: org.id, role: 'owner', context: systemAuditContext('test') }, { name, allowedCredentials });
}

export interface Listening {
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

export async function listen(server: http.Server): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The web app with only the agent API in front of a 404 handler, on 127.0.0.1. */
export async function startApiServer(options: ApiRouterOptions = {}): Promise<Listening> {
  const app = createApp({
    handler: (_req, res) => res.status(404).send('remix'),
    api: createApiRouter(options),
    publicUrl: 'http://127.0.0.1',
    formMaxBytes: 64 * 1024,
    uploadMaxBytes: 1024 * 1024,
    checkHealth: async () => undefined,
  });
  return listen(http.createServer(app));
}

/** An upstream that records each request (method, url, headers, body) and answers with `respond`. */
export async function startUpstream(
  respond: (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void = (_req, res) => res.end('{}'),
) {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
      respond(req, res, body);
    });
  });
  return { ...(await listen(server)), seen };
}
