// `latchkey agents ls|create|rotate|revoke`: agents and their tokens through the management API.
import type { ApiAgent } from '../../app/api/schemas';
import { lastUsedText } from '../../app/usage/last-used-text';
import { parseCommand, printJson, table, usageError, type Command, withSubcommands } from '../args';
import { createClient } from '../client';
import { resolveConnection } from '../config';
import { EXIT_OK } from '../exit-codes';
import type { CliIo } from '../io';

const USAGE = `Usage: latchkey agents <command> [options]   (a management token, lkm_…)

  ls       List agents                 latchkey agents ls [--json]
  create   New agent, prints its token latchkey agents create NAME [--description D] [--allow PATTERN[:deliver]]...
  rotate   New token, old ones revoked latchkey agents rotate NAME
  revoke   Revoke one token            latchkey agents revoke NAME PREFIX`;

const LS_USAGE = `Usage: latchkey agents ls [--json]

  Every agent, with its allowlist and tokens. --json prints the API's Agent objects.`;

const CREATE_USAGE = `Usage: latchkey agents create NAME [--description D] [--allow PATTERN[:deliver]]... [--json]

  Create an agent and print its token once (Latchkey keeps only a hash).

  --allow PATTERN          A credential name or pattern with * the agent may use through the proxy (repeatable)
  --allow PATTERN:deliver  … and may also receive its value (latchkey run)`;

const ROTATE_USAGE = `Usage: latchkey agents rotate NAME [--json]

  Issue a new token for the agent and print it once; its earlier tokens are revoked.`;

const REVOKE_USAGE = `Usage: latchkey agents revoke NAME PREFIX

  Revoke the agent's token that starts with PREFIX (see latchkey agents ls).`;

const enc = encodeURIComponent;

function api(io: CliIo) {
  const { url, token } = resolveConnection(io.env);
  return createClient(url, token);
}

export function parseAllow(value: string): { credential: string; mode: 'proxy' | 'deliver' } {
  const match = /^(.*):(deliver|proxy)$/.exec(value);
  return match ? { credential: match[1]!, mode: match[2] as 'proxy' | 'deliver' } : { credential: value, mode: 'proxy' };
}

const ls: Command = {
  usage: LS_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { json: { type: 'boolean' } }, LS_USAGE, io);
    if (!parsed) return EXIT_OK;
    const agents = await api(io).list<ApiAgent>('/agents', 'agents');
    if (parsed.values.json) printJson(io, agents);
    else if (!agents.length) io.out('No agents.');
    else
      io.out(
        table([
          ['NAME', 'ALLOWED', 'TOKENS', 'LAST USED'],
          ...agents.map((a) => [a.name, a.allowlist.map((e) => (e.mode === 'deliver' ? `${e.credential}:deliver` : e.credential)).join(', ') || '—', a.tokens.map((t) => `${t.prefix}…`).join(', ') || '—', lastUsedText(a.lastUsedAt, io.now())]),
        ]),
      );
    return EXIT_OK;
  },
};

const create: Command = {
  usage: CREATE_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { description: { type: 'string' }, allow: { type: 'string', multiple: true }, json: { type: 'boolean' } }, CREATE_USAGE, io);
    if (!parsed) return EXIT_OK;
    const [name, extra] = parsed.positionals;
    if (!name || extra) throw usageError(name ? `Unexpected argument: ${extra}` : 'Give the agent a NAME.', CREATE_USAGE);
    const created = await api(io).request<{ agent: ApiAgent; token: string }>('POST', '/agents', {
      json: { name, description: parsed.values.description, allowlist: (parsed.values.allow ?? []).map(parseAllow) },
    });
    if (parsed.values.json) printJson(io, created);
    else {
      io.err(`Created agent ${created.agent.name}. Its token, shown only now:`);
      io.out(created.token);
    }
    return EXIT_OK;
  },
};

const rotate: Command = {
  usage: ROTATE_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { json: { type: 'boolean' } }, ROTATE_USAGE, io);
    if (!parsed) return EXIT_OK;
    const [name] = parsed.positionals;
    if (!name) throw usageError('Which agent? Give its NAME.', ROTATE_USAGE);
    const issued = await api(io).request<{ token: string; prefix: string }>('POST', `/agents/${enc(name)}/tokens`);
    if (parsed.values.json) printJson(io, issued);
    else {
      io.err(`New token for ${name} (earlier tokens are revoked), shown only now:`);
      io.out(issued.token);
    }
    return EXIT_OK;
  },
};

const revoke: Command = {
  usage: REVOKE_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, {}, REVOKE_USAGE, io);
    if (!parsed) return EXIT_OK;
    const [name, prefix] = parsed.positionals;
    if (!name || !prefix) throw usageError('Give the agent NAME and the token PREFIX.', REVOKE_USAGE);
    await api(io).request('DELETE', `/agents/${enc(name)}/tokens/${enc(prefix.replace(/…$/, ''))}`);
    io.out(`Revoked ${name}'s token ${prefix}.`);
    return EXIT_OK;
  },
};

export const agentsCommand: Command = withSubcommands('agents', USAGE, { ls, list: ls, create, rotate, revoke });
