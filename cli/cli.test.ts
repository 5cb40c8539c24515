// The `latchkey` command against a real API server: login in a terminal, creds, agents, run, exit codes, secrecy.
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearCredentialCache } from '~/api/credentials.server';
import { createTestOrg, startApiServer, type Listening, type TestOrg } from '~/api/test-support';
import { systemAuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import { runHealthSweep } from '~/jobs/health-sweep.server';
import { closeQueues } from '~/queue/queue.server';
import { createManagementToken } from '~/tokens/management-tokens.server';
import { configPath } from './config';
import { allCommandLines, BIN, finished, latchkey, SHIM, spawnLatchkey, tempHome, type CliResult } from './test-support';

const HOUR = 3_600_000;
const CANARY = `sk-canary${'Q7x'.repeat(10)}${Date.now()}`;
const GCP_KEY = JSON.stringify({
  type: 'service_account',
  project_id: 'latchkey-test',
  client_email: 'deploy@latchkey-test.iam.gserviceaccount.com',
  private_key: crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
});

let api: Listening;
let org: TestOrg;
let owner: string;
let viewer: string;
const outputs: CliResult[] = [];

/** Every CLI run is kept, so the last test can prove the canary never appeared outside `creds reveal`. */
async function lk(args: string[], options: { token?: string; input?: string; home?: string; env?: Record<string, string> } = {}) {
  const result = await latchkey(args, { input: options.input, home: options.home, env: { LATCHKEY_URL: api.url, ...(options.token ? { LATCHKEY_TOKEN: options.token } : {}), ...options.env } });
  if (args[0] !== 'run' && !(args[0] === 'creds' && args[1] === 'reveal')) outputs.push(result);
  return result;
}

async function managementToken(name: string, role: 'owner' | 'admin' | 'member' | 'viewer', reveal = false) {
  const { token } = await createManagementToken(
    { organizationId: org.id, userId: org.actor.userId, role: 'owner', context: systemAuditContext('test') },
    { name, role, reveal },
  );
  return token;
}

/** Runs latchkey in a pseudo-terminal (python3's pty), answering each prompt; answers travel in the environment. */
function inTerminal(args: string[], steps: [string, string][], env: Record<string, string>): Promise<{ output: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      [path.join(__dirname, 'pty-drive.py'), process.execPath, BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', LATCHKEY_URL: api.url, ...env, LK_PTY_STEPS: JSON.stringify(steps) } as unknown as NodeJS.ProcessEnv, timeout: 90_000, encoding: 'utf8' },
      (error: Error | null, stdout: string) => (error ? reject(error) : resolve(JSON.parse(stdout) as { output: string; code: number })),
    );
  });
}

beforeAll(async () => {
  api = await startApiServer();
  org = await createTestOrg();
  owner = await managementToken('cli owner', 'admin', true);
  viewer = await managementToken('cli viewer', 'viewer');
  const added = await lk(['creds', 'add', 'run-openai', '--service', 'openai', '--value-stdin', '--description', 'canary key'], { token: owner, input: `${CANARY}\n` });
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
  const keyFile = path.join(tempHome(), 'gcp.json');
  fs.writeFileSync(keyFile, GCP_KEY);
  const gcp = await lk(['creds', 'add', 'run-gcp', '--service', 'gcp', '--type', 'file', '--from-file', keyFile], { token: owner });
  expect(gcp.stderr).toBe('');
  expect(gcp.code).toBe(0);
}, 120_000);

afterAll(async () => {
  await closeQueues();
  await api.close();
});

describe('latchkey login', () => {
  it('in a terminal, asks for the URL and the token without echoing the token, and stores them 0600 in a 0700 folder', async () => {
    const home = tempHome();
    const result = await inTerminal(['login'], [['Latchkey URL', api.url], ['Token (input hidden): ', owner]], { HOME: home });
    expect(result.output).toContain('Token (input hidden): ');
    expect(result.output).toContain('Management token "cli owner" (admin, may reveal values)');
    expect(result.output).not.toContain(owner);
    expect(result.output).not.toContain(owner.slice(4, 20));
    expect(result.code).toBe(0);
    const file = configPath({ HOME: home });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ url: api.url, token: owner });

    const whoami = await latchkey(['whoami'], { home });
    expect(whoami.code).toBe(0);
    expect(whoami.stdout).toContain('Management token "cli owner"');
    outputs.push(whoami);
    const logout = await latchkey(['logout'], { home });
    expect(logout.code).toBe(0);
    expect(fs.existsSync(file)).toBe(false);
    expect((await latchkey(['whoami'], { home })).code).toBe(3);
  }, 120_000);

  it('--token-stdin logs in without a terminal; XDG_CONFIG_HOME is respected; a refused token stores nothing and exits 4', async () => {
    const home = tempHome();
    const xdg = path.join(home, 'xdg');
    const ok = await latchkey(['login', '--url', api.url, '--token-stdin'], { home, input: `${viewer}\n`, env: { XDG_CONFIG_HOME: xdg } });
    expect(ok.code).toBe(0);
    expect(fs.statSync(path.join(xdg, 'latchkey', 'config.json')).mode & 0o777).toBe(0o600);
    const bad = await latchkey(['login', '--url', api.url, '--token-stdin'], { home: tempHome(), input: 'lkm_not-a-token\n' });
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('401');
    expect((await latchkey(['login', '--url', api.url], { home })).code).toBe(3);
  }, 60_000);
});

describe.concurrent('latchkey creds', () => {
  it('add from stdin, then ls --json lists exactly the API objects', async () => {
    const added = await lk(['creds', 'add', 'gh-ci', '--service', 'github', '--value-stdin'], { token: owner, input: `ghp_${'a'.repeat(36)}` });
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain('Stored gh-ci (github, api_key).');
    const listed = await lk(['creds', 'ls', '--json'], { token: owner });
    expect(listed.code).toBe(0);
    const credentials = JSON.parse(listed.stdout) as { name: string; service: string; version: number }[];
    expect(credentials.map((c) => c.name)).toEqual(expect.arrayContaining(['gh-ci', 'run-openai', 'run-gcp']));
    expect(credentials.find((c) => c.name === 'gh-ci')).toMatchObject({ service: 'github', type: 'api_key', status: 'active', version: 1, mode: null });
    const table = await lk(['creds', 'ls', '--type', 'file'], { token: owner });
    expect(table.stdout).toMatch(/^NAME\s+TYPE/);
    expect(table.stdout).toContain('run-gcp');
    expect(table.stdout).not.toContain('gh-ci');
  }, 60_000);

  it('a value in the wrong format is refused before anything is sent, with the catalog’s message', async () => {
    const result = await lk(['creds', 'add', 'bad-format', '--service', 'openai', '--value-stdin'], { token: owner, input: 'not-an-openai-key' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('key: OpenAI API keys start with sk-');
    expect(result.stderr).toContain('Not sent');
    expect(await prisma.credential.count({ where: { organizationId: org.id, name: 'bad-format' } })).toBe(0);
  });

  it('the server’s field errors are printed as field: message lines', async () => {
    const result = await lk(['creds', 'add', 'has space!', '--service', 'openai', '--value-stdin'], { token: owner, input: `sk-${'b'.repeat(30)}` });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^name: .+$/m);
    expect(result.stderr).toContain('validation_failed');
  });

  it('a secret field is never accepted on the command line', async () => {
    const result = await lk(['creds', 'add', 'argv-key', '--service', 'openai', '--field', 'key=sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx'], { token: owner });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('key is secret');
  });

  it('show, edit, replace (version read first), reveal and rm --yes', async () => {
    await lk(['creds', 'add', 'life', '--service', 'openai', '--value-stdin'], { token: owner, input: `sk-${'c'.repeat(30)}` });
    const edited = await lk(['creds', 'edit', 'life', '--description', 'rotated monthly', '--expires', '2099-01-01'], { token: owner });
    expect(edited.stdout).toContain('Updated life.');
    const replaced = await lk(['creds', 'replace', 'life', '--value-stdin'], { token: owner, input: `sk-${'d'.repeat(30)}` });
    expect(replaced.stdout).toContain('(version 2)');
    const shown = await lk(['creds', 'show', 'life', '--json'], { token: owner });
    expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'life', description: 'rotated monthly', version: 2, expiresAt: '2099-01-01T00:00:00.000Z' });
    const revealed = await lk(['creds', 'reveal', 'life'], { token: owner });
    expect(revealed.stdout).toBe(`sk-${'d'.repeat(30)}\n`);
    const refused = await lk(['creds', 'rm', 'life'], { token: owner });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('--yes');
    expect((await lk(['creds', 'rm', 'life', '--yes'], { token: owner })).stdout).toContain('Deleted life.');
    expect((await lk(['creds', 'show', 'life'], { token: owner })).code).toBe(3);
  }, 90_000);

  it('in a terminal, types offers a numbered picker, then adds a credential asking for the key without echo', async () => {
    const typed = `sk-picked${'Z'.repeat(24)}`;
    const services = JSON.parse((await lk(['types', '--json'], { token: owner })).stdout) as { id: string }[];
    const number = String(services.findIndex((s) => s.id === 'openai') + 1);
    const result = await inTerminal(
      ['types'],
      [
        ['Pick a service number: ', number],
        ['Add a credential for OpenAI now? [y/N] ', 'y'],
        ['Credential name: ', 'picked-openai'],
        ['API key (input hidden): ', typed],
      ],
      { HOME: tempHome(), LATCHKEY_TOKEN: owner },
    );
    expect(result.code).toBe(0);
    expect(result.output).toContain('Stored picked-openai (openai, api_key).');
    expect(result.output).not.toContain(typed);
    expect((await lk(['creds', 'reveal', 'picked-openai'], { token: owner })).stdout.trim()).toBe(typed);
  }, 90_000);

  it('types lists the catalog and shows one service’s fields and variables', async () => {
    const all = await lk(['types'], { token: owner });
    expect(all.stdout).toMatch(/^ID\s+NAME\s+TYPES/);
    expect(all.stdout).toMatch(/^openai\s+OpenAI\s+api_key/m);
    const one = await lk(['types', 'github'], { token: owner });
    expect(one.stdout).toContain('$GITHUB_TOKEN, $GH_TOKEN');
    const json = await lk(['types', 'openai', '--json'], { token: owner });
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 'openai', env: { value: ['OPENAI_API_KEY'], baseUrl: { name: 'OPENAI_BASE_URL' } } });
  });
});

describe.concurrent('exit codes', () => {
  it('0 ok, 1 not usable, 2 expiring soon (creds test)', async () => {
    await lk(['creds', 'add', 'exp-old', '--service', 'openai', '--value-stdin'], { token: owner, input: `sk-${'e'.repeat(30)}` });
    await lk(['creds', 'add', 'exp-soon', '--service', 'openai', '--value-stdin'], { token: owner, input: `sk-${'f'.repeat(30)}` });
    await prisma.credential.updateMany({ where: { organizationId: org.id, name: 'exp-old' }, data: { expiresAt: new Date(Date.now() - HOUR), status: 'expired' } });
    await prisma.credential.updateMany({ where: { organizationId: org.id, name: 'exp-soon' }, data: { expiresAt: new Date(Date.now() + 3 * HOUR) } });
    await runHealthSweep();
    clearCredentialCache();
    expect((await lk(['creds', 'test', 'run-openai'], { token: owner })).code).toBe(0);
    const old = await lk(['creds', 'test', 'exp-old'], { token: owner });
    expect(old.code).toBe(1);
    expect(old.stdout).toContain('not usable');
    expect((await lk(['creds', 'test', 'exp-soon'], { token: owner })).code).toBe(2);
  }, 90_000);

  it('the shipped bin (the tsx shim over the source) is the same CLI as the bundle the tests run', async () => {
    const viaShim = await finished(spawn(process.execPath, [SHIM, 'creds', 'frob'], { env: { PATH: process.env.PATH ?? '', HOME: tempHome() } as unknown as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] }));
    const viaBundle = await lk(['creds', 'frob'], { token: owner });
    expect(viaShim.code).toBe(3);
    expect(viaShim.stderr).toBe(viaBundle.stderr);
  }, 60_000);

  it('3 for bad usage and for no server', async () => {
    expect((await lk(['creds', 'add', 'x'], { token: owner })).code).toBe(3);
    expect((await lk(['creds', 'frob'], { token: owner })).code).toBe(3);
    const down = await lk(['creds', 'ls'], { token: owner, env: { LATCHKEY_URL: 'http://127.0.0.1:9' } });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('Could not reach Latchkey at http://127.0.0.1:9');
  });

  it('4 for a viewer token adding a credential, and for a revoked agent token', async () => {
    const denied = await lk(['creds', 'add', 'viewer-try', '--service', 'openai', '--value-stdin'], { token: viewer, input: `sk-${'g'.repeat(30)}` });
    expect(denied.code).toBe(4);
    expect(denied.stderr).toContain('403');
    const created = await lk(['agents', 'create', 'exit-agent', '--allow', 'run-*'], { token: owner });
    const oldToken = created.stdout.trim();
    expect(oldToken).toMatch(/^lk_/);
    const rotated = await lk(['agents', 'rotate', 'exit-agent'], { token: owner });
    expect(rotated.stdout.trim()).toMatch(/^lk_/);
    const revoked = await lk(['status'], { token: oldToken });
    expect(revoked.code).toBe(4);
    expect((await lk(['status'], { token: rotated.stdout.trim() })).code).toBe(0);
    const listed = JSON.parse((await lk(['agents', 'ls', '--json'], { token: owner })).stdout) as { name: string; tokens: { prefix: string }[] }[];
    const agent = listed.find((a) => a.name === 'exit-agent')!;
    expect((await lk(['agents', 'revoke', 'exit-agent', agent.tokens[0]!.prefix], { token: owner })).code).toBe(0);
    expect((await lk(['status'], { token: rotated.stdout.trim() })).code).toBe(4);
  }, 90_000);
});

describe('latchkey run', () => {
  let agentToken: string;
  const printEnv = `const fs=require('fs');const p=process.env.GOOGLE_APPLICATION_CREDENTIALS;console.log(JSON.stringify({key:process.env.OPENAI_API_KEY,base:process.env.OPENAI_BASE_URL||null,mine:process.env.MY_KEY||null,path:p||null,mode:p?(fs.statSync(p).mode&511):null,dirMode:p?(fs.statSync(require('path').dirname(p)).mode&511):null,content:p?fs.readFileSync(p,'utf8'):null}))`;

  beforeAll(async () => {
    const created = await lk(['agents', 'create', 'runner', '--allow', 'run-*:deliver', '--allow', 'gh-*'], { token: owner });
    expect(created.code).toBe(0);
    agentToken = created.stdout.trim();
  }, 60_000);

  it('delivers each deliver-mode credential into the service’s variables, writes files privately, and removes them afterwards', async () => {
    const result = await latchkey(['run', '--env', 'MY_KEY=run-openai.key', '--', process.execPath, '-e', `${printEnv};process.exit(7)`], { env: { LATCHKEY_URL: api.url, LATCHKEY_TOKEN: agentToken } });
    expect(result.code).toBe(7);
    const seen = JSON.parse(result.stdout) as { key: string; mine: string; path: string; mode: number; dirMode: number; content: string };
    expect(seen.key).toBe(CANARY);
    expect(seen.mine).toBe(CANARY);
    expect(seen.content).toBe(GCP_KEY);
    expect(seen.mode).toBe(0o600);
    expect(seen.dirMode).toBe(0o700);
    expect(fs.existsSync(seen.path)).toBe(false);
    expect(result.stderr).toContain('OPENAI_API_KEY (run-openai)');
    expect(result.stderr).not.toContain(CANARY);
  }, 60_000);

  it('--proxy delivers nothing and points the SDK at the proxy with the agent token as its key', async () => {
    const result = await latchkey(['run', '--proxy', '--only', 'run-openai', '--', process.execPath, '-e', printEnv], { env: { LATCHKEY_URL: api.url, LATCHKEY_TOKEN: agentToken } });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ key: agentToken, base: `${api.url}/api/v1/proxy/run-openai`, path: null });
    expect(result.stdout + result.stderr).not.toContain(CANARY);
  }, 60_000);

  it('SIGTERM to the CLI reaches the child, the CLI exits 143, and the temporary folder is gone; the secret was never in any argv', async () => {
    const child = spawnLatchkey(['run', '--', process.execPath, '-e', 'console.log(process.env.GOOGLE_APPLICATION_CREDENTIALS);setInterval(()=>{},1000)'], { env: { LATCHKEY_URL: api.url, LATCHKEY_TOKEN: agentToken } });
    child.stdin.end();
    const done = finished(child);
    let printed = '';
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => ((printed += d.toString()), printed.includes('\n') && resolve())));
    const filePath = printed.trim();
    expect(fs.existsSync(filePath)).toBe(true);
    const commandLines = allCommandLines();
    expect(commandLines).toContain('setInterval');
    expect(commandLines).not.toContain(CANARY);
    expect(commandLines).not.toContain(owner);
    child.kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(143);
    expect(fs.existsSync(path.dirname(filePath))).toBe(false);
  }, 60_000);

  it('an agent that may only use a credential through the proxy is refused delivery with exit 4', async () => {
    const result = await latchkey(['run', '--only', 'gh-ci', '--', process.execPath, '-e', '0'], { env: { LATCHKEY_URL: api.url, LATCHKEY_TOKEN: agentToken } });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('delivery_not_allowed');
  }, 60_000);
});

describe('secrecy', () => {
  it('the canary appears only in creds reveal, never in other commands’ output', async () => {
    const extra = await Promise.all([
      lk(['creds', 'ls'], { token: owner }),
      lk(['creds', 'ls', '--json'], { token: owner }),
      lk(['creds', 'show', 'run-openai'], { token: owner }),
      lk(['creds', 'show', 'run-openai', '--json'], { token: owner }),
      lk(['creds', 'test', 'run-openai'], { token: owner }),
      lk(['whoami'], { token: owner }),
    ]);
    expect(extra.every((r) => r.code === 0)).toBe(true);
    for (const result of outputs) {
      expect(result.stdout).not.toContain(CANARY);
      expect(result.stderr).not.toContain(CANARY);
    }
    const revealed = await lk(['creds', 'reveal', 'run-openai', '--field', 'key'], { token: owner });
    expect(revealed.stdout.trim()).toBe(CANARY);
    const json = await lk(['creds', 'reveal', 'run-gcp', '--json'], { token: owner });
    expect(Buffer.from((JSON.parse(json.stdout) as { file: { base64: string } }).file.base64, 'base64').toString()).toBe(GCP_KEY);
  }, 60_000);
});
