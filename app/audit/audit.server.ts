// The audit log: hash-chained, append-only events per organization — record, verify, list, export.
import crypto from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import canonicalize from 'canonicalize';
import { stringify } from 'csv-stringify';
import { z } from 'zod';
import { prisma } from '~/db.server';
import type { Prisma } from '~/generated/prisma/client';
import type { ActorType } from '~/generated/prisma/enums';
import { logger } from '~/logger.server';
import { clientIp } from '~/utils/http.server';
import { sanitizeAuditDetails, type AuditJson } from './sanitize';

export const GENESIS_HASH = '0'.repeat(64);
export const ACTOR_TYPES = ['user', 'agent', 'api_token', 'system'] as const satisfies readonly ActorType[];
const MAX_USER_AGENT = 512;

export interface AuditActor {
  type: ActorType;
  /** User id, agent token id, or the worker's name; null when there is none. */
  id?: string | null;
  /** What a person reads in the log: an email, an agent's name, "refresh worker". */
  label: string;
}

/** Who acted and from where; build it once per request with `auditContextFromRequest`. */
export interface AuditContext {
  actor: AuditActor;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditEventInput {
  organizationId: string;
  context: AuditContext;
  /** Dotted verb, e.g. `credential.create`, `credential.reveal`, `credential.refresh_failed`. */
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  credentialId?: string | null;
  /** Non-secret facts only; secret-looking keys are stripped anyway. */
  details?: Record<string, unknown>;
}

/** The fields covered by the hash, in their stored form. */
interface HashedFields {
  organizationId: string;
  seq: number;
  actorType: ActorType;
  actorId: string | null;
  actorLabel: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  credentialId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: unknown;
  createdAt: Date;
  prevHash: string;
}

/** SHA-256 over RFC 8785 canonical JSON, so key order and Postgres's jsonb rewriting do not matter. */
export function computeAuditHash(fields: HashedFields): string {
  const canonical = canonicalize({
    v: 1,
    organizationId: fields.organizationId,
    seq: fields.seq,
    actorType: fields.actorType,
    actorId: fields.actorId,
    actorLabel: fields.actorLabel,
    action: fields.action,
    targetType: fields.targetType,
    targetId: fields.targetId,
    credentialId: fields.credentialId,
    ip: fields.ip,
    userAgent: fields.userAgent,
    details: fields.details ?? {},
    createdAt: fields.createdAt.toISOString(),
    prevHash: fields.prevHash,
  });
  if (canonical === undefined) throw new Error('Audit event cannot be serialised');
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

/**
 * Where a request came from, for its audit row. The IP is the one express saw (its `trust proxy`
 * setting decides whether X-Forwarded-For counts), handed over in the Remix load context; without
 * a load context (scripts, some tests) the first X-Forwarded-For hop is used.
 */
export function requestOrigin(request: Request, loadContext?: unknown): { ip: string | null; userAgent: string | null } {
  const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
  const userAgent = request.headers.get('user-agent');
  return {
    ip: clientIp(loadContext) ?? (forwarded && forwarded.length <= 64 ? forwarded : 'unknown'),
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT) : null,
  };
}

/** The audit context of `actor` acting through `request`. */
export function auditContextFromRequest(request: Request, actor: AuditActor, loadContext?: unknown): AuditContext {
  return { actor, ...requestOrigin(request, loadContext) };
}

/** Context for work with no request behind it (workers, CLI). */
export function systemAuditContext(label: string, id: string | null = null): AuditContext {
  return { actor: { type: 'system', id, label }, ip: null, userAgent: null };
}

// Prisma marks interactive-transaction clients with this registered symbol (checked by a test).
const TX_SCOPE = Symbol.for('prisma.client.transaction.scope_context');

// Namespaces our advisory locks so an organization id never collides with another feature's keys.
const AUDIT_LOCK_NAMESPACE = 'latchkey.audit';

/**
 * Appends one event to the organization's chain. Call it with the transaction that makes the
 * change, so the change and its audit row commit or roll back together.
 */
export async function recordAudit(tx: Prisma.TransactionClient, event: AuditEventInput) {
  const [created] = await recordAuditBatch(tx, event.organizationId, [event]);
  return created!;
}

/**
 * Appends several events of one organization under one lock: one read of the chain's head, the
 * hashes chained in memory, one INSERT. The usage flush audits a window's agent uses with it.
 */
export async function recordAuditBatch(
  tx: Prisma.TransactionClient,
  organizationId: string,
  events: ReadonlyArray<Omit<AuditEventInput, 'organizationId'>>,
) {
  if (!(TX_SCOPE in tx)) {
    // Outside a transaction the advisory lock would be released at once and seqs could collide.
    throw new Error('recordAudit must be called with a transaction client');
  }
  if (events.length === 0) return [];

  // One writer per organization at a time: the lock lasts until this transaction ends.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${AUDIT_LOCK_NAMESPACE}), hashtext(${organizationId}))`;
  const previous = await tx.auditEvent.findFirst({
    where: { organizationId },
    orderBy: { seq: 'desc' },
    select: { seq: true, hash: true },
  });
  let seq = previous?.seq ?? 0;
  let prevHash = previous?.hash ?? GENESIS_HASH;
  // Set here (ms precision, as the column stores) so the hashed time is exactly the stored one.
  const createdAt = new Date();
  const rows = events.map((event) => {
    const { details, stripped } = sanitizeAuditDetails(event.details);
    if (stripped.length > 0) {
      logger.warn({ action: event.action, strippedKeys: stripped }, 'secret-looking keys removed from audit details');
    }
    const fields: HashedFields = {
      organizationId,
      seq: ++seq,
      actorType: event.context.actor.type,
      actorId: event.context.actor.id ?? null,
      actorLabel: event.context.actor.label,
      action: event.action,
      targetType: event.targetType ?? null,
      targetId: event.targetId ?? null,
      credentialId: event.credentialId ?? null,
      ip: event.context.ip,
      userAgent: event.context.userAgent,
      details,
      createdAt,
      prevHash,
    };
    const hash = computeAuditHash(fields);
    prevHash = hash;
    return { ...fields, details: details as Prisma.InputJsonObject, hash };
  });
  return tx.auditEvent.createManyAndReturn({ data: rows });
}

export type AuditVerification =
  | { ok: true; count: number }
  | { ok: false; count: number; firstBadSeq: number; reason: 'hash mismatch' | 'gap in sequence (row deleted)' | 'broken link' };

const VERIFY_BATCH = 1000;

/** Walks the organization's chain from seq 1 and reports the first row that does not fit. */
export async function verifyAuditChain(organizationId: string): Promise<AuditVerification> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  for (;;) {
    const rows = await prisma.auditEvent.findMany({
      where: { organizationId, seq: { gte: expectedSeq } },
      orderBy: { seq: 'asc' },
      take: VERIFY_BATCH,
    });
    for (const row of rows) {
      if (row.seq !== expectedSeq) return { ok: false, count, firstBadSeq: expectedSeq, reason: 'gap in sequence (row deleted)' };
      if (computeAuditHash(row) !== row.hash) return { ok: false, count, firstBadSeq: row.seq, reason: 'hash mismatch' };
      if (row.prevHash !== prevHash) return { ok: false, count, firstBadSeq: row.seq, reason: 'broken link' };
      prevHash = row.hash;
      expectedSeq += 1;
      count += 1;
    }
    if (rows.length < VERIFY_BATCH) return { ok: true, count };
  }
}

const optionalText = z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().max(200).optional());
const optionalDate = z.preprocess((v) => (v === '' ? undefined : v), z.coerce.date().optional());

/** Filters of the audit page and the CSV export; parse URL search params with it. */
export const auditFilterSchema = z.object({
  actorType: z.preprocess((v) => (v === '' ? undefined : v), z.enum(ACTOR_TYPES).optional()),
  actorId: optionalText,
  action: optionalText,
  credentialId: z.preprocess((v) => (v === '' ? undefined : v), z.uuid('Not a credential id').optional()),
  from: optionalDate,
  to: optionalDate,
  /** The seq of the last event of the previous page (newest first). */
  cursor: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional()),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type AuditFilter = z.input<typeof auditFilterSchema>;

/** What the portal shows of an event (id as a string, so it survives JSON). */
export interface AuditEventView {
  id: string;
  seq: number;
  createdAt: Date;
  actorType: ActorType;
  actorId: string | null;
  actorLabel: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  credentialId: string | null;
  ip: string | null;
  userAgent: string | null;
  details: AuditJson;
  hash: string;
}

function whereFor(organizationId: string, f: z.output<typeof auditFilterSchema>): Prisma.AuditEventWhereInput {
  return {
    organizationId,
    ...(f.actorType && { actorType: f.actorType }),
    ...(f.actorId && { actorId: f.actorId }),
    ...(f.action && { action: f.action }),
    ...(f.credentialId && { credentialId: f.credentialId }),
    ...((f.from || f.to) && { createdAt: { ...(f.from && { gte: f.from }), ...(f.to && { lte: f.to }) } }),
    ...(f.cursor && { seq: { lt: f.cursor } }),
  };
}

/** Newest first, keyset-paginated on seq: pass `nextCursor` back as `cursor` for the next page. */
export async function listAuditEvents(
  organizationId: string,
  filter: AuditFilter = {},
): Promise<{ events: AuditEventView[]; nextCursor: number | null }> {
  const f = auditFilterSchema.parse(filter);
  const rows = await prisma.auditEvent.findMany({
    where: whereFor(organizationId, f),
    orderBy: { seq: 'desc' },
    take: f.limit + 1,
  });
  const page = rows.slice(0, f.limit);
  const events = page.map(({ id, prevHash: _prev, organizationId: _org, ...rest }) => ({
    ...rest,
    id: id.toString(),
    details: rest.details as AuditJson,
  }));
  return { events, nextCursor: rows.length > f.limit ? (page.at(-1)?.seq ?? null) : null };
}

export const AUDIT_CSV_COLUMNS = [
  'seq',
  'createdAt',
  'actorType',
  'actorId',
  'actorLabel',
  'action',
  'targetType',
  'targetId',
  'credentialId',
  'ip',
  'userAgent',
  'details',
  'hash',
] as const;

/** Spreadsheets run cells starting with = + - @ as formulas; a leading quote keeps them text. */
function neutraliseFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/**
 * The filtered events (all pages, newest first) as a CSV byte stream for a Response body.
 * The `cursor`/`limit` of the filter are ignored: an export is the whole selection.
 */
export function auditEventsCsv(organizationId: string, filter: AuditFilter = {}): ReadableStream<Uint8Array> {
  const base = auditFilterSchema.parse({ ...filter, cursor: undefined, limit: 500 });
  async function* rows() {
    let cursor: number | undefined;
    for (;;) {
      const page = await listAuditEvents(organizationId, { ...base, cursor });
      for (const e of page.events) {
        yield {
          ...e,
          createdAt: e.createdAt.toISOString(),
          details: JSON.stringify(e.details),
        };
      }
      if (page.nextCursor === null) return;
      cursor = page.nextCursor;
    }
  }
  const csv = stringify({
    header: true,
    columns: [...AUDIT_CSV_COLUMNS],
    cast: { string: neutraliseFormula },
  });
  // pipeline() destroys the CSV stream if reading the database fails, so the response errors out.
  const out = pipeline(Readable.from(rows()), csv, (error) => {
    if (error) logger.error({ err: error, organizationId }, 'audit CSV export failed');
  });
  return Readable.toWeb(out) as ReadableStream<Uint8Array>;
}
