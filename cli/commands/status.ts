// `latchkey status [--check [--within D]]`: the credentials this agent may use, and --check's exit code.
import ms from 'ms';
import type { ApiCredential } from '../../app/api/schemas';
import { STATUS_LABELS } from '../../app/credentials/status';
import { lastUsedText } from '../../app/usage/last-used-text';
import { exactText, relativeText } from '../../app/utils/relative-time';
import { parseCommand, table, usageError, type Command } from '../args';
import { agentClient } from '../client';
import { CliError, EXIT_ATTENTION, EXIT_EXPIRING, EXIT_OK } from '../exit-codes';

export const DEFAULT_WITHIN = '24h';

type CredentialSummary = Pick<ApiCredential, 'name' | 'type' | 'service' | 'status' | 'expiresAt' | 'lastUsedAt'>;

const USAGE = `Usage: latchkey status [--check [--within DURATION]] [--url URL] [--token TOKEN]

  List the credentials this agent may use, with their status.

  --check           Exit 1 when any is expired, needs attention or is disconnected;
                    2 when one expires within 24 hours (or --within); else 0.
  --within DURATION How far ahead --check looks for expiries: 24h (default), 90m, 3d, 1w …
  --url URL         Latchkey's address (default: $LATCHKEY_URL, else the login's, else http://localhost:3000).
  --token TOKEN     The agent token, lk_… (default: $LATCHKEY_TOKEN, else the login's).`;

/** `--within`'s value in milliseconds, or an error a person can act on. */
export function parseWithin(value: string): { ok: true; ms: number } | { ok: false; message: string } {
  // ms() answers undefined for what it cannot read, and reads a bare number as milliseconds: ask for a unit.
  const parsed = /[a-z]\s*$/i.test(value.trim()) ? ms(value.trim() as ms.StringValue) : undefined;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
    return { ok: false, message: `--within "${value}" is not a duration: use a positive number with a unit, like 24h, 90m or 3d.` };
  }
  return { ok: true, ms: parsed };
}

/**
 * What --check says about one credential (worst wins across the list). The status is the server's, read at
 * request time. An OAuth access token's own expiry does not count: Latchkey refreshes it.
 */
export function checkCredential(credential: CredentialSummary, now: Date, withinMs = ms(DEFAULT_WITHIN)): number {
  if (credential.status === 'expired' || credential.status === 'needs_attention' || credential.status === 'disconnected') return EXIT_ATTENTION;
  if (credential.expiresAt && credential.type !== 'oauth') {
    const left = new Date(credential.expiresAt).getTime() - now.getTime();
    if (left <= 0) return EXIT_ATTENTION;
    if (left <= withinMs) return EXIT_EXPIRING;
  }
  return EXIT_OK;
}

export function checkExitCode(credentials: CredentialSummary[], now: Date, withinMs = ms(DEFAULT_WITHIN)): number {
  const codes = credentials.map((c) => checkCredential(c, now, withinMs));
  if (codes.includes(EXIT_ATTENTION)) return EXIT_ATTENTION;
  if (codes.includes(EXIT_EXPIRING)) return EXIT_EXPIRING;
  return EXIT_OK;
}

/** The credentials table, with the statuses and the time wording the web pages use. */
export function formatCredentialTable(credentials: CredentialSummary[], now: Date): string {
  return table([
    ['NAME', 'TYPE', 'SERVICE', 'STATUS', 'EXPIRES', 'LAST USED'],
    ...credentials.map((c) => [
      c.name,
      c.type,
      c.service,
      STATUS_LABELS[c.status],
      c.expiresAt ? `${relativeText(new Date(c.expiresAt), now)} (${exactText(new Date(c.expiresAt))})` : '—',
      lastUsedText(c.lastUsedAt, now),
    ]),
  ]);
}

export const statusCommand: Command = {
  usage: USAGE,
  async run(args, io) {
    const parsed = parseCommand(args, { check: { type: 'boolean' }, within: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' } }, USAGE, io);
    if (!parsed) return EXIT_OK;
    if (parsed.positionals.length) throw usageError(`Unexpected argument: ${parsed.positionals[0]}`, USAGE);
    const within = parseWithin(parsed.values.within ?? DEFAULT_WITHIN);
    if (!within.ok) throw new CliError(within.message);
    const client = agentClient(io, parsed.values, USAGE);
    const credentials = await client.list<ApiCredential>('/credentials', 'credentials');
    const now = io.now();
    io.out(credentials.length ? formatCredentialTable(credentials, now) : 'No credentials available to this agent.');
    return parsed.values.check ? checkExitCode(credentials, now, within.ms) : EXIT_OK;
  },
};
