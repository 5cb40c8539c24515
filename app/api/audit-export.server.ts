// Streams the filtered audit log to an API client as NDJSON (one event per line) or the portal's CSV.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { auditEventsCsv, auditFilterSchema, listAuditEvents, type AuditFilter } from '~/audit/audit.server';
import { logger } from '~/logger.server';

async function* ndjsonLines(organizationId: string, filter: AuditFilter | null) {
  if (!filter) return;
  const base = auditFilterSchema.parse({ ...filter, cursor: undefined, limit: 500 });
  let cursor: number | undefined;
  for (;;) {
    const page = await listAuditEvents(organizationId, { ...base, cursor });
    for (const { id: _id, ...event } of page.events) yield `${JSON.stringify({ ...event, createdAt: event.createdAt.toISOString() })}\n`;
    if (page.nextCursor === null) return;
    cursor = page.nextCursor;
  }
}

/** Writes the export; `filter` null (a credential filter that matches nothing) gives an empty export. */
export async function streamAuditExport(res: Response, organizationId: string, filter: AuditFilter | null, format: 'ndjson' | 'csv'): Promise<void> {
  const day = new Date().toISOString().slice(0, 10);
  res.status(200);
  res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="audit-${day}.${format === 'csv' ? 'csv' : 'ndjson'}"`);
  const source =
    format === 'csv'
      ? filter
        ? Readable.fromWeb(auditEventsCsv(organizationId, filter) as import('node:stream/web').ReadableStream)
        : Readable.from([])
      : Readable.from(ndjsonLines(organizationId, filter));
  try {
    await pipeline(source, res);
  } catch (error) {
    logger.error({ err: error, organizationId }, 'audit export stream failed');
    res.destroy();
  }
}
