// Webhooks: status changes and proposals, delivered signed, retried after a 500, and carrying no secret.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAgent } from '~/agents/agents.server';
import { systemAuditContext } from '~/audit/audit.server';
import { createProposal } from '~/proposals/proposals.server';
import { notifyStatusChange, setCredentialStatus } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { createKeyCredential, createOrg } from '~/jobs/test-support';
import { closeQueues } from '~/queue/queue.server';
import { startWorkers } from '../../workers/index';
import { deliverWebhookJob, rotateWebhookSecret, SIGNATURE_HEADER, statusChangeBody, verifyWebhookSignature, WEBHOOK_QUEUE, webhookRetry } from './webhooks.server';

interface Received {
  body: string;
  signature: string | null;
}
const received: Received[] = [];
let answers: number[] = [];
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: req.headers[SIGNATURE_HEADER.toLowerCase()] as string });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/latchkey`;
  webhookRetry.delayMs = 100;
});
afterAll(async () => {
  await closeQueues();
  await new Promise((r) => server.close(r));
});

describe('status webhooks', () => {
  it('a status change is POSTed signed, retried after a 500, and holds no secret', { timeout: 30_000 }, async () => {
    const org = await createOrg();
    await prisma.organization.update({ where: { id: org.organizationId }, data: { webhookUrl: url, allowPrivateHosts: true } });
    const secret = await rotateWebhookSecret(org.organizationId);
    const credentialId = await createKeyCredential(org, null);
    const running = await startWorkers({
      healthPort: 0,
      registry: [{ queue: WEBHOOK_QUEUE, processor: deliverWebhookJob as never }],
    });
    try {
      answers = [500];
      received.length = 0;
      const result = await prisma.$transaction((tx) =>
        setCredentialStatus(tx, {
          credentialId,
          organizationId: org.organizationId,
          status: 'expiring',
          cause: 'expiring_soon',
          reason: 'Expires on 2026-12-06 14:00 UTC',
          context: systemAuditContext('test'),
        }),
      );
      expect(result.changed).toBe(true);
      await notifyStatusChange(credentialId);
      await notifyStatusChange(credentialId); // announced twice, delivered once (keyed by the event)
      await vi.waitFor(() => expect(received.length).toBe(2), { timeout: 15_000, interval: 50 });
      await new Promise((r) => setTimeout(r, 500));
      expect(received).toHaveLength(2);
      for (const r of received) {
        expect(verifyWebhookSignature(secret, r.body, r.signature)).toBe(true);
        expect(r.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
        expect(r.body).not.toContain(secret);
        expect(r.body).not.toContain('sk-test-123');
      }
      const event = JSON.parse(received[1]!.body);
      expect(event).toMatchObject({
        type: 'credential.status_changed',
        credential: { id: credentialId },
        // The one status vocabulary: what pages and the CLI call it, why, and whether agents can still use it.
        status: { from: 'active', to: 'expiring', label: 'Expiring', cause: 'expiring_soon', usable: true, reason: 'Expires on 2026-12-06 14:00 UTC' },
      });
      // A tampered body or another secret does not verify.
      expect(verifyWebhookSignature(secret, received[1]!.body.replace('"to":"expiring"', '"to":"active"'), received[1]!.signature)).toBe(false);
      expect(verifyWebhookSignature('whsec_other', received[1]!.body, received[1]!.signature)).toBe(false);
    } finally {
      await running.close();
    }
  });

  it('events say statuses in the shared vocabulary, also for changes recorded before causes existed', () => {
    expect(statusChangeBody({ from: 'active', to: 'needs_attention', reason: 'Expires in 3 days' }, 'api_key')).toEqual({
      from: 'active',
      to: 'needs_attention',
      label: 'Needs attention',
      cause: 'expiring_soon',
      usable: true,
      reason: 'Expires in 3 days',
    });
    expect(statusChangeBody({ from: 'active', to: 'needs_attention', reason: 'OpenAI answered 401', cause: 'rejected' }, 'api_key')).toMatchObject({ cause: 'rejected', usable: false });
    expect(statusChangeBody({ from: 'active', to: 'expired', reason: 'Expired' }, 'oauth')).toMatchObject({ label: 'Expired', cause: 'token_expired_no_refresh', usable: false });
    expect(statusChangeBody({ from: 'expired', to: 'active', reason: null }, 'api_key')).toMatchObject({ label: 'Active', cause: null, usable: true });
    expect(statusChangeBody({ to: 'bogus' }, 'file')).toMatchObject({ from: null, to: null, label: null, usable: false });
  });

  it('the signing secret is stored sealed, never as plaintext', async () => {
    const org = await createOrg();
    const secret = await rotateWebhookSecret(org.organizationId);
    const row = await prisma.organization.findUniqueOrThrow({ where: { id: org.organizationId } });
    expect(Buffer.from(row.webhookSecret!).toString('latin1')).not.toContain(secret);
    expect(row.webhookSecretKeyVersion).toBe(1);
  });

  it('a URL on a private address is refused unless the organization allows private hosts', async () => {
    const org = await createOrg();
    await prisma.organization.update({ where: { id: org.organizationId }, data: { webhookUrl: url } });
    await rotateWebhookSecret(org.organizationId);
    const credentialId = await createKeyCredential(org, null);
    const event = await prisma.$transaction((tx) =>
      setCredentialStatus(tx, { credentialId, organizationId: org.organizationId, status: 'expired', reason: 'Expired', context: systemAuditContext('test') }),
    );
    const before = received.length;
    await expect(deliverWebhookJob({ data: { organizationId: org.organizationId, auditEventId: event.auditEventId! } } as never)).rejects.toThrow(/private address/);
    expect(received.length).toBe(before);
  });
});

describe('proposal webhooks', () => {
  it('a proposal is announced as proposal.created, signed, with its approval link and never the agent’s value', { timeout: 30_000 }, async () => {
    const org = await createOrg();
    await prisma.organization.update({ where: { id: org.organizationId }, data: { webhookUrl: url, allowPrivateHosts: true } });
    const secret = await rotateWebhookSecret(org.organizationId);
    const { agent } = await createAgent({ organizationId: org.organizationId, role: 'owner', context: systemAuditContext('test') }, { name: `hooked-${Date.now()}` });
    const running = await startWorkers({ healthPort: 0, registry: [{ queue: WEBHOOK_QUEUE, processor: deliverWebhookJob as never }] });
    try {
      received.length = 0;
      const canary = `canary_${Date.now()}_generated`;
      const proposal = await createProposal(
        { ...agent, organizationId: org.organizationId },
        { message: 'Billing report', credentials: [{ name: 'stripe_key', service: 'stripe' }, { name: 'signing', service: 'custom', type: 'api_key', value: canary }] },
        { publicUrl: 'http://latchkey.test', context: { actor: { type: 'agent', id: agent.id, label: agent.name }, ip: null, userAgent: null } },
      );
      await vi.waitFor(() => expect(received.length).toBe(1), { timeout: 15_000, interval: 50 });
      const [hook] = received;
      expect(verifyWebhookSignature(secret, hook!.body, hook!.signature)).toBe(true);
      expect(hook!.body).not.toContain(canary);
      const event = JSON.parse(hook!.body);
      expect(event).toMatchObject({
        type: 'proposal.created',
        proposal: { id: proposal.id, status: 'pending', agent: { name: agent.name }, credentials: [{ name: 'stripe_key', kind: 'create' }, { name: 'signing', kind: 'create_supplied' }] },
      });
      expect(new URL(event.proposal.approvalUrl).pathname).toMatch(new RegExp(`/proposals/${proposal.id}$`));
    } finally {
      await running.close();
    }
  });
});
