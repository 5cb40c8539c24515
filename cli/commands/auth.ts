// `latchkey login`, `logout` and `whoami`: the stored connection and who the token is.
import type { z } from 'zod';
import type { meSchema } from '../../app/api/schemas';
import { parseCommand, printJson, usageError, type Command } from '../args';
import { createClient } from '../client';
import { configPath, DEFAULT_URL, normalizeUrl, removeConfig, resolveConnection, writeConfig } from '../config';
import { CliError, EXIT_OK } from '../exit-codes';
import type { CliIo } from '../io';
import { ask, askHidden, isInteractive, readStdin } from '../prompt';

type Me = z.infer<typeof meSchema>;

const LOGIN_USAGE = `Usage: latchkey login [--url URL] [--token-stdin]

  Ask for Latchkey's address and a token (typed without echo), check the token with the server, and keep
  both in ~/.config/latchkey/config.json (mode 0600; $XDG_CONFIG_HOME is respected).

  --url URL       Latchkey's address instead of asking (default offered: $LATCHKEY_URL or ${DEFAULT_URL}).
  --token-stdin   Read the token from stdin instead of asking: echo "$TOKEN" | latchkey login --url … --token-stdin

  Tokens: lk_… for an agent (status, run), lkm_… for a management token (creds, agents).
  $LATCHKEY_URL and $LATCHKEY_TOKEN, when set, win over the stored login.`;

const LOGOUT_USAGE = `Usage: latchkey logout

  Remove the stored login (~/.config/latchkey/config.json). The token itself stays valid: revoke it in Latchkey.`;

const WHOAMI_USAGE = `Usage: latchkey whoami [--json]

  Show which token is in use: agent or management token, organization, token name and role, or agent name.`;

export function describeMe(me: Me): string[] {
  const lines = [`Organization: ${me.organization.slug}`];
  if (me.kind === 'agent') lines.unshift(`Agent token for ${me.agent?.name ?? '(unknown agent)'}`);
  else lines.unshift(`Management token "${me.token.name}" (${me.token.role ?? 'no role'}${me.token.reveal ? ', may reveal values' : ''})`);
  lines.push(`Token: ${me.token.prefix}…${me.token.expiresAt ? `, expires ${me.token.expiresAt}` : ''}`);
  return lines;
}

async function fetchMe(url: string, token: string): Promise<Me> {
  return createClient(url, token).request<Me>('GET', '/me');
}

export const loginCommand: Command = {
  usage: LOGIN_USAGE,
  async run(args, io: CliIo) {
    const parsed = parseCommand(args, { url: { type: 'string' }, 'token-stdin': { type: 'boolean' } }, LOGIN_USAGE, io);
    if (!parsed) return EXIT_OK;
    if (parsed.positionals.length) throw usageError(`Unexpected argument: ${parsed.positionals[0]}`, LOGIN_USAGE);
    let url = parsed.values.url;
    if (!url) {
      const offered = io.env.LATCHKEY_URL ?? DEFAULT_URL;
      if (!isInteractive(io)) url = offered;
      else url = (await ask(io, `Latchkey URL [${offered}]: `)) || offered;
    }
    url = normalizeUrl(url);
    if (!/^https?:\/\//.test(url)) throw new CliError(`"${url}" is not an http(s) address.`);
    let token: string;
    if (parsed.values['token-stdin']) token = (await readStdin(io)).trim();
    else if (isInteractive(io)) token = (await askHidden(io, 'Token (input hidden): ')).trim();
    else throw usageError('No terminal to ask in: pipe the token with --token-stdin.', LOGIN_USAGE);
    if (!token) throw new CliError('No token given.');
    const me = await fetchMe(url, token);
    const file = writeConfig(io.env, { url, token });
    for (const line of describeMe(me)) io.out(line);
    io.err(`Logged in to ${url}; saved to ${file}.`);
    return EXIT_OK;
  },
};

export const logoutCommand: Command = {
  usage: LOGOUT_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, {}, LOGOUT_USAGE, io);
    if (!parsed) return EXIT_OK;
    io.out(removeConfig(io.env) ? `Logged out: removed ${configPath(io.env)}.` : 'Not logged in.');
    return EXIT_OK;
  },
};

export const whoamiCommand: Command = {
  usage: WHOAMI_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { json: { type: 'boolean' } }, WHOAMI_USAGE, io);
    if (!parsed) return EXIT_OK;
    const { url, token } = resolveConnection(io.env);
    if (!token) throw new CliError('Not logged in: run latchkey login, or set LATCHKEY_TOKEN.');
    const me = await fetchMe(url, token);
    if (parsed.values.json) printJson(io, me);
    else for (const line of [...describeMe(me), `Server: ${url}`]) io.out(line);
    return EXIT_OK;
  },
};
