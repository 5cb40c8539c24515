// `latchkey doctor` and `latchkey requirements` against a real API server: the report, its fix links, the exit codes, and declaring requirements.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setAgentRequirements } from '~/agents/requirements.server';
import { clearCredentialCache } from '~/api/credentials.server';
import { createTestAgent, createTestCredential, createTestOrg, startApiServer, type Listening, type TestOrg } from '~/api/test-support';
import { systemAuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import { runHealthSweep } from '~/jobs/health-sweep.server';
import { closeQueues } from '~/queue/queue.server';
import type { RequirementInput } from '~/agents/requirements';
import { doctorExitCode, type DoctorEntry } from './commands/doctor';
import { latchkey as run, tempHome } from './test-support';

const HOUR = 3_600_000;

let api: Listening;
let org: TestOrg;
/** Where the fix links point: the organization's pages under PUBLIC_URL. */
let orgPages: string;

const latchkey = (token: string, args: string[]) => run(args, { env: { LATCHKEY_URL: api.url, LATCHKEY_TOKEN: token } });

async function credential(name: string, data: { status?: 'active' | 'needs_attention'; expiresAt?: Date | null; statusReason?: string } = {}) {
  const created = await createTestCredential(org, { name, service: 'openai', type: 'api_key', fields: { key: `sk-latchkey-doctor-secret-${name}` } });
  await prisma.credential.update({ where: { id: created.id }, data });
}

/** An agent that may use `allow` and has declared `requirements`; its token. */
async function agentWith(allow: string[], requirements: RequirementInput[]): Promise<string> {
  const { agent, token } = await createTestAgent(org, allow);
  await setAgentRequirements({ organizationId: org.id, self: agent.id, context: systemAuditContext('test') }, agent.id, requirements);
  return token;
}

async function doctorFromApi(token: string): Promise<unknown> {
  const response = await fetch(`${api.url}/api/v1/doctor`, { headers: { authorization: `Bearer ${token}` } });
  return response.json();
}

beforeAll(async () => {
  api = await startApiServer();
  org = await createTestOrg();
  const { slug } = await prisma.organization.findUniqueOrThrow({ where: { id: org.id }, select: { slug: true } });
  orgPages = `/orgs/${slug}`;
  await credential('doc-ok-a');
  await credential('doc-ok-b', { expiresAt: new Date(Date.now() + 30 * 24 * HOUR) });
  await credential('doc-soon', { expiresAt: new Date(Date.now() + 3 * HOUR) });
  await credential('doc-twoday', { expiresAt: new Date(Date.now() + 48 * HOUR) });
  await credential('doc-attention', { status: 'needs_attention', statusReason: 'The provider rejected the key' });
  await credential('doc-hidden');
  await runHealthSweep();
  clearCredentialCache();
});

afterAll(async () => {
  await closeQueues();
  await api.close();
});

// Each run starts a node process with tsx: several at once on a small machine take a while.
describe.concurrent('latchkey doctor', { timeout: 120_000 }, () => {
  it('a missing required credential exits 1 and prints the page where a person adds it', async () => {
    const token = await agentWith(['doc-*'], [{ name: 'doc-ok-a' }, { name: 'doc-absent', service: 'stripe', type: 'api_key' }]);
    const result = await latchkey(token, ['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^\s+NAME\s+NEED\s+STATE\s+DETAILS$/m);
    expect(result.stdout).toMatch(/✓\s+doc-ok-a\s+required\s+ok/);
    expect(result.stdout).toMatch(/✗\s+doc-absent\s+required\s+missing\s+No credential named doc-absent \(Stripe\) yet: add it/);
    expect(result.stdout).toMatch(/^ +fix: https?:\/\/\S+\/orgs\/\S+\/credentials\/new\?name=doc-absent&type=api_key&service=stripe$/m);
    expect(result.stdout).toContain(`${orgPages}/credentials/new?name=doc-absent&type=api_key&service=stripe`);
    expect(result.stdout).toContain('Not ready: 1 of 2 required credentials missing or unusable (doc-absent).');
    expect(result.stdout).not.toContain('secret');
  });

  it('a credential outside the allowlist, or one that needs attention, exits 1 with its own reason and fix page', async () => {
    const token = await agentWith(['doc-ok-a', 'doc-attention'], [{ name: 'doc-ok-a' }, { name: 'doc-hidden' }, { name: 'doc-attention' }]);
    const result = await latchkey(token, ['doctor']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗\s+doc-hidden\s+required\s+not allowed\s+doc-hidden exists but this agent’s allowlist does not include it/);
    expect(result.stdout).toMatch(new RegExp(`fix: \\S+${orgPages}/agents/[^#\\s]+#allowlist`));
    expect(result.stdout).toMatch(/✗\s+doc-attention\s+required\s+needs attention\s+The provider rejected the key/);
    expect(result.stdout).toContain('2 of 3 required credentials missing or unusable (doc-hidden, doc-attention)');
  });

  it('all required credentials usable exits 0, even when an optional one is missing (shown, not counted)', async () => {
    const token = await agentWith(['doc-ok-*'], [{ name: 'doc-ok-a' }, { name: 'doc-ok-b' }, { name: 'doc-maybe', optional: true }]);
    const result = await latchkey(token, ['doctor']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/✗\s+doc-maybe\s+optional\s+missing/);
    expect(result.stdout).toContain('Ready: all 2 required credentials are usable. 1 of 1 optional not usable.');
  });

  it('a required credential expiring within 24 hours exits 2 and is marked !', async () => {
    const token = await agentWith(['doc-*'], [{ name: 'doc-ok-a' }, { name: 'doc-soon' }]);
    const result = await latchkey(token, ['doctor']);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/!\s+doc-soon\s+required\s+expiring\s+doc-soon expires at /);
    expect(result.stdout).toContain('Ready, but doc-soon expires within 1 day: replace it before then.');
  });

  it('--within widens or narrows the window: 48 hours away is 0 by default, 2 with --within 72h', async () => {
    const token = await agentWith(['doc-*'], [{ name: 'doc-twoday' }]);
    expect((await latchkey(token, ['doctor'])).code).toBe(0);
    expect((await latchkey(token, ['doctor', '--within', '72h'])).code).toBe(2);
    const bad = await latchkey(token, ['doctor', '--within=soon']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('--within "soon" is not a duration');
  });

  it('an optional credential that is failing or expiring never changes the exit code', async () => {
    const token = await agentWith(['doc-*'], [{ name: 'doc-ok-a' }, { name: 'doc-soon', optional: true }, { name: 'doc-attention', optional: true }]);
    expect((await latchkey(token, ['doctor'])).code).toBe(0);
  });

  it('--json prints the API report unchanged, with the same exit code', async () => {
    const token = await agentWith(['doc-*'], [{ name: 'doc-ok-a' }, { name: 'doc-absent-json', description: 'for the nightly report' }]);
    const result = await latchkey(token, ['doctor', '--json']);
    expect(result.code).toBe(1);
    const printed = JSON.parse(result.stdout) as { checkedAt: string };
    const fromApi = (await doctorFromApi(token)) as { checkedAt: string };
    expect(Object.keys(printed)).toEqual(['ok', 'checkedAt', 'requirements']);
    expect({ ...printed, checkedAt: null }).toEqual({ ...fromApi, checkedAt: null });
    expect(printed).toMatchObject({ ok: false, requirements: [{ name: 'doc-ok-a', state: 'ok' }, { name: 'doc-absent-json', state: 'missing', description: 'for the nightly report' }] });
  });

  it('with no requirements declared, says so, tells how to declare them and exits 0', async () => {
    const { token } = await createTestAgent(org, ['doc-*']);
    const result = await latchkey(token, ['doctor']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('This agent has declared no requirements');
    expect(result.stdout).toContain('latchkey requirements set github_token git_ssh:botty stripe_key?');
  });

  it('an unknown token is refused (exit 4)', async () => {
    expect((await latchkey('lk_unknown', ['doctor'])).code).toBe(4);
  });
});

describe('doctor’s exit code', () => {
  const now = new Date('2026-12-03T12:00:00Z');
  const entry = (over: Partial<DoctorEntry>): DoctorEntry => ({ name: 'x', required: true, service: null, type: null, description: '', state: 'ok', reason: null, fixUrl: null, expiresAt: null, ...over });
  const code = (...entries: DoctorEntry[]) => doctorExitCode({ ok: true, checkedAt: now.toISOString(), requirements: entries }, now);
  const inOneHour = new Date(now.getTime() + HOUR).toISOString();

  it('counts only required entries; missing or unusable beats expiring', () => {
    expect(code()).toBe(0);
    expect(code(entry({ state: 'missing', required: false }), entry({ state: 'expiring', required: false, expiresAt: inOneHour }))).toBe(0);
    expect(code(entry({ state: 'expiring', expiresAt: inOneHour }), entry({ state: 'disconnected' }))).toBe(1);
    for (const state of ['missing', 'not_allowed', 'expired', 'needs_attention', 'disconnected'] as const) expect(code(entry({ state })), state).toBe(1);
  });

  it('an OAuth access token that expires soon is not "expiring": Latchkey refreshes it', () => {
    expect(code(entry({ state: 'ok', type: 'oauth', expiresAt: inOneHour }))).toBe(0);
    expect(code(entry({ state: 'ok', type: null, expiresAt: inOneHour }))).toBe(0);
    expect(code(entry({ state: 'ok', type: 'api_key', expiresAt: inOneHour }))).toBe(2);
    expect(code(entry({ state: 'expiring', expiresAt: new Date(now.getTime() + 48 * HOUR).toISOString() }))).toBe(0);
  });
});

describe.concurrent('latchkey requirements', { timeout: 120_000 }, () => {
  it('set with positional names declares them, a trailing ? marking one optional; ls and doctor show them', async () => {
    const { token } = await createTestAgent(org, ['doc-*']);
    const set = await latchkey(token, ['requirements', 'set', 'doc-ok-a', 'git_ssh:botty', 'doc-extra?']);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Declared 3 requirements: doc-ok-a, git_ssh:botty, doc-extra (optional).');
    const ls = await latchkey(token, ['requirements', 'ls']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^NAME\s+NEED\s+SERVICE\s+TYPE\s+DESCRIPTION$/m);
    expect(ls.stdout).toMatch(/git_ssh:botty\s+required/);
    expect(ls.stdout).toMatch(/doc-extra\s+optional/);
    const doctor = await latchkey(token, ['doctor']);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗\s+git_ssh:botty\s+required\s+missing/);
  });

  it('set --file takes an array or { requirements }, and ls --json prints what set --file reads back', async () => {
    const { token } = await createTestAgent(org, ['doc-*']);
    const dir = tempHome();
    const arrayFile = path.join(dir, 'array.json');
    fs.writeFileSync(arrayFile, JSON.stringify([{ name: 'doc-ok-a', service: 'openai', type: 'api_key', description: 'chat' }, { name: 'doc-ok-b', optional: true }]));
    const fromArray = await latchkey(token, ['requirements', 'set', '--file', arrayFile]);
    expect(fromArray.code).toBe(0);
    const listed = await latchkey(token, ['requirements', 'ls', '--json']);
    const requirements = JSON.parse(listed.stdout) as { requirements: unknown[] };
    expect(requirements).toEqual({
      requirements: [
        { name: 'doc-ok-a', service: 'openai', type: 'api_key', optional: false, description: 'chat' },
        { name: 'doc-ok-b', optional: true, description: '' },
      ],
    });
    const objectFile = path.join(dir, 'object.json');
    fs.writeFileSync(objectFile, JSON.stringify({ requirements: [...requirements.requirements, { name: 'doc-soon' }] }));
    expect((await latchkey(token, ['requirements', 'set', '--file', objectFile])).code).toBe(0);
    expect((await latchkey(token, ['doctor'])).code).toBe(2);
  });

  it('bad input prints each field error from the server, with the entry’s name, and exits 3; nothing is stored', async () => {
    const { token } = await createTestAgent(org, ['doc-*']);
    const dir = tempHome();
    const badName = path.join(dir, 'bad-name.json');
    fs.writeFileSync(badName, JSON.stringify([{ name: 'doc-ok-a' }, { name: 'has space' }]));
    const name = await latchkey(token, ['requirements', 'set', '--file', badName]);
    expect(name.code).toBe(3);
    expect(name.stderr).toMatch(/^requirements\.1\.name \(has space\): .+$/m);
    expect(name.stderr).toContain('Latchkey answered 400 validation_failed');
    const badType = path.join(dir, 'bad-type.json');
    fs.writeFileSync(badType, JSON.stringify({ requirements: [{ name: 'doc-ok-a', type: 'carrier_pigeon' }] }));
    const type = await latchkey(token, ['requirements', 'set', '--file', badType]);
    expect(type.code).toBe(3);
    expect(type.stderr).toMatch(/^requirements\.0\.type \(doc-ok-a\): .*api_key/m);
    const positional = await latchkey(token, ['requirements', 'set', 'doc-ok-a', 'doc-ok-a?']);
    expect(positional.code).toBe(3);
    expect(positional.stderr).toMatch(/^requirements\.1\.name \(doc-ok-a\): doc-ok-a is listed twice$/m);
    const ls = await latchkey(token, ['requirements', 'ls', '--json']);
    expect(JSON.parse(ls.stdout)).toEqual({ requirements: [] });
  });

  it('a file that is not JSON, or not a list, and no names at all are usage errors (exit 3)', async () => {
    const { token } = await createTestAgent(org, ['doc-*']);
    const dir = tempHome();
    fs.writeFileSync(path.join(dir, 'broken.json'), '[{ name: ');
    fs.writeFileSync(path.join(dir, 'object.json'), '{ "name": "doc-ok-a" }');
    const broken = await latchkey(token, ['requirements', 'set', '--file', path.join(dir, 'broken.json')]);
    expect(broken.code).toBe(3);
    expect(broken.stderr).toContain('broken.json is not JSON');
    const object = await latchkey(token, ['requirements', 'set', '--file', path.join(dir, 'object.json')]);
    expect(object.code).toBe(3);
    expect(object.stderr).toContain('holds neither a JSON array of requirements nor an object with a "requirements" array');
    const none = await latchkey(token, ['requirements', 'set']);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('Usage: latchkey requirements set');
    const both = await latchkey(token, ['requirements', 'set', 'doc-ok-a', '--file', path.join(dir, 'object.json')]);
    expect(both.code).toBe(3);
    expect(both.stderr).toContain('Give NAMEs or --file PATH, not both.');
  });
});
