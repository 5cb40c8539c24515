// The `latchkey status` command against a real API server: the table, and --check's exit code for each case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearCredentialCache } from '~/api/credentials.server';
import { createTestAgent, createTestCredential, createTestOrg, startApiServer, type Listening, type TestOrg } from '~/api/test-support';
import { prisma } from '~/db.server';
import { runHealthSweep } from '~/jobs/health-sweep.server';
import { closeQueues } from '~/queue/queue.server';
import { parseWithin } from './commands/status';
import { latchkey as run } from './test-support';

const HOUR = 3_600_000;

let api: Listening;
let org: TestOrg;

const latchkey = (args: string[], env: Record<string, string> = {}) => run(args, { env });

async function credential(name: string, data: { status?: 'active' | 'expired' | 'needs_attention'; expiresAt?: Date | null; statusReason?: string }) {
  const created = await createTestCredential(org, { name, service: 'openai', type: 'api_key', fields: { key: `sk-latchkey-cli-secret-${name}` } });
  await prisma.credential.update({ where: { id: created.id }, data });
}

beforeAll(async () => {
  api = await startApiServer();
  org = await createTestOrg();
  await credential('ok-a', { expiresAt: new Date(Date.now() + 30 * 24 * HOUR) });
  await credential('ok-b', {});
  await credential('soon-a', { expiresAt: new Date(Date.now() + 3 * HOUR) });
  await credential('bad-attention', { status: 'needs_attention', statusReason: 'refresh token revoked' });
  await credential('bad-expired', { status: 'expired', statusReason: 'Expired on 2026-11-30 12:00 UTC', expiresAt: new Date(Date.now() - 48 * HOUR) });
  await credential('twoday-a', { expiresAt: new Date(Date.now() + 48 * HOUR) });
  await credential('gone-a', { expiresAt: new Date(Date.now() - HOUR) });
  // The worker's sweep has marked what is inside the warning window, as it does every minute in production.
  await runHealthSweep();
  clearCredentialCache();
});

afterAll(async () => {
  await closeQueues();
  await api.close();
});

describe.concurrent('latchkey status', () => {
  it('prints an aligned table and exits 0 without --check, whatever the statuses', async () => {
    const { token } = await createTestAgent(org, ['*']);
    const result = await latchkey(['status', '--url', api.url, '--token', token]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+SERVICE\s+STATUS\s+EXPIRES\s+LAST USED$/);
    expect(lines).toHaveLength(8);
    const statusColumn = lines[0]!.indexOf('STATUS');
    for (const line of lines.slice(1)) expect(line.slice(statusColumn)).toMatch(/^(Active|Expiring|Expired|Needs attention)\b/);
    expect(result.stdout).not.toContain('secret-');
  });

  it('--check exits 0 when everything is active and not expiring soon', async () => {
    const { token } = await createTestAgent(org, ['ok-*']);
    expect((await latchkey(['status', '--check'], { LATCHKEY_URL: api.url, LATCHKEY_TOKEN: token })).code).toBe(0);
  });

  it('--check exits 2 when one expires within 24 hours, after the sweep has warned about it', async () => {
    const { token } = await createTestAgent(org, ['ok-*', 'soon-*']);
    const result = await latchkey(['status', '--check', '--url', api.url, '--token', token]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/soon-a\s.*Expiring/);
  });

  it('--check exits 0 for a key inside the warning window but more than 24 hours away; --within 72h makes it 2', async () => {
    const { token } = await createTestAgent(org, ['ok-*', 'twoday-*']);
    const plain = await latchkey(['status', '--check', '--url', api.url, '--token', token]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/twoday-a\s.*Expiring/);
    expect((await latchkey(['status', '--check', '--within', '72h', '--url', api.url, '--token', token])).code).toBe(2);
    expect((await latchkey(['status', '--check', '--within=1h', '--url', api.url, '--token', token])).code).toBe(0);
  }, 60_000);

  it('--within with a bad duration exits 3 and says what it accepts', async () => {
    const { token } = await createTestAgent(org, ['ok-*']);
    const result = await latchkey(['status', '--check', '--within=soon', '--url', api.url, '--token', token]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('--within "soon" is not a duration: use a positive number with a unit, like 24h, 90m or 3d.');
    for (const bad of ['-5h', '0', '0h', '12', '', 'h', '1e999d']) expect(parseWithin(bad), bad).toMatchObject({ ok: false });
    expect(parseWithin('72h')).toEqual({ ok: true, ms: 72 * HOUR });
    expect(parseWithin('3d')).toEqual({ ok: true, ms: 72 * HOUR });
    expect(parseWithin('90 minutes')).toEqual({ ok: true, ms: 90 * 60_000 });
  });

  it('--check exits 1 when a key is past its expiry, whatever the sweep has written', async () => {
    const { token } = await createTestAgent(org, ['ok-a', 'gone-*']);
    expect((await latchkey(['status', '--check', '--url', api.url, '--token', token])).code).toBe(1);
  });

  it('--check exits 1 when one needs attention, even if another expires soon', async () => {
    const { token } = await createTestAgent(org, ['soon-a', 'bad-attention']);
    expect((await latchkey(['status', '--check', '--url', api.url, '--token', token])).code).toBe(1);
  });

  it('--check exits 1 when one is expired', async () => {
    const { token } = await createTestAgent(org, ['ok-a', 'bad-expired']);
    expect((await latchkey(['status', '--check', '--url', api.url, '--token', token])).code).toBe(1);
  });

  it('a revoked or unknown token exits 4 (not allowed) with the server’s message', async () => {
    const result = await latchkey(['status', '--check', '--url', api.url, '--token', 'lk_unknown']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('401');
  });

  it('no token and a bad command exit 3 with usage help', async () => {
    const noToken = await latchkey(['status', '--url', api.url]);
    expect(noToken.code).toBe(3);
    expect(noToken.stderr).toContain('Usage: latchkey status');
    const bad = await latchkey(['frobnicate']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('Usage: latchkey <command>');
  });
});
