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

const dateText = z.union([z.literal(''), z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Use a date like 2026-01-31')]);

const pageQuerySchema = z.object({
  actor: z.union([z.literal(''), z.literal('system'), z.literal('agent'), z.string().regex(/^user:[0-9a-f-]{36}$/i)]).catch(''),
  action: z.string().trim().max(100).catch(''),
  credential: z.string().trim().max(200).catch(''),
  from: dateText,
  to: dateText,
});

/**
 * The URL's filters, checked: unknown actor values are dropped, a bad date becomes a field error.
 * `to` covers its whole day. A credential is found by its current name, by the name it had when an
 * event was recorded (deleted credentials), or by its id. `cursor` is the keyset position.
 */
export async function auditFilterFromUrl(
  organizationId: string,
  url: URL,
  options: { paginate: boolean },
): Promise<{ query: AuditPageQuery; filter: AuditFilter; errors: Record<string, string[]>; noMatch: boolean }> {
  const raw = Object.fromEntries(['actor', 'action', 'credential', 'from', 'to'].map((k) => [k, url.searchParams.get(k) ?? '']));
  const parsed = pageQuerySchema.safeParse(raw);
  const errors: Record<string, string[]> = {};
  let query: AuditPageQuery;
  if (parsed.success) {
    query = parsed.data;
  } else {
    for (const issue of parsed.error.issues) (errors[String(issue.path[0])] ??= []).push(issue.message);
    query = {
      actor: '',
      action: raw.action ?? '',
      credential: raw.credential ?? '',
      from: errors.from ? '' : (raw.from ?? ''),
      to: errors.to ? '' : (raw.to ?? ''),
    };
  }

  const filter: AuditFilter = {};
  if (query.actor === 'system' || query.actor === 'agent') filter.actorType = query.actor;
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
    if (Number.isInteger(cursor) && cursor > 0) filter.cursor = cursor;
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

/** The URL search string for a filter query (empty values left out), plus extra params. */
export function auditSearchParams(query: AuditPageQuery, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...query, ...extra })) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
