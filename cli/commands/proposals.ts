// `latchkey propose` (an agent asks for credentials) and `latchkey proposals ls|show|approve|reject` (a person decides), through /api/v1/proposals.
import fs from 'node:fs';
import type { ApiService } from '../../app/api/schemas';
import type { ProposalInput, ProposalSlotInput, ProposalStatus, ProposalView } from '../../app/proposals/proposals';
import { exactText, relativeText } from '../../app/utils/relative-time';
import { parseCommand, printJson, table, usageError, type Command, withSubcommands } from '../args';
import { createClient, type ApiClient } from '../client';
import { resolveConnection } from '../config';
import { CliError, EXIT_ATTENTION, EXIT_ERROR, EXIT_OK } from '../exit-codes';
import type { CliIo } from '../io';
import { ask, askHidden, isInteractive, readStdin, stripTrailingNewline } from '../prompt';
import { formatErrors, typeFields } from './creds';

/** The server answers a long poll after at most this many seconds (MAX_PROPOSAL_WAIT_SECONDS). */
const POLL_SECONDS = 30;
const STATUSES: readonly ProposalStatus[] = ['pending', 'approved', 'rejected', 'expired'];

const CONNECTION = `  --url URL        Latchkey's address (default: $LATCHKEY_URL, else the login's, else http://localhost:3000).
  --token TOKEN    The token (default: $LATCHKEY_TOKEN, else the login's).`;

const PROPOSE_USAGE = `Usage: latchkey propose --message TEXT --need NAME[:SERVICE[:TYPE]]... [--delete NAME]... [options]
       latchkey propose --file PATH [options]                                     (an agent token, lk_…)

  Ask a person for credentials this agent lacks. Prints the link where a person approves or rejects the
  proposal; on approval the credentials are created (or granted, or deleted) and added to the agent's allowlist.

  --message TEXT        What the credentials are for (the person reads this; with --file, replaces the file's)
  --need NAME[:SERVICE[:TYPE]]
                        A credential to create or be granted, e.g. --need stripe_key:stripe:api_key (repeatable).
                        A name that itself contains ":" needs --file.
  --delete NAME         A credential to delete on approval (repeatable)
  --file PATH           The whole request as JSON: { "message", "credentials": [{ "action", "name", "service",
                        "type", "description", "obtain", "obtainInstructions", "value", "oauth" }] }
  --value-stdin NAME    Read a value this agent generated for NAME from stdin (never from the command line)
  --wait [SECONDS]      Wait for the decision (for ever, or at most SECONDS): exit 0 approved, 1 rejected or
                        expired, 3 still pending
  --json                The API's proposal object
${CONNECTION}`;

const USAGE = `Usage: latchkey proposals <command> [options]   (a management token, lkm_…; show also takes the agent's)

  ls       List proposals            latchkey proposals ls [--status pending|approved|rejected|expired] [--json]
  show     One proposal              latchkey proposals show ID [--wait [SECONDS]] [--json]
  approve  Fill in values, approve   latchkey proposals approve ID [--value NAME.FIELD=-]...
  reject   Reject, saying why        latchkey proposals reject ID --reason TEXT

  An agent makes a proposal with latchkey propose.`;

const LS_USAGE = `Usage: latchkey proposals ls [--status pending|approved|rejected|expired] [--json]

  Proposals in the token's organization, newest first. --json prints the API's proposal objects.`;

const SHOW_USAGE = `Usage: latchkey proposals show ID [--wait [SECONDS]] [--json]

  One proposal: its message, each credential and what approval does with it, the decision.

  --wait [SECONDS]  While it is pending, wait for the decision (for ever, or at most SECONDS): exit 0 approved,
                    1 rejected or expired, 3 still pending
  --json            The API's proposal object
${CONNECTION}`;

const APPROVE_USAGE = `Usage: latchkey proposals approve ID [--value NAME.FIELD=-]... [--json]

  Approve a pending proposal. For each credential a person fills in, asks for each of its service's fields;
  secret ones are typed without echo.

  --value NAME.FIELD=-      Read NAME's FIELD from stdin instead (one such field per run)
  --value NAME.FIELD=TEXT   A field that is not secret, such as a username
  --json                    The API's proposal object, after approval`;

const REJECT_USAGE = `Usage: latchkey proposals reject ID --reason TEXT [--json]

  Reject a pending proposal. The agent reads the reason, so say what it should do instead.`;

const KIND_TEXT: Record<ProposalView['credentials'][number]['kind'], string> = {
  create: 'a person fills it in',
  create_supplied: 'value supplied by the agent',
  connect: 'a person connects it (OAuth)',
  grant: 'exists: approval grants it',
  delete: 'deleted on approval',
};

const enc = encodeURIComponent;
const sleep = (msTime: number) => new Promise((resolve) => setTimeout(resolve, msTime));

function connect(io: CliIo, flags: { url?: string; token?: string } = {}): ApiClient {
  const { url, token } = resolveConnection(io.env, flags);
  return createClient(url, token);
}

/**
 * `--wait` takes an optional number, which node:util parseArgs cannot express: a bare `--wait` becomes `--wait=`
 * (wait for ever); `--wait 60` and `--wait=60` stay as they are.
 */
export function withOptionalWait(args: string[]): string[] {
  const end = args.indexOf('--');
  return args.map((arg, i) => (arg === '--wait' && (end === -1 || i < end) && !/^\d+$/.test(args[i + 1] ?? '') ? '--wait=' : arg));
}

/** undefined: do not wait; null: wait for ever; else at most that many seconds. */
function waitSeconds(value: string | undefined, usage: string): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === '') return null;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw usageError(`--wait "${value}" is not a number of seconds: give a whole number above 0, or none to wait until decided.`, usage);
  return Number(value);
}

/** `--need stripe_key:stripe:api_key` → a set slot. */
export function parseNeed(value: string, usage = PROPOSE_USAGE): ProposalSlotInput {
  const parts = value.split(':');
  if (parts.length > 3 || !parts[0]) throw usageError(`--need "${value}" is not NAME[:SERVICE[:TYPE]] (a name that contains ":" needs --file).`, usage);
  const [name, service, type] = parts;
  return { action: 'set', name: name!, ...(service ? { service } : {}), ...(type ? { type: type as ProposalSlotInput['type'] } : {}) };
}

function readProposalFile(filePath: string): ProposalInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(filePath, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code ? `Could not read ${filePath}: ${code}` : `${filePath} is not JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Array.isArray((parsed as { credentials?: unknown }).credentials)) {
    throw new CliError(`${filePath} is not a proposal: give a JSON object { "message": "…", "credentials": [ … ] }.`);
  }
  return parsed as ProposalInput;
}

/** Waits for a pending proposal's decision with long polls, until it is decided or `seconds` have passed. */
export async function waitForDecision(api: ApiClient, view: ProposalView, seconds: number | null, io: CliIo): Promise<ProposalView> {
  const deadline = seconds === null ? Infinity : Date.now() + seconds * 1000;
  let current = view;
  if (current.status === 'pending') io.err(`Waiting for a decision on ${current.id}${seconds === null ? '' : ` (at most ${seconds} s)`}…`);
  while (current.status === 'pending') {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const started = Date.now();
    current = await api.request<ProposalView>('GET', `/proposals/${enc(current.id)}`, { query: { wait: String(Math.min(POLL_SECONDS, Math.ceil(left / 1000))) } });
    // A server that answers at once (an older one ignoring ?wait) must not be asked in a tight loop.
    if (current.status === 'pending' && Date.now() - started < 1000) await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
  }
  return current;
}

/** The decision as lines and an exit code: 0 approved, 1 rejected or expired, 3 still pending. */
export function decisionOutcome(view: ProposalView, waited: number | null): { lines: string[]; code: number } {
  switch (view.status) {
    case 'approved':
      return { lines: [`Approved${view.decidedBy ? ` by ${view.decidedBy.label}` : ''}${view.decidedAt ? ` at ${exactText(new Date(view.decidedAt))}` : ''}: ${appliedText(view)}`], code: EXIT_OK };
    case 'rejected':
      return { lines: [`Rejected${view.decidedBy ? ` by ${view.decidedBy.label}` : ''}: ${view.reason ?? 'no reason given'}`], code: EXIT_ATTENTION };
    case 'expired':
      return { lines: [`Expired at ${exactText(new Date(view.expiresAt))} without a decision${view.reason ? `: ${view.reason}` : ''}. Propose again if the credentials are still needed.`], code: EXIT_ATTENTION };
    case 'pending':
      return {
        lines: [`Still pending${waited === null ? '' : ` after ${waited} s`}. Ask a person to approve: ${view.approvalUrl}`, `Wait again with: latchkey proposals show ${view.id} --wait`],
        code: EXIT_ERROR,
      };
  }
}

function appliedText(view: ProposalView): string {
  const verbs: Record<string, string[]> = {};
  for (const slot of view.credentials) {
    const verb = slot.kind === 'grant' ? 'granted' : slot.kind === 'delete' ? 'deleted' : 'created';
    (verbs[verb] ??= []).push(slot.name);
  }
  return `${Object.entries(verbs).map(([verb, names]) => `${verb} ${names.join(', ')}`).join('; ')}.`;
}

export function describeProposal(view: ProposalView, now: Date): string[] {
  const lines = [
    `Proposal ${view.id}: ${view.status}${view.status === 'pending' ? ` (expires ${relativeText(new Date(view.expiresAt), now)})` : ''}`,
    `Agent:    ${view.agent.name}`,
    `Message:  ${view.message}`,
    `Created:  ${exactText(new Date(view.createdAt))}`,
  ];
  if (view.decidedAt) lines.push(`Decided:  ${exactText(new Date(view.decidedAt))}${view.decidedBy ? ` by ${view.decidedBy.label} (${view.decidedBy.type})` : ''}`);
  if (view.reason) lines.push(`Reason:   ${view.reason}`);
  lines.push(
    '',
    table([
      ['ACTION', 'NAME', 'SERVICE', 'TYPE', 'WHAT APPROVAL DOES'],
      ...view.credentials.map((c) => [
        c.action,
        c.name,
        c.service ?? '—',
        c.type ?? '—',
        [
          KIND_TEXT[c.kind],
          c.hasValue ? 'value supplied' : null,
          c.connected ? `connected${c.connected.account ? ` as ${c.connected.account}` : ''}` : null,
          c.obtain ? `get it at ${c.obtain}` : null,
          c.description || null,
        ]
          .filter(Boolean)
          .join('; '),
      ]),
    ]),
  );
  for (const c of view.credentials) if (c.obtainInstructions) lines.push(`${c.name}: ${c.obtainInstructions}`);
  if (view.status === 'pending') lines.push('', `Approve or reject at: ${view.approvalUrl}`);
  return lines;
}

export const proposeCommand: Command = {
  usage: PROPOSE_USAGE,
  async run(args, io) {
    const parsed = parseCommand(
      withOptionalWait(args),
      {
        message: { type: 'string' },
        need: { type: 'string', multiple: true },
        delete: { type: 'string', multiple: true },
        file: { type: 'string' },
        'value-stdin': { type: 'string', multiple: true },
        wait: { type: 'string' },
        json: { type: 'boolean' },
        url: { type: 'string' },
        token: { type: 'string' },
      },
      PROPOSE_USAGE,
      io,
    );
    if (!parsed) return EXIT_OK;
    const v = parsed.values;
    if (parsed.positionals.length) throw usageError(`Unexpected argument: ${parsed.positionals[0]}`, PROPOSE_USAGE);
    const wait = waitSeconds(v.wait, PROPOSE_USAGE);
    let body: ProposalInput;
    if (v.file) {
      if (v.need?.length || v.delete?.length) throw usageError('Give --file or --need/--delete, not both.', PROPOSE_USAGE);
      body = readProposalFile(v.file);
      if (v.message !== undefined) body = { ...body, message: v.message };
    } else {
      if (!v.need?.length && !v.delete?.length) throw usageError('Say what is needed: --need NAME[:SERVICE[:TYPE]] or --delete NAME (or --file PATH).', PROPOSE_USAGE);
      if (!v.message) throw usageError('Say what the credentials are for: --message TEXT.', PROPOSE_USAGE);
      body = { message: v.message, credentials: [...(v.need ?? []).map((n) => parseNeed(n)), ...(v.delete ?? []).map((name) => ({ action: 'delete' as const, name }))] };
    }
    const stdinNames = v['value-stdin'] ?? [];
    if (stdinNames.length > 1) throw usageError('stdin holds one value: give --value-stdin once (put several values in --file).', PROPOSE_USAGE);
    const [stdinName] = stdinNames;
    if (stdinName) {
      const slot = body.credentials.find((c) => c.name === stdinName);
      if (!slot || slot.action === 'delete') throw usageError(`--value-stdin ${stdinName}: the proposal has no credential ${stdinName} to set.`, PROPOSE_USAGE);
      if (slot.value !== undefined) throw usageError(`${stdinName} already has a value in ${v.file}.`, PROPOSE_USAGE);
      const value = stripTrailingNewline(await readStdin(io));
      if (!value) throw new CliError(`--value-stdin ${stdinName}: stdin was empty.`);
      body = { ...body, credentials: body.credentials.map((c) => (c === slot ? { ...c, value } : c)) };
    }
    const api = connect(io, { url: v.url, token: v.token });
    const created = await api.request<ProposalView>('POST', '/proposals', { json: body });
    const approveLine = `Ask a person to approve: ${created.approvalUrl}`;
    if (v.json) io.err(approveLine);
    else {
      io.out(`Proposal ${created.id} for ${created.agent.name}, pending until ${exactText(new Date(created.expiresAt))}:`);
      for (const c of created.credentials) io.out(`  ${c.action === 'delete' ? 'delete' : 'need'} ${c.name} — ${KIND_TEXT[c.kind]}`);
      io.out('');
      io.out(approveLine);
      io.out('');
    }
    if (wait === undefined) {
      if (v.json) printJson(io, created);
      else io.out(`See the decision with: latchkey proposals show ${created.id} --wait`);
      return EXIT_OK;
    }
    const decided = await waitForDecision(api, created, wait, io);
    const outcome = decisionOutcome(decided, wait);
    if (v.json) printJson(io, decided);
    for (const line of outcome.lines) (v.json ? io.err : io.out)(line);
    return outcome.code;
  },
};

const ls: Command = {
  usage: LS_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { status: { type: 'string' }, json: { type: 'boolean' } }, LS_USAGE, io);
    if (!parsed) return EXIT_OK;
    if (parsed.positionals.length) throw usageError(`Unexpected argument: ${parsed.positionals[0]}`, LS_USAGE);
    const status = parsed.values.status;
    if (status !== undefined && !STATUSES.includes(status as ProposalStatus)) throw usageError(`--status "${status}": use one of ${STATUSES.join(', ')}.`, LS_USAGE);
    const proposals = await connect(io).list<ProposalView>('/proposals', 'proposals', { status });
    const now = io.now();
    if (parsed.values.json) printJson(io, proposals);
    else if (!proposals.length) io.out(status ? `No ${status} proposals.` : 'No proposals.');
    else
      io.out(
        table([
          ['ID', 'STATUS', 'AGENT', 'CREATED', 'CREDENTIALS', 'MESSAGE'],
          ...proposals.map((p) => [p.id, p.status, p.agent.name, relativeText(new Date(p.createdAt), now), p.credentials.map((c) => (c.action === 'delete' ? `-${c.name}` : c.name)).join(', '), oneLine(p.message, 60)]),
        ]),
      );
    return EXIT_OK;
  },
};

function oneLine(text: string, max: number): string {
  const line = text.split('\n')[0]!.trim();
  return line.length > max || text.includes('\n') ? `${line.slice(0, max - 1)}…` : line;
}

function proposalId(positionals: string[], usage: string): string {
  const [id, extra] = positionals;
  if (!id) throw usageError('Which proposal? Give its ID (see latchkey proposals ls).', usage);
  if (extra) throw usageError(`Unexpected argument: ${extra}`, usage);
  return id;
}

const show: Command = {
  usage: SHOW_USAGE,
  async run(args, io) {
    const parsed = parseCommand(withOptionalWait(args), { wait: { type: 'string' }, json: { type: 'boolean' }, url: { type: 'string' }, token: { type: 'string' } }, SHOW_USAGE, io);
    if (!parsed) return EXIT_OK;
    const id = proposalId(parsed.positionals, SHOW_USAGE);
    const wait = waitSeconds(parsed.values.wait, SHOW_USAGE);
    const api = connect(io, { url: parsed.values.url, token: parsed.values.token });
    let view = await api.request<ProposalView>('GET', `/proposals/${enc(id)}`);
    if (wait !== undefined) view = await waitForDecision(api, view, wait, io);
    if (parsed.values.json) printJson(io, view);
    else for (const line of describeProposal(view, io.now())) io.out(line);
    if (wait === undefined) return EXIT_OK;
    const outcome = decisionOutcome(view, wait);
    if (view.status === 'pending' || parsed.values.json) for (const line of outcome.lines) io.err(line);
    return outcome.code;
  },
};

/** `--value db.password=-` → the slot, the field and the given text ('-': read stdin). */
export function parseValueFlag(value: string): { slot: string; field: string; text: string } {
  const match = /^([^.=]+)\.([^=]+)=(.*)$/s.exec(value);
  if (!match) throw usageError(`--value "${value}" is not NAME.FIELD=- (or NAME.FIELD=TEXT for a field that is not secret).`, APPROVE_USAGE);
  return { slot: match[1]!, field: match[2]!, text: match[3]! };
}

/** For each `create` slot, its catalog fields: given with --value, piped in, or asked for (secrets without echo). */
async function fillValues(io: CliIo, api: ApiClient, view: ProposalView, flags: string[]): Promise<Record<string, Record<string, string>>> {
  const given = flags.map(parseValueFlag);
  const slots = view.credentials.filter((c) => c.kind === 'create');
  for (const flag of given) {
    if (!slots.some((s) => s.name === flag.slot)) {
      throw usageError(`--value ${flag.slot}.${flag.field}: ${flag.slot} is not a credential a person fills in here (${slots.map((s) => s.name).join(', ') || 'there are none'}).`, APPROVE_USAGE);
    }
  }
  const fromStdin = given.filter((g) => g.text === '-');
  if (fromStdin.length > 1) throw usageError('stdin holds one value: give --value NAME.FIELD=- once, and type the others.', APPROVE_USAGE);
  const stdinText = fromStdin.length ? stripTrailingNewline(await readStdin(io)) : undefined;
  const values: Record<string, Record<string, string>> = {};
  const errors: string[] = [];
  for (const slot of slots) {
    const service = await api.request<ApiService>('GET', `/services/${enc(slot.service ?? 'custom')}`);
    const { type, fields } = typeFields(service, slot.type ?? undefined);
    if (fields.some((f) => f.input === 'file')) throw new CliError(`${slot.name} is a ${service.name} ${type} credential, which needs a file: approve this proposal in Latchkey instead: ${view.approvalUrl}`);
    const slotValues: Record<string, string> = {};
    for (const flag of given.filter((g) => g.slot === slot.name)) {
      const field = fields.find((f) => f.name === flag.field);
      if (!field) throw usageError(`${slot.name} (${service.name}, ${type}) has no field ${flag.field}: it has ${fields.map((f) => f.name).join(', ')}.`, APPROVE_USAGE);
      if (field.secret && flag.text !== '-') throw usageError(`${slot.name}.${flag.field} is secret: never on the command line — use --value ${slot.name}.${flag.field}=- or the prompt.`, APPROVE_USAGE);
      slotValues[field.name] = flag.text === '-' ? stdinText! : flag.text;
    }
    const missing = fields.filter((f) => slotValues[f.name] === undefined);
    if (missing.length && !isInteractive(io)) {
      throw usageError(`No terminal to ask in for ${missing.map((f) => `${slot.name}.${f.name}`).join(', ')}: give --value ${slot.name}.${missing[0]!.name}=- with the value on stdin, or run in a terminal.`, APPROVE_USAGE);
    }
    if (missing.length) io.err(`${slot.name} — ${service.name} (${type})${slot.obtain ? `, get it at ${slot.obtain}` : ''}${slot.obtainInstructions ? `: ${slot.obtainInstructions}` : ''}`);
    for (const field of missing) {
      const question = `  ${field.label}${field.optional ? ' (optional)' : ''}`;
      const value = field.secret ? await askHidden(io, `${question} (input hidden): `) : await ask(io, `${question}: `);
      if (value) slotValues[field.name] = value;
    }
    errors.push(...formatErrors(fields, slotValues, true).map((line) => `${slot.name}.${line}`));
    values[slot.name] = slotValues;
  }
  if (errors.length) throw new CliError('Not approved: fix these first.', EXIT_ERROR, errors);
  return values;
}

const approve: Command = {
  usage: APPROVE_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { value: { type: 'string', multiple: true }, json: { type: 'boolean' } }, APPROVE_USAGE, io);
    if (!parsed) return EXIT_OK;
    const id = proposalId(parsed.positionals, APPROVE_USAGE);
    const api = connect(io);
    const view = await api.request<ProposalView>('GET', `/proposals/${enc(id)}`);
    if (view.status !== 'pending') throw new CliError(`Proposal ${id} is ${view.status}: only a pending one can be approved.`);
    for (const slot of view.credentials) {
      if (slot.kind === 'connect' && !slot.connected) io.err(`${slot.name} is an OAuth connection: a person connects it on the approval page, ${view.approvalUrl}`);
    }
    const values = await fillValues(io, api, view, parsed.values.value ?? []);
    const approved = await api.request<ProposalView>('POST', `/proposals/${enc(id)}/approve`, { json: { values } });
    if (parsed.values.json) printJson(io, approved);
    else io.out(`Approved proposal ${approved.id} from ${approved.agent.name}: ${appliedText(approved)}`);
    return EXIT_OK;
  },
};

const reject: Command = {
  usage: REJECT_USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { reason: { type: 'string' }, json: { type: 'boolean' } }, REJECT_USAGE, io);
    if (!parsed) return EXIT_OK;
    const id = proposalId(parsed.positionals, REJECT_USAGE);
    const reason = parsed.values.reason?.trim();
    if (!reason) throw usageError('Say why with --reason TEXT: the agent reads it.', REJECT_USAGE);
    const rejected = await connect(io).request<ProposalView>('POST', `/proposals/${enc(id)}/reject`, { json: { reason } });
    if (parsed.values.json) printJson(io, rejected);
    else io.out(`Rejected proposal ${rejected.id} from ${rejected.agent.name}.`);
    return EXIT_OK;
  },
};

export const proposalsCommand: Command = withSubcommands('proposals', USAGE, { ls, list: ls, show, approve, reject });
