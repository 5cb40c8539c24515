// `latchkey requirements ls|set`: the credentials this agent declares it needs, which latchkey doctor then checks.
import fs from 'node:fs';
import type { z } from 'zod';
import type { requirementEntrySchema } from '../../app/api/schemas';
import { parseCommand, printJson, table, usageError, type Command, withSubcommands } from '../args';
import { ApiError, agentClient } from '../client';
import { CliError, EXIT_OK } from '../exit-codes';
import type { DoctorReport } from './doctor';

type RequirementEntry = z.infer<typeof requirementEntrySchema>;

const CONNECTION = `  --url URL         Latchkey's address (default: $LATCHKEY_URL, else the login's, else http://localhost:3000).
  --token TOKEN     The agent token (default: $LATCHKEY_TOKEN, else the login's).`;

const USAGE = `Usage: latchkey requirements <command> [options]   (an agent token, lk_…)

  ls    What this agent declared it needs    latchkey requirements ls [--json]
  set   Declare it (replaces the list)       latchkey requirements set NAME[?]... | --file PATH

  latchkey doctor checks each declared credential.`;

const LS_USAGE = `Usage: latchkey requirements ls [--json] [--url URL] [--token TOKEN]

  The credentials this agent declared it needs, in their declared order.
  --json prints { "requirements": [...] }, which latchkey requirements set --file accepts back.

${CONNECTION}`;

const SET_USAGE = `Usage: latchkey requirements set NAME[?]... [--url URL] [--token TOKEN]
       latchkey requirements set --file PATH

  Declare the credentials this agent needs; the list replaces the one declared before (audited).

  NAME[?]      Credential names, e.g. github_token git_ssh:botty stripe_key? — a trailing ? marks one optional.
  --file PATH  A JSON array of { "name", "service"?, "type"?, "optional"?, "description"? }, or an object with
               a "requirements" array (what latchkey requirements ls --json prints). [] clears the list.

${CONNECTION}`;

const connectionOptions = { url: { type: 'string' }, token: { type: 'string' } } as const;

/** `stripe_key?` → an optional stripe_key; the name itself is checked by the server. */
export function parseRequirementName(value: string): RequirementEntry {
  return value.endsWith('?') ? { name: value.slice(0, -1), optional: true } : { name: value };
}

/** The list from a requirements file: an array, or an object whose `requirements` is one. */
export function readRequirementsFile(filePath: string): unknown[] {
  let text: string;
  try {
    text = fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    throw new CliError(`Could not read ${filePath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${filePath} is not JSON: ${(error as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { requirements?: unknown } | null)?.requirements;
  if (!Array.isArray(list)) throw new CliError(`${filePath} holds neither a JSON array of requirements nor an object with a "requirements" array.`);
  return list;
}

const ls: Command = {
  usage: LS_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { json: { type: 'boolean' }, ...connectionOptions }, LS_USAGE, io);
    if (!parsed) return EXIT_OK;
    if (parsed.positionals.length) throw usageError(`Unexpected argument: ${parsed.positionals[0]}`, LS_USAGE);
    const report = await agentClient(io, parsed.values, LS_USAGE).request<DoctorReport>('GET', '/doctor');
    const requirements: RequirementEntry[] = report.requirements.map((e) => ({
      name: e.name,
      ...(e.service ? { service: e.service } : {}),
      ...(e.type ? { type: e.type as RequirementEntry['type'] } : {}),
      optional: !e.required,
      description: e.description,
    }));
    if (parsed.values.json) printJson(io, { requirements });
    else if (!requirements.length) io.out('This agent has declared no requirements: latchkey requirements set NAME[?]... declares them.');
    else
      io.out(
        table([
          ['NAME', 'NEED', 'SERVICE', 'TYPE', 'DESCRIPTION'],
          ...requirements.map((r) => [r.name, r.optional ? 'optional' : 'required', r.service ?? '—', r.type ?? '—', r.description || '—']),
        ]),
      );
    return EXIT_OK;
  },
};

const set: Command = {
  usage: SET_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { file: { type: 'string' }, ...connectionOptions }, SET_USAGE, io);
    if (!parsed) return EXIT_OK;
    const file = parsed.values.file;
    if (file && parsed.positionals.length) throw usageError('Give NAMEs or --file PATH, not both.', SET_USAGE);
    if (!file && !parsed.positionals.length) throw usageError('Name the credentials this agent needs, or give --file PATH.', SET_USAGE);
    const requirements = file ? readRequirementsFile(file) : parsed.positionals.map(parseRequirementName);
    const api = agentClient(io, parsed.values, SET_USAGE);
    let stored: RequirementEntry[];
    try {
      ({ requirements: stored } = await api.request<{ requirements: RequirementEntry[] }>('PUT', '/agent/requirements', { json: { requirements } }));
    } catch (error) {
      if (error instanceof ApiError && error.details.length) throw new CliError(error.message, error.exitCode, namedFieldLines(error, requirements));
      throw error;
    }
    if (!stored.length) io.out('Cleared: this agent declares no requirements now.');
    else {
      io.out(`Declared ${stored.length} requirement${stored.length === 1 ? '' : 's'}: ${stored.map((r) => (r.optional ? `${r.name} (optional)` : r.name)).join(', ')}.`);
      io.out('Check them with latchkey doctor.');
    }
    return EXIT_OK;
  },
};

/** The server's `requirements.0.name: …` lines, each with the entry's name so a person finds it in a long list. */
function namedFieldLines(error: ApiError, requirements: unknown[]): string[] {
  return Object.entries(error.body?.fields ?? {}).flatMap(([field, messages]) => {
    const index = /^requirements\.(\d+)(\.|$)/.exec(field)?.[1];
    const name = index === undefined ? undefined : (requirements[Number(index)] as { name?: unknown } | undefined)?.name;
    const label = typeof name === 'string' && name ? `${field} (${name})` : field;
    return messages.map((message) => `${label}: ${message}`);
  });
}

export const requirementsCommand: Command = withSubcommands('requirements', USAGE, { ls, list: ls, set });
