// The `latchkey` command line: `latchkey status [--check] [--url URL] [--token TOKEN]` against the agent API.
import { parseArgs } from 'node:util';
import { credentialListSchema, type CredentialSummary } from './schemas';

export const EXIT_OK = 0;
export const EXIT_ATTENTION = 1;
export const EXIT_EXPIRING = 2;
/** Usage errors, an unreachable server or a refused token: distinct from the --check outcomes. */
export const EXIT_ERROR = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

const USAGE = `Usage: latchkey status [--check] [--url URL] [--token TOKEN]

  status            List the credentials this agent may use, with their status.
  --check           Exit 1 when any is expired or needs attention, 2 when one expires within 24 hours, else 0.
  --url URL         Latchkey's address (default: $LATCHKEY_URL, else http://localhost:3000).
  --token TOKEN     The agent token, lk_… (default: $LATCHKEY_TOKEN).`;

export interface CliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  fetch?: typeof fetch;
  now?: Date;
}

/** What --check says about one credential (worst wins across the list). */
export function checkCredential(credential: CredentialSummary, now: Date): number {
  if (credential.status === 'expired' || credential.status === 'needs_attention' || credential.status === 'disconnected') return EXIT_ATTENTION;
  if (credential.expiresAt) {
    const left = new Date(credential.expiresAt).getTime() - now.getTime();
    if (left <= 0) return EXIT_ATTENTION;
    if (left <= DAY_MS) return EXIT_EXPIRING;
  }
  return EXIT_OK;
}

export function checkExitCode(credentials: CredentialSummary[], now: Date): number {
  const codes = credentials.map((c) => checkCredential(c, now));
  if (codes.includes(EXIT_ATTENTION)) return EXIT_ATTENTION;
  if (codes.includes(EXIT_EXPIRING)) return EXIT_EXPIRING;
  return EXIT_OK;
}

function relative(iso: string | null, now: Date): string {
  if (!iso) return '—';
  const ms = new Date(iso).getTime() - now.getTime();
  const abs = Math.abs(ms);
  const unit = abs >= DAY_MS ? [DAY_MS, 'd'] : abs >= 3_600_000 ? [3_600_000, 'h'] : [60_000, 'm'];
  const n = Math.max(1, Math.round(abs / (unit[0] as number)));
  return ms >= 0 ? `in ${n}${unit[1]}` : `${n}${unit[1]} ago`;
}

/** An aligned plain-text table. */
export function formatTable(credentials: CredentialSummary[], now: Date): string {
  const rows = [
    ['NAME', 'TYPE', 'SERVICE', 'STATUS', 'EXPIRES', 'LAST USED'],
    ...credentials.map((c) => [
      c.name,
      c.type,
      c.service,
      c.status + (checkCredential(c, now) === EXIT_EXPIRING ? ' (expiring)' : ''),
      c.expiresAt ? `${c.expiresAt.slice(0, 10)} (${relative(c.expiresAt, now)})` : '—',
      relative(c.lastUsedAt, now),
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
      options: { check: { type: 'boolean' }, url: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
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
  return parsed.values.check ? checkExitCode(credentials, now) : EXIT_OK;
}
