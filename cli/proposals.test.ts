// `latchkey propose` and `latchkey proposals` against a real API server: an agent asks, a person approves or rejects from the terminal, --wait sees the decision.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearCredentialCache } from '~/api/credentials.server';
import { createTestAgent, createTestCredential, createTestOrg, startApiServer, type Listening, type TestOrg } from '~/api/test-support';
import { systemAuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import type { ProposalView } from '~/proposals/proposals';
import { closeQueues } from '~/queue/queue.server';
import { createManagementToken } from '~/tokens/management-tokens.server';
import { readCredentialSecret } from '~/vault/vault.server';
import { allCommandLines, BIN, finished, latchkey as run, spawnLatchkey, tempHome } from './test-support';

let api: Listening;
let org: TestOrg;
let admin: string;

const latchkey = (token: string, args: string[], input?: string) => run(args, { env: { LATCHKEY_URL: api.url, LATCHKEY_TOKEN: token }, input });

async function agentToken(allow: string[] = []): Promise<{ token: string; agentId: string }> {
  const { agent, token } = await createTestAgent(org, allow);
  return { token, agentId: agent.id };
}

/** Starts `latchkey propose … --wait`, and resolves with the proposal's id once the approval link is printed. */
function proposeAndWait(token: string, args: string[]) {
  const child = spawnLatchkey(['propose', ...args], { env: { LATCHKEY_URL: api.url, LATCHKEY_TOKEN: token } });
  child.stdin.end();
  const done = finished(child);
  const id = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const match = /Ask a person to approve: \S+\/proposals\/([0-9a-f-]{36})/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('close', () => reject(new Error(`propose ended before printing the approval link:\n${out}`)));
  });
  return { id, done };
}

async function credentialValue(name: string, field = 'key'): Promise<string> {
  const row = await prisma.credential.findUniqueOrThrow({ where: { organizationId_name: { organizationId: org.id, name } }, select: { id: true } });
  return (await readCredentialSecret(org.id, row.id, field)).toString('utf8');
}

async function allowlistOf(agentId: string): Promise<string[]> {
  return (await prisma.agent.findUniqueOrThrow({ where: { id: agentId }, select: { allowedCredentials: true } })).allowedCredentials;
}

/** Runs latchkey in a pseudo-terminal (python3's pty), answering each prompt; answers travel in the environment. */
function inTerminal(args: string[], steps: [string, string][], token: string): Promise<{ output: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      [path.join(__dirname, 'pty-drive.py'), process.execPath, BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: tempHome(), LATCHKEY_URL: api.url, LATCHKEY_TOKEN: token, LK_PTY_STEPS: JSON.stringify(steps) } as unknown as NodeJS.ProcessEnv, timeout: 90_000, encoding: 'utf8' },
      (error: Error | null, stdout: string) => (error ? reject(error) : resolve(JSON.parse(stdout) as { output: string; code: number })),
    );
  });
}

beforeAll(async () => {
  api = await startApiServer();
  org = await createTestOrg();
  ({ token: admin } = await createManagementToken({ organizationId: org.id, userId: org.actor.userId, role: 'owner', context: systemAuditContext('test') }, { name: 'proposals admin', role: 'admin', reveal: false }));
  await createTestCredential(org, { name: 'prop-existing', service: 'openai', type: 'api_key', fields: { key: 'sk-latchkey-proposal-existing-key-0001' } });
  clearCredentialCache();
}, 120_000);

afterAll(async () => {
  await closeQueues();
  await api.close();
});

// Each run starts a node process with tsx: several at once on a small machine take a while.
describe.concurrent('latchkey propose and proposals', { timeout: 180_000 }, () => {
  it('propose prints the approval link; proposals ls and show describe what approval does with each credential', async () => {
    const { token } = await agentToken();
    const proposed = await latchkey(token, ['propose', '--message', 'Nightly billing report', '--need', 'prop-new-a:openai:api_key', '--need', 'prop-existing']);
    expect(proposed.stderr).toBe('');
    expect(proposed.code).toBe(0);
    expect(proposed.stdout).toMatch(/^Ask a person to approve: https?:\/\/\S+\/proposals\/[0-9a-f-]{36}$/m);
    expect(proposed.stdout).toContain('need prop-new-a — a person fills it in');
    expect(proposed.stdout).toContain('need prop-existing — exists: approval grants it');
    const id = /\/proposals\/([0-9a-f-]{36})/.exec(proposed.stdout)![1]!;

    const ls = await latchkey(admin, ['proposals', 'ls', '--status', 'pending']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^ID\s+STATUS\s+AGENT\s+CREATED\s+CREDENTIALS\s+MESSAGE$/m);
    expect(ls.stdout).toMatch(new RegExp(`^${id}\\s+pending\\s+\\S+\\s+.*prop-new-a, prop-existing\\s+Nightly billing report$`, 'm'));
    const json = await latchkey(admin, ['proposals', 'ls', '--json']);
    expect((JSON.parse(json.stdout) as ProposalView[]).find((p) => p.id === id)).toMatchObject({ status: 'pending', message: 'Nightly billing report' });

    const show = await latchkey(token, ['proposals', 'show', id]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`Proposal ${id}: pending`);
    expect(show.stdout).toMatch(/set\s+prop-new-a\s+openai\s+api_key\s+a person fills it in/);
    expect(show.stdout).toMatch(/set\s+prop-existing\s+.*exists: approval grants it/);
    expect(show.stdout).toMatch(/^Approve or reject at: \S+\/proposals\/[0-9a-f-]{36}$/m);
  });

  it('propose --wait exits 0 once a person approves with a value piped in; the credential is created and granted', async () => {
    const { token, agentId } = await agentToken();
    const waiting = proposeAndWait(token, ['--message', 'Deploys', '--need', 'prop-approved:openai', '--need', 'prop-existing', '--wait', '120']);
    const id = await waiting.id;
    const approved = await latchkey(admin, ['proposals', 'approve', id, '--value', 'prop-approved.key=-'], 'sk-latchkey-approved-from-stdin-0001\n');
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`Approved proposal ${id}`);
    expect(approved.stdout).toContain('created prop-approved; granted prop-existing.');
    const result = await waiting.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Approved by .+: created prop-approved; granted prop-existing\.$/m);
    expect(await credentialValue('prop-approved')).toBe('sk-latchkey-approved-from-stdin-0001');
    expect(await allowlistOf(agentId)).toEqual(expect.arrayContaining(['prop-approved', 'prop-existing']));
  });

  it('propose --wait exits 1 and prints the reason when a person rejects', async () => {
    const { token } = await agentToken();
    const waiting = proposeAndWait(token, ['--message', 'Chat', '--need', 'prop-rejected:openai', '--wait']);
    const id = await waiting.id;
    const rejected = await latchkey(admin, ['proposals', 'reject', id, '--reason', 'Use the shared prop-existing key instead']);
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toContain(`Rejected proposal ${id}`);
    const result = await waiting.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Rejected by .+: Use the shared prop-existing key instead$/m);
    const show = await latchkey(admin, ['proposals', 'show', id, '--wait', '5']);
    expect(show.code).toBe(1);
    expect(show.stdout).toContain('Reason:   Use the shared prop-existing key instead');
  });

  it('propose --wait SECONDS exits 3 when nobody decides in time, saying how to wait again', async () => {
    const { token } = await agentToken();
    const started = Date.now();
    const result = await latchkey(token, ['propose', '--message', 'Later', '--need', 'prop-timeout:openai', '--wait', '2']);
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^Still pending after 2 s\. Ask a person to approve: \S+$/m);
    expect(result.stdout).toMatch(/^Wait again with: latchkey proposals show [0-9a-f-]{36} --wait$/m);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('--value-stdin supplies a value the agent generated, never through argv; approval stores it', async () => {
    const { token } = await agentToken();
    const secret = `sk-latchkey-generated-${Date.now()}-${'Z'.repeat(12)}`;
    const proposed = await latchkey(token, ['propose', '--message', 'Webhook signing', '--need', 'prop-supplied:openai:api_key', '--value-stdin', 'prop-supplied', '--json'], `${secret}\n`);
    expect(proposed.code).toBe(0);
    expect(proposed.stderr).toMatch(/^Ask a person to approve: \S+$/m);
    const view = JSON.parse(proposed.stdout) as ProposalView;
    expect(view.credentials).toMatchObject([{ name: 'prop-supplied', kind: 'create_supplied', hasValue: true }]);
    expect(proposed.stdout).not.toContain(secret);
    expect(allCommandLines()).not.toContain(secret);
    const approved = await latchkey(admin, ['proposals', 'approve', view.id]);
    expect(approved.code).toBe(0);
    expect(await credentialValue('prop-supplied')).toBe(secret);
  });

  it('propose --file sends the JSON body as it is, deletes included', async () => {
    const { token } = await agentToken(['prop-existing']);
    const file = path.join(tempHome(), 'proposal.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        message: 'Rotate the old key',
        credentials: [
          { action: 'set', name: 'prop-file-new', service: 'openai', type: 'api_key', description: 'from a file', obtain: 'https://platform.openai.com/api-keys' },
          { action: 'delete', name: 'prop-existing' },
        ],
      }),
    );
    const proposed = await latchkey(token, ['propose', '--file', file, '--json']);
    expect(proposed.code).toBe(0);
    const view = JSON.parse(proposed.stdout) as ProposalView;
    expect(view.credentials).toMatchObject([
      { name: 'prop-file-new', kind: 'create', description: 'from a file', obtain: 'https://platform.openai.com/api-keys' },
      { name: 'prop-existing', kind: 'delete' },
    ]);
    const show = await latchkey(admin, ['proposals', 'show', view.id]);
    expect(show.stdout).toMatch(/delete\s+prop-existing\s+.*deleted on approval/);
    expect(show.stdout).toContain('get it at https://platform.openai.com/api-keys');
    // Leave prop-existing alone for the other tests.
    expect((await latchkey(admin, ['proposals', 'reject', view.id, '--reason', 'Not now'])).code).toBe(0);
  });

  it('approve asks for each field in a terminal, secret ones without echo', async () => {
    const { token } = await agentToken();
    const proposed = await latchkey(token, ['propose', '--message', 'Typed in', '--need', 'prop-typed:openai', '--json']);
    const { id } = JSON.parse(proposed.stdout) as ProposalView;
    const typed = 'sk-latchkey-typed-in-a-terminal-0001';
    const result = await inTerminal(['proposals', 'approve', id], [['API key (input hidden): ', typed]], admin);
    expect(result.code).toBe(0);
    expect(result.output).toContain('prop-typed — OpenAI (api_key)');
    expect(result.output).not.toContain(typed);
    expect(result.output).toContain(`Approved proposal ${id}`);
    expect(await credentialValue('prop-typed')).toBe(typed);
  });

  it('approve refuses bad or missing values before sending, a secret on the command line, and a decided proposal (exit 3)', async () => {
    const { token } = await agentToken();
    const proposed = await latchkey(token, ['propose', '--message', 'Bad values', '--need', 'prop-bad:openai', '--json']);
    const { id } = JSON.parse(proposed.stdout) as ProposalView;
    const malformed = await latchkey(admin, ['proposals', 'approve', id, '--value', 'prop-bad.key=-'], 'not-a-key\n');
    expect(malformed.code).toBe(3);
    expect(malformed.stderr).toContain('prop-bad.key: OpenAI API keys start with sk-');
    expect(malformed.stderr).toContain('Not approved: fix these first.');
    const noTerminal = await latchkey(admin, ['proposals', 'approve', id]);
    expect(noTerminal.code).toBe(3);
    expect(noTerminal.stderr).toContain('No terminal to ask in for prop-bad.key');
    const inArgv = await latchkey(admin, ['proposals', 'approve', id, '--value', 'prop-bad.key=sk-latchkey-never-in-argv-0001']);
    expect(inArgv.code).toBe(3);
    expect(inArgv.stderr).toContain('prop-bad.key is secret: never on the command line');
    expect((await latchkey(admin, ['proposals', 'reject', id, '--reason', 'Done testing'])).code).toBe(0);
    const decided = await latchkey(admin, ['proposals', 'approve', id, '--value', 'prop-bad.key=-'], 'sk-latchkey-too-late-0000000001\n');
    expect(decided.code).toBe(3);
    expect(decided.stderr).toContain(`Proposal ${id} is rejected: only a pending one can be approved.`);
  });

  it('approving an OAuth connection nobody connected yet prints the API’s error for that credential and exits 3', async () => {
    const { token } = await agentToken();
    const proposed = await latchkey(token, ['propose', '--message', 'Issues', '--need', 'prop-oauth:github:oauth', '--json']);
    const view = JSON.parse(proposed.stdout) as ProposalView;
    expect(view.credentials).toMatchObject([{ name: 'prop-oauth', kind: 'connect', connected: null }]);
    const result = await latchkey(admin, ['proposals', 'approve', view.id]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`prop-oauth is an OAuth connection: a person connects it on the approval page, ${view.approvalUrl}`);
    expect(result.stderr).toMatch(/^values\.prop-oauth: Connect this account, or paste its tokens$/m);
    expect(result.stderr).toMatch(/^Latchkey answered 4\d\d \w+: Nothing was applied: prop-oauth needs attention$/m);
  });

  it('field errors from the API are printed per field with exit 3, and a missing --message or --reason is a usage error', async () => {
    const { token } = await agentToken();
    const bad = await latchkey(token, ['propose', '--message', 'x', '--need', 'has space']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^credentials\.0\.name: .+$/m);
    const noMessage = await latchkey(token, ['propose', '--need', 'prop-x']);
    expect(noMessage.code).toBe(3);
    expect(noMessage.stderr).toContain('Say what the credentials are for: --message TEXT.');
    const noReason = await latchkey(admin, ['proposals', 'reject', '00000000-0000-4000-8000-000000000000']);
    expect(noReason.code).toBe(3);
    expect(noReason.stderr).toContain('Say why with --reason TEXT');
  });

  it('an agent token may not list proposals (exit 4)', async () => {
    const { token } = await agentToken();
    expect((await latchkey(token, ['proposals', 'ls'])).code).toBe(4);
  });
});
