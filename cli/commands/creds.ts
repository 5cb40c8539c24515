// `latchkey creds ls|show|add|replace|edit|rm|reveal|test`: credentials through the management API.
import fs from 'node:fs';
import path from 'node:path';
import type { ApiCredential, ApiService, ApiValue } from '../../app/api/schemas';
import { STATUS_CAUSES, STATUS_LABELS } from '../../app/credentials/status';
import { lastUsedText } from '../../app/usage/last-used-text';
import { exactText, relativeText } from '../../app/utils/relative-time';
import { parseCommand, printJson, usageError, type Command, withSubcommands } from '../args';
import { ApiError, createClient, type ApiClient } from '../client';
import { resolveConnection } from '../config';
import { CliError, EXIT_ATTENTION, EXIT_ERROR, EXIT_EXPIRING, EXIT_OK } from '../exit-codes';
import type { CliIo } from '../io';
import { ask, askHidden, isInteractive, readStdin, stripTrailingNewline } from '../prompt';
import { formatCredentialTable } from './status';

type ServiceField = ApiService['types'][number]['fields'][number];

const CREDS_USAGE = `Usage: latchkey creds <command> [options]   (a management token, lkm_…)

  ls       List credentials             latchkey creds ls [--type T] [--status S] [-q TERM] [--json]
  show     One credential's details     latchkey creds show NAME [--json]
  add      Store a new credential       latchkey creds add NAME --service S [--value-stdin | --from-file PATH] …
  replace  Replace the secret value     latchkey creds replace NAME [--value-stdin | --from-file PATH]
  edit     Rename, describe, expiry     latchkey creds edit NAME [--name N] [--description D] [--expires ISO|never] …
  rm       Delete                       latchkey creds rm NAME [--yes]
  reveal   Print the secret value       latchkey creds reveal NAME [--field F] [--json]
  test     Is it usable? (exit code)    latchkey creds test NAME

  latchkey creds <command> --help shows each command's options.`;

const LS_USAGE = `Usage: latchkey creds ls [--type T] [--status S] [-q TERM] [--json]

  List every credential (all pages).

  --type T     api_key, password, file or oauth (repeat, or a comma list)
  --status S   active, expiring, expired, needs_attention, disconnected (repeat, or a comma list)
  -q TERM      Names and descriptions containing TERM
  --json       The API's Credential objects, as a JSON array`;

const SHOW_USAGE = `Usage: latchkey creds show NAME [--json]

  One credential's details (never its value).`;

const ADD_USAGE = `Usage: latchkey creds add NAME --service S [options]

  Store a new credential. Secret fields are asked for without echo in a terminal (one question each), or read
  from stdin or a file. Values are checked against the service's format before anything is sent.

  --service S        Catalog service id (see latchkey types), e.g. openai, github, custom
  --type T           api_key (default when the service has it), password or file
  --description D    What it is for
  --expires ISO      When it expires, e.g. 2027-01-31 or 2027-01-31T12:00:00Z
  --base-url URL     Where the proxy forwards requests, instead of the service's default
  --field k=v        A non-secret field, e.g. --field username=deploy (repeatable)
  --value-stdin      Read the secret from stdin: the whole input is the one secret field; for a service with
                     several secret fields, a JSON object {"field": "value", …}
  --from-file PATH   Read the secret from a file; for type file, upload the file itself`;

const REPLACE_USAGE = `Usage: latchkey creds replace NAME [--value-stdin | --from-file PATH] [--field k=v]...

  Replace a credential's secret value (the version it replaces is read first, so a concurrent change is refused).
  Secret fields are asked for without echo in a terminal, or read as in latchkey creds add.`;

const EDIT_USAGE = `Usage: latchkey creds edit NAME [--name N] [--description D] [--expires ISO|never] [--base-url URL|default] [--json]

  Change a credential's name, description, expiry ("never" removes it) or base URL ("default" uses the service's).`;

const RM_USAGE = `Usage: latchkey creds rm NAME [--yes]

  Delete a credential (OAuth credentials are revoked at the provider first). In a terminal you are asked to type
  the name; without a terminal, --yes is required.`;

const REVEAL_USAGE = `Usage: latchkey creds reveal NAME [--field F] [--json]

  Print the secret value: the only command that prints one. Needs a management token with reveal, owner or admin.

  --field F   Print only field F (e.g. key, password, username)
  --json      The API's Value object`;

const TEST_USAGE = `Usage: latchkey creds test NAME

  Print the credential's status as Latchkey knows it, and exit 0 when usable, 1 when not usable, 2 when it
  expires soon. Checking with the provider itself (a live verification call) arrives later.`;

function client(io: CliIo): ApiClient {
  const { url, token } = resolveConnection(io.env);
  return createClient(url, token);
}

function name(positionals: string[], usage: string): string {
  const [value, extra] = positionals;
  if (!value) throw usageError('Which credential? Give its NAME.', usage);
  if (extra) throw usageError(`Unexpected argument: ${extra}`, usage);
  return value;
}

const enc = encodeURIComponent;

function listParam(values: string[] | undefined): string | undefined {
  return values?.length ? values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean).join(',') : undefined;
}

function parseFieldFlags(values: string[] | undefined, usage: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const pair of values ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`--field ${pair}: write it as name=value.`, usage);
    fields[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return fields;
}

function isoOrUsage(value: string, flag: string, usage: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw usageError(`${flag} "${value}" is not a date: use ISO 8601, like 2027-01-31 or 2027-01-31T12:00:00Z.`, usage);
  return date.toISOString();
}

export function usableExitCode(credential: Pick<ApiCredential, 'status' | 'statusCause'>): number {
  if (credential.status === 'expired' || credential.status === 'disconnected') return EXIT_ATTENTION;
  if (credential.status === 'needs_attention') {
    const cause = credential.statusCause ? STATUS_CAUSES[credential.statusCause as keyof typeof STATUS_CAUSES] : undefined;
    return cause?.usable ? EXIT_OK : EXIT_ATTENTION;
  }
  if (credential.status === 'expiring') return EXIT_EXPIRING;
  return EXIT_OK;
}

function describeCredential(c: ApiCredential, now: Date): string[] {
  const lines: [string, string | null][] = [
    ['Name', c.name],
    ['Service', c.service],
    ['Type', c.type],
    ['Description', c.description || null],
    ['Status', `${STATUS_LABELS[c.status]}${c.statusReason ? ` — ${c.statusReason}` : ''}`],
    ['Expires', c.expiresAt ? `${relativeText(new Date(c.expiresAt), now)} (${exactText(new Date(c.expiresAt))})` : 'never'],
    ['Last used', lastUsedText(c.lastUsedAt, now)],
    ['Username', c.username],
    ['File', c.file ? `${c.file.name} (${c.file.size} bytes${c.file.kind ? `, ${c.file.kind}` : ''})` : null],
    ['OAuth', c.oauth ? `${c.oauth.provider ?? ''} ${c.oauth.account ?? ''} ${c.oauth.scopes.join(' ')}`.trim() : null],
    ['Base URL', c.baseUrl],
    ['Proxy path', c.proxyPath],
    ['Version', String(c.version)],
    ['Created', exactText(new Date(c.createdAt))],
    ['Updated', exactText(new Date(c.updatedAt))],
  ];
  return lines.filter(([, v]) => v !== null).map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`);
}

/** The catalog fields of one service type, or a usage error naming the types it has. */
export function typeFields(service: ApiService, type: string | undefined): { type: string; fields: ServiceField[] } {
  const storable = service.types.filter((t) => t.type !== 'oauth');
  const chosen = type ? storable.find((t) => t.type === type) : (storable.find((t) => t.type === 'api_key') ?? storable[0]);
  if (!chosen) {
    const names = storable.map((t) => t.type).join(', ');
    throw new CliError(type ? `${service.name} has no ${type} credentials${names ? `: use --type ${names.split(', ').join(' or ')}` : ''}.` : `${service.name} cannot be stored from the terminal (OAuth only): connect it in Latchkey.`);
  }
  return { type: chosen.type, fields: chosen.fields };
}

/** Client-side format checks, with the catalog's own messages, so a typo never reaches the server. */
export function formatErrors(fields: ServiceField[], values: Record<string, string>, requireAll: boolean): string[] {
  const errors: string[] = [];
  for (const field of fields) {
    if (field.input === 'file') continue;
    const value = values[field.name];
    if (value === undefined || value === '') {
      if (requireAll && !field.optional) errors.push(`${field.name}: ${field.label} is required.`);
      continue;
    }
    if (field.pattern && !new RegExp(field.pattern).test(value)) errors.push(`${field.name}: ${field.patternMessage ?? `${field.label} is not in the expected format.`}`);
  }
  return errors;
}

/** The secret fields' values: from a file, stdin, or one hidden question each in a terminal. */
async function secretValues(
  io: CliIo,
  fields: ServiceField[],
  options: { valueStdin?: boolean; fromFile?: string },
  usage: string,
): Promise<Record<string, string>> {
  const secrets = fields.filter((f) => f.secret && f.input !== 'file');
  if (options.valueStdin && options.fromFile) throw usageError('Use --value-stdin or --from-file, not both.', usage);
  const single = (text: string): Record<string, string> => {
    const [first] = secrets;
    if (!first) throw new CliError('This type has no secret field to fill.');
    return { [first.name]: text };
  };
  if (options.fromFile) {
    const text = stripTrailingNewline(fs.readFileSync(options.fromFile, 'utf8'));
    return secrets.length > 1 ? parseJsonFields(text, secrets) : single(text);
  }
  if (options.valueStdin) {
    const text = stripTrailingNewline(await readStdin(io));
    return secrets.length > 1 ? parseJsonFields(text, secrets) : single(text);
  }
  if (!isInteractive(io)) throw usageError('No terminal to ask in: pipe the secret with --value-stdin, or use --from-file.', usage);
  const values: Record<string, string> = {};
  for (const field of secrets) {
    const value = await askHidden(io, `${field.label}${field.optional ? ' (optional)' : ''} (input hidden): `);
    if (value) values[field.name] = value;
  }
  return values;
}

function parseJsonFields(text: string, secrets: ServiceField[]): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new CliError(`This service has several secret fields (${secrets.map((s) => s.name).join(', ')}): give them as a JSON object of strings.`);
  }
  return parsed as Record<string, string>;
}

async function fileForm(filePath: string, text: Record<string, string>): Promise<FormData> {
  const form = new FormData();
  for (const [key, value] of Object.entries(text)) form.set(key, value);
  const data = await fs.promises.readFile(filePath);
  form.set('file', new Blob([data]), path.basename(filePath));
  return form;
}

/** Field errors from the server, as `field: message` lines, before the error itself. */
function withFieldLines<T>(promise: Promise<T>): Promise<T> {
  return promise.catch((error: unknown) => {
    if (error instanceof ApiError && error.details.length) throw new CliError(error.message, error.exitCode, error.details);
    throw error;
  });
}

export async function addCredential(
  io: CliIo,
  api: ApiClient,
  input: { name: string; service: string; type?: string; description?: string; expires?: string; baseUrl?: string; fields?: string[]; valueStdin?: boolean; fromFile?: string },
  usage = ADD_USAGE,
): Promise<ApiCredential> {
  const service = await api.request<ApiService>('GET', `/services/${enc(input.service)}`);
  const { type, fields } = typeFields(service, input.type);
  const given = parseFieldFlags(input.fields, usage);
  const secretNames = new Set(fields.filter((f) => f.secret).map((f) => f.name));
  const secretInArgv = Object.keys(given).filter((k) => secretNames.has(k));
  if (secretInArgv.length) throw usageError(`${secretInArgv.join(', ')} is secret: never on the command line — use --value-stdin, --from-file or the prompt.`, usage);
  const unknown = Object.keys(given).filter((k) => !fields.some((f) => f.name === k));
  if (unknown.length) throw usageError(`${service.name} (${type}) has no field ${unknown.join(', ')}: it has ${fields.map((f) => f.name).join(', ')}.`, usage);
  const text: Record<string, string> = { name: input.name, service: service.id, type };
  if (input.description !== undefined) text.description = input.description;
  if (input.expires !== undefined) text.expiresAt = isoOrUsage(input.expires, '--expires', usage);
  if (input.baseUrl !== undefined) text.baseUrl = input.baseUrl;
  if (type === 'file') {
    if (!input.fromFile) throw usageError('A file credential needs --from-file PATH.', usage);
    const errors = formatErrors(fields, given, false);
    if (errors.length) throw new CliError('Not sent: fix these first.', EXIT_ERROR, errors);
    const form = await fileForm(input.fromFile, text);
    for (const [key, value] of Object.entries(given)) form.set(`fields.${key}`, value);
    return withFieldLines(api.request<ApiCredential>('POST', '/credentials', { form }));
  }
  const values = { ...given, ...(await secretValues(io, fields, input, usage)) };
  const errors = formatErrors(fields, values, true);
  if (errors.length) throw new CliError('Not sent: fix these first.', EXIT_ERROR, errors);
  return withFieldLines(api.request<ApiCredential>('POST', '/credentials', { json: { ...text, fields: values } }));
}

const ls: Command = {
  usage: LS_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { type: { type: 'string', multiple: true }, status: { type: 'string', multiple: true }, q: { type: 'string', short: 'q' }, json: { type: 'boolean' } }, LS_USAGE, io);
    if (!parsed) return EXIT_OK;
    if (parsed.positionals.length) throw usageError(`Unexpected argument: ${parsed.positionals[0]}`, LS_USAGE);
    // Progress only for long listings (more than one page), and only where a person watches stderr.
    let shown = false;
    const progress = (count: number) => {
      if (!io.stderr.isTTY || count < 100) return;
      shown = true;
      io.stderr.write(`\rFetched ${count} credentials…`);
    };
    const credentials = await client(io).list<ApiCredential>('/credentials', 'credentials', { type: listParam(parsed.values.type), status: listParam(parsed.values.status), q: parsed.values.q }, progress);
    if (shown) io.stderr.write('\r\u001b[K');
    if (parsed.values.json) printJson(io, credentials);
    else io.out(credentials.length ? formatCredentialTable(credentials, io.now()) : 'No credentials.');
    return EXIT_OK;
  },
};

const show: Command = {
  usage: SHOW_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { json: { type: 'boolean' } }, SHOW_USAGE, io);
    if (!parsed) return EXIT_OK;
    const credential = await client(io).request<ApiCredential>('GET', `/credentials/${enc(name(parsed.positionals, SHOW_USAGE))}`);
    if (parsed.values.json) printJson(io, credential);
    else for (const line of describeCredential(credential, io.now())) io.out(line);
    return EXIT_OK;
  },
};

const addOptions = {
  service: { type: 'string' },
  type: { type: 'string' },
  description: { type: 'string' },
  expires: { type: 'string' },
  'base-url': { type: 'string' },
  field: { type: 'string', multiple: true },
  'value-stdin': { type: 'boolean' },
  'from-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const add: Command = {
  usage: ADD_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, addOptions, ADD_USAGE, io);
    if (!parsed) return EXIT_OK;
    const credentialName = name(parsed.positionals, ADD_USAGE);
    if (!parsed.values.service) throw usageError('Which service? Give --service (see latchkey types).', ADD_USAGE);
    const v = parsed.values;
    const credential = await addCredential(io, client(io), {
      name: credentialName,
      service: v.service!,
      type: v.type,
      description: v.description,
      expires: v.expires,
      baseUrl: v['base-url'],
      fields: v.field,
      valueStdin: v['value-stdin'],
      fromFile: v['from-file'],
    });
    if (v.json) printJson(io, credential);
    else io.out(`Stored ${credential.name} (${credential.service}, ${credential.type}).`);
    return EXIT_OK;
  },
};

const replace: Command = {
  usage: REPLACE_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { 'value-stdin': { type: 'boolean' }, 'from-file': { type: 'string' }, field: { type: 'string', multiple: true }, json: { type: 'boolean' } }, REPLACE_USAGE, io);
    if (!parsed) return EXIT_OK;
    const api = client(io);
    const credentialName = name(parsed.positionals, REPLACE_USAGE);
    const current = await api.request<ApiCredential>('GET', `/credentials/${enc(credentialName)}`);
    let updated: ApiCredential;
    if (current.type === 'file') {
      if (!parsed.values['from-file']) throw usageError('A file credential is replaced with --from-file PATH.', REPLACE_USAGE);
      const form = await fileForm(parsed.values['from-file'], { version: String(current.version) });
      updated = await withFieldLines(api.request<ApiCredential>('PUT', `/credentials/${enc(credentialName)}/value`, { form }));
    } else {
      if (current.type === 'oauth') throw new CliError(`${credentialName} is an OAuth connection: reconnect it in Latchkey instead.`);
      const service = await api.request<ApiService>('GET', `/services/${enc(current.service)}`);
      const { fields } = typeFields(service, current.type);
      const given = parseFieldFlags(parsed.values.field, REPLACE_USAGE);
      const values = { ...given, ...(await secretValues(io, fields, { valueStdin: parsed.values['value-stdin'], fromFile: parsed.values['from-file'] }, REPLACE_USAGE)) };
      const errors = formatErrors(fields.filter((f) => f.secret), values, true);
      if (errors.length) throw new CliError('Not sent: fix these first.', EXIT_ERROR, errors);
      updated = await withFieldLines(api.request<ApiCredential>('PUT', `/credentials/${enc(credentialName)}/value`, { json: { version: current.version, fields: values } }));
    }
    if (parsed.values.json) printJson(io, updated);
    else io.out(`Replaced the value of ${updated.name} (version ${updated.version}).`);
    return EXIT_OK;
  },
};

const edit: Command = {
  usage: EDIT_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { name: { type: 'string' }, description: { type: 'string' }, expires: { type: 'string' }, 'base-url': { type: 'string' }, json: { type: 'boolean' } }, EDIT_USAGE, io);
    if (!parsed) return EXIT_OK;
    const credentialName = name(parsed.positionals, EDIT_USAGE);
    const v = parsed.values;
    const body: Record<string, string | null> = {};
    if (v.name !== undefined) body.name = v.name;
    if (v.description !== undefined) body.description = v.description;
    if (v.expires !== undefined) body.expiresAt = v.expires === 'never' ? null : isoOrUsage(v.expires, '--expires', EDIT_USAGE);
    if (v['base-url'] !== undefined) body.baseUrl = v['base-url'] === 'default' ? null : v['base-url'];
    if (!Object.keys(body).length) throw usageError('Nothing to change: give --name, --description, --expires or --base-url.', EDIT_USAGE);
    const updated = await withFieldLines(client(io).request<ApiCredential>('PATCH', `/credentials/${enc(credentialName)}`, { json: body }));
    if (v.json) printJson(io, updated);
    else io.out(`Updated ${updated.name}.`);
    return EXIT_OK;
  },
};

const rm: Command = {
  usage: RM_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { yes: { type: 'boolean', short: 'y' } }, RM_USAGE, io);
    if (!parsed) return EXIT_OK;
    const credentialName = name(parsed.positionals, RM_USAGE);
    if (!parsed.values.yes) {
      if (!isInteractive(io)) throw usageError('Without a terminal to confirm in, pass --yes.', RM_USAGE);
      const typed = await ask(io, `Delete ${credentialName}? Agents using it stop working. Type its name to confirm: `);
      if (typed !== credentialName) throw new CliError('Not deleted: the name did not match.');
    }
    const result = await client(io).request<{ deleted: true; revocation: string | null }>('DELETE', `/credentials/${enc(credentialName)}`);
    io.out(`Deleted ${credentialName}.${result.revocation ? ` ${result.revocation}` : ''}`);
    return EXIT_OK;
  },
};

const reveal: Command = {
  usage: REVEAL_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { field: { type: 'string' }, json: { type: 'boolean' } }, REVEAL_USAGE, io);
    if (!parsed) return EXIT_OK;
    const value = await client(io).request<ApiValue>('POST', `/credentials/${enc(name(parsed.positionals, REVEAL_USAGE))}/reveal`);
    if (parsed.values.json) printJson(io, value);
    else if (parsed.values.field) {
      const field = value.fields[parsed.values.field];
      if (field === undefined) throw new CliError(`No field ${parsed.values.field}: it has ${Object.keys(value.fields).join(', ') || 'no fields'}.`);
      io.out(field);
    } else if (value.file) io.stdout.write(Buffer.from(value.file.base64, 'base64'));
    else {
      const entries = Object.entries(value.fields);
      if (entries.length === 1) io.out(entries[0]![1]);
      else for (const [key, field] of entries) io.out(`${key}=${field}`);
    }
    return EXIT_OK;
  },
};

const test: Command = {
  usage: TEST_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, {}, TEST_USAGE, io);
    if (!parsed) return EXIT_OK;
    const credential = await client(io).request<ApiCredential>('GET', `/credentials/${enc(name(parsed.positionals, TEST_USAGE))}`);
    const code = usableExitCode(credential);
    const verdict = code === EXIT_OK ? 'usable' : code === EXIT_EXPIRING ? 'usable, expires soon' : 'not usable';
    io.out(`${credential.name}: ${STATUS_LABELS[credential.status]}${credential.statusReason ? ` — ${credential.statusReason}` : ''} (${verdict})`);
    return code;
  },
};

export const credsCommand: Command = withSubcommands('creds', CREDS_USAGE, { ls, list: ls, show, add, replace, edit, rm, reveal, test });
