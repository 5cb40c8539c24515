// Turns the audit page's URL (actor, action, credential, from/to dates, cursor) into a validated audit filter.
import { z } from 'zod';
import { auditFilterSchema, type AuditFilter } from '~/audit/audit.server';
import { prisma } from '~/db.server';

/** The filter values as they appear in the URL and in the form. */
export interface AuditPageQuery {
  actor: string;
  action: string;
  credential: string;
  from: string;
  to: string;
}

export const DATE_MESSAGE = 'Enter a date as YYYY-MM-DD';

/** A calendar date that exists (2026-02-30 and 2026-13-45 do not), or '' for no bound. */
const dateText = z.union([z.literal(''), z.iso.date({ error: DATE_MESSAGE })], { error: DATE_MESSAGE });

/** The largest audit seq PostgreSQL's int column holds: a cursor beyond it is no position at all. */
const MAX_CURSOR = 2_147_483_647;

const pageQuerySchema = z.object({
  actor: z.union([z.literal(''), z.literal('system'), z.literal('agent'), z.literal('api_token'), z.string().regex(/^user:[0-9a-f-]{36}$/i)]).catch(''),
  action: z.string().trim().max(100).catch(''),
  credential: z.string().trim().max(200).catch(''),
  from: dateText,
  to: dateText,
});

/**
 * The URL's filters, checked: unknown actor values are dropped, a date that is not a real YYYY-MM-DD
 * becomes a field error (the page answers 400 with it shown, the CSV 400 with the message).
 * `to` covers its whole day. A credential is found by its current name, by the name it had when an
 * event was recorded (deleted credentials), or by its id. `cursor` is the keyset position.
 */
export async function auditFilterFromUrl(
  organizationId: string,
  url: URL,
  options: { paginate: boolean },
): Promise<{ query: AuditPageQuery; filter: AuditFilter; errors: Record<string, string[]>; noMatch: boolean }> {
  const raw = Object.fromEntries(['actor', 'action', 'credential', 'from', 'to'].map((k) => [k, url.searchParams.get(k) ?? '']));
  const errors: Record<string, string[]> = {};
  // Field by field, so one bad date never lets the other fields through uncleaned (or loses them).
  const query: AuditPageQuery = { actor: '', action: '', credential: '', from: '', to: '' };
  for (const key of Object.keys(query) as Array<keyof AuditPageQuery>) {
    const parsed = pageQuerySchema.shape[key].safeParse(raw[key]);
    if (parsed.success) query[key] = parsed.data;
    else errors[key] = parsed.error.issues.map((issue) => issue.message);
  }

  const filter: AuditFilter = {};
  if (query.actor === 'system' || query.actor === 'agent' || query.actor === 'api_token') filter.actorType = query.actor;
  else if (query.actor.startsWith('user:')) {
    filter.actorType = 'user';
    filter.actorId = query.actor.slice(5);
  }
  if (query.action) filter.action = query.action;
  if (query.from) filter.from = new Date(`${query.from}T00:00:00.000Z`);
  if (query.to) filter.to = new Date(`${query.to}T23:59:59.999Z`);
  if (query.from && query.to && query.from > query.to) errors.to = ['The end date is before the start date'];

  let noMatch = false;
  if (query.credential) {
    const id = await resolveCredential(organizationId, query.credential);
    if (id) filter.credentialId = id;
    else noMatch = true;
  }
  if (options.paginate) {
    const cursor = Number(url.searchParams.get('cursor'));
    if (Number.isInteger(cursor) && cursor > 0 && cursor <= MAX_CURSOR) filter.cursor = cursor;
  }
  // Throws only on a programming error: every value above is already in the schema's shape.
  auditFilterSchema.parse(filter);
  return { query, filter, errors, noMatch };
}

async function resolveCredential(organizationId: string, text: string): Promise<string | null> {
  if (z.uuid().safeParse(text).success) return text;
  const current = await prisma.credential.findFirst({ where: { organizationId, name: text }, select: { id: true } });
  if (current) return current.id;
  const past = await prisma.auditEvent.findFirst({
    where: { organizationId, credentialId: { not: null }, details: { path: ['name'], equals: text } },
    orderBy: { seq: 'desc' },
    select: { credentialId: true },
  });
  return past?.credentialId ?? null;
}

const FIELD_LABELS: Record<string, string> = { from: 'From', to: 'To', actor: 'Actor', action: 'Action', credential: 'Credential' };

/**
 * The filter errors as one plain-text answer (400) for a URL that has no page to show them on, the CSV:
 * "To: Enter a date as YYYY-MM-DD." Null when the filters are fine.
 */
export function filterErrorResponse(errors: Record<string, string[]>): Response | null {
  const lines = Object.entries(errors).map(([field, messages]) => `${FIELD_LABELS[field] ?? field}: ${messages.join(' ')}.`);
  if (lines.length === 0) return null;
  return new Response(`${lines.join('\n')}\nNothing was exported.`, {
    status: 400,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

/** The URL search string for a filter query (empty values left out), plus extra params. */
export function auditSearchParams(query: AuditPageQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...query, ...extra })) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
