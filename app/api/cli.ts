// The `latchkey` command line: `latchkey status [--check] [--within 24h] [--url URL] [--token TOKEN]` against the agent API.
import { parseArgs } from 'node:util';
import ms from 'ms';
import { STATUS_LABELS } from '~/credentials/status';
import { lastUsedText } from '~/usage/last-used-text';
import { exactText, relativeText } from '~/utils/relative-time';
import { credentialListSchema, type CredentialSummary } from './schemas';

export const EXIT_OK = 0;
export const EXIT_ATTENTION = 1;
export const EXIT_EXPIRING = 2;
/** Usage errors, an unreachable server or a refused token: distinct from the --check outcomes. */
export const EXIT_ERROR = 3;
export const DEFAULT_WITHIN = '24h';

const USAGE = `Usage: latchkey status [--check [--within DURATION]] [--url URL] [--token TOKEN]

  status            List the credentials this agent may use, with their status.
  --check           Exit 1 when any is expired, needs attention or is disconnected;
                    2 when one expires within 24 hours (or --within); else 0.
  --within DURATION How far ahead --check looks for expiries: 24h (default), 90m, 3d, 1w …
  --url URL         Latchkey's address (default: $LATCHKEY_URL, else http://localhost:3000).
  --token TOKEN     The agent token, lk_… (default: $LATCHKEY_TOKEN).`;

export interface CliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  fetch?: typeof fetch;
  now?: Date;
}

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

/** An aligned plain-text table, with the statuses and the time wording the web pages use. */
export function formatTable(credentials: CredentialSummary[], now: Date): string {
  const rows = [
    ['NAME', 'TYPE', 'SERVICE', 'STATUS', 'EXPIRES', 'LAST USED'],
    ...credentials.map((c) => [
      c.name,
      c.type,
      c.service,
      STATUS_LABELS[c.status],
      c.expiresAt ? `${relativeText(new Date(c.expiresAt), now)} (${exactText(new Date(c.expiresAt))})` : '—',
      lastUsedText(c.lastUsedAt, now),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        check: { type: 'boolean' },
        within: { type: 'string' },
        url: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.err((error as Error).message);
    io.err(USAGE);
    return EXIT_ERROR;
  }
  const [command] = parsed.positionals;
  if (parsed.values.help || command !== 'status') {
    (parsed.values.help ? io.out : io.err)(USAGE);
    return parsed.values.help ? EXIT_OK : EXIT_ERROR;
  }
  const within = parseWithin(parsed.values.within ?? DEFAULT_WITHIN);
  if (!within.ok) {
    io.err(within.message);
    return EXIT_ERROR;
  }
  const url = (parsed.values.url ?? io.env.LATCHKEY_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
  const token = parsed.values.token ?? io.env.LATCHKEY_TOKEN;
  if (!token) {
    io.err('No token: pass --token lk_… or set LATCHKEY_TOKEN.');
    return EXIT_ERROR;
  }
  let response: Response;
  try {
    response = await (io.fetch ?? fetch)(`${url}/api/v1/credentials`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  } catch (error) {
    io.err(`Could not reach Latchkey at ${url}: ${(error as Error).message}`);
    return EXIT_ERROR;
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    io.err(`Latchkey answered ${response.status}: ${body?.error?.message ?? response.statusText}`);
    return EXIT_ERROR;
  }
  const parsedBody = credentialListSchema.safeParse(await response.json().catch(() => null));
  if (!parsedBody.success) {
    io.err('Latchkey answered with an unexpected document.');
    return EXIT_ERROR;
  }
  const now = io.now ?? new Date();
  const { credentials } = parsedBody.data;
  io.out(credentials.length ? formatTable(credentials, now) : 'No credentials available to this agent.');
  return parsed.values.check ? checkExitCode(credentials, now, within.ms) : EXIT_OK;
}
