// `latchkey doctor [--within D] [--json]`: whether every credential this agent declared it needs is there and usable, and where a person fixes each one.
import ms from 'ms';
import type { z } from 'zod';
import type { doctorSchema } from '../../app/api/schemas';
import { exactText, relativeText } from '../../app/utils/relative-time';
import { parseCommand, printJson, table, usageError, type Command } from '../args';
import { agentClient } from '../client';
import { CliError, EXIT_ATTENTION, EXIT_EXPIRING, EXIT_OK } from '../exit-codes';
import { DEFAULT_WITHIN, parseWithin } from './status';

export type DoctorReport = z.infer<typeof doctorSchema>;
export type DoctorEntry = DoctorReport['requirements'][number];

const USAGE = `Usage: latchkey doctor [--within DURATION] [--json] [--url URL] [--token TOKEN]   (an agent token, lk_…)

  Check each credential this agent declared it needs (latchkey requirements set): whether it exists, is in the
  agent's allowlist and works now. Each problem comes with the Latchkey page where a person fixes it.

  Exit 0 when all is well; 1 when a required credential is missing or unusable; 2 when none is, but a required
  one expires within 24 hours (or --within). Optional requirements are shown but never change the exit code.

  --within DURATION How far ahead to look for expiries: 24h (default), 90m, 3d, 1w …
  --json            The API's report (GET /api/v1/doctor) unchanged; the exit code is the same
  --url URL         Latchkey's address (default: $LATCHKEY_URL, else the login's, else http://localhost:3000).
  --token TOKEN     The agent token (default: $LATCHKEY_TOKEN, else the login's).`;

export const NO_REQUIREMENTS = [
  'This agent has declared no requirements, so there is nothing to check.',
  'Declare the credentials it needs, then run latchkey doctor again:',
  '  latchkey requirements set github_token git_ssh:botty stripe_key?     (a trailing ? marks one optional)',
  '  latchkey requirements set --file requirements.json                   ([{ "name", "service", "type", "optional", "description" }])',
];

const STATE_LABELS: Record<DoctorEntry['state'], string> = {
  ok: 'ok',
  missing: 'missing',
  not_allowed: 'not allowed',
  expiring: 'expiring',
  expired: 'expired',
  needs_attention: 'needs attention',
  disconnected: 'disconnected',
};

/** Missing or unusable: what the server's `ok` counts against a required entry. */
export function isFailing(entry: Pick<DoctorEntry, 'state'>): boolean {
  return entry.state !== 'ok' && entry.state !== 'expiring';
}

/**
 * Whether a usable entry expires within the window. The server marks a key "expiring" inside the organization's
 * warning window; a wider --within also counts an "ok" one, except OAuth, whose access token Latchkey refreshes.
 */
export function expiresWithin(entry: DoctorEntry, now: Date, withinMs: number): boolean {
  if (isFailing(entry) || !entry.expiresAt) return false;
  if (entry.state === 'ok' && (entry.type === null || entry.type === 'oauth')) return false;
  return new Date(entry.expiresAt).getTime() - now.getTime() <= withinMs;
}

export function doctorExitCode(report: DoctorReport, now: Date, withinMs = ms(DEFAULT_WITHIN)): number {
  const required = report.requirements.filter((e) => e.required);
  if (required.some(isFailing)) return EXIT_ATTENTION;
  if (required.some((e) => expiresWithin(e, now, withinMs))) return EXIT_EXPIRING;
  return EXIT_OK;
}

function mark(entry: DoctorEntry, now: Date, withinMs: number): string {
  if (isFailing(entry)) return '✗';
  return entry.state === 'expiring' || expiresWithin(entry, now, withinMs) ? '!' : '✓';
}

/** One row per requirement, each followed by the page that fixes it (when something is to be fixed). */
export function formatDoctor(report: DoctorReport, now: Date, withinMs: number): string[] {
  const rows = table([
    ['', 'NAME', 'NEED', 'STATE', 'DETAILS'],
    ...report.requirements.map((e) => [
      mark(e, now, withinMs),
      e.name,
      e.required ? 'required' : 'optional',
      STATE_LABELS[e.state],
      e.reason ?? (e.expiresAt ? `expires ${relativeText(new Date(e.expiresAt), now)} (${exactText(new Date(e.expiresAt))})` : [e.service, e.type].filter(Boolean).join(' ')),
    ]),
  ])
    .split('\n')
    .map((line) => line.trimEnd());
  const lines = [rows[0]!];
  report.requirements.forEach((entry, i) => {
    lines.push(rows[i + 1]!);
    if (entry.fixUrl) lines.push(`   fix: ${entry.fixUrl}`);
  });
  return lines;
}

export function doctorSummary(report: DoctorReport, now: Date, withinMs: number): string {
  const required = report.requirements.filter((e) => e.required);
  const optional = report.requirements.filter((e) => !e.required);
  const failing = required.filter(isFailing);
  const soon = required.filter((e) => expiresWithin(e, now, withinMs));
  const optionalNote = optional.some(isFailing) ? ` ${optional.filter(isFailing).length} of ${optional.length} optional not usable.` : '';
  if (!required.length) return `Ready: nothing is required (${optional.length} optional).${optionalNote}`;
  if (failing.length) {
    return `Not ready: ${failing.length} of ${required.length} required credential${required.length === 1 ? '' : 's'} missing or unusable (${failing.map((e) => e.name).join(', ')}). Open the fix links above.${optionalNote}`;
  }
  if (soon.length) return `Ready, but ${soon.map((e) => e.name).join(', ')} expire${soon.length === 1 ? 's' : ''} within ${ms(withinMs, { long: true })}: replace ${soon.length === 1 ? 'it' : 'them'} before then.${optionalNote}`;
  return `Ready: ${required.length === 1 ? 'the required credential is' : `all ${required.length} required credentials are`} usable.${optionalNote}`;
}

export const doctorCommand: Command = {
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { within: { type: 'string' }, json: { type: 'boolean' }, url: { type: 'string' }, token: { type: 'string' } }, USAGE, io);
    if (!parsed) return EXIT_OK;
    if (parsed.positionals.length) throw usageError(`Unexpected argument: ${parsed.positionals[0]}`, USAGE);
    const within = parseWithin(parsed.values.within ?? DEFAULT_WITHIN);
    if (!within.ok) throw new CliError(within.message);
    const report = await agentClient(io, parsed.values, USAGE).request<DoctorReport>('GET', '/doctor');
    const now = io.now();
    if (parsed.values.json) printJson(io, report);
    else if (!report.requirements.length) for (const line of NO_REQUIREMENTS) io.out(line);
    else {
      for (const line of formatDoctor(report, now, within.ms)) io.out(line);
      io.out('');
      io.out(doctorSummary(report, now, within.ms));
    }
    return doctorExitCode(report, now, within.ms);
  },
};
