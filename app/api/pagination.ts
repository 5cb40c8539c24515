// Opaque cursors of the API's lists: a position bound to the filters it was made for (a cursor used with other filters is refused).
import crypto from 'node:crypto';
import { z } from 'zod';
import { ApiError } from './errors.server';

export const limitSchema = z.coerce
  .number({ error: 'limit is a number from 1 to 100' })
  .int('limit is a whole number from 1 to 100')
  .min(1, 'limit is at least 1')
  .max(100, 'limit is at most 100')
  .default(50);

function bind(fingerprint: string): string {
  return crypto.createHash('sha256').update(fingerprint).digest('base64url').slice(0, 12);
}

export function encodeCursor(position: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ p: position, f: bind(fingerprint) })).toString('base64url');
}

const cursorShape = z.object({ p: z.int().min(0).max(2_147_483_647), f: z.string() });

export function decodeCursor(cursor: string, fingerprint: string): number {
  let parsed: z.infer<typeof cursorShape> | null = null;
  try {
    const result = cursorShape.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    parsed = result.success ? result.data : null;
  } catch {
    parsed = null;
  }
  if (!parsed) throw new ApiError(400, 'validation_failed', 'The cursor is not one this API gave out', { cursor: ['Pass nextCursor from the previous page unchanged'] });
  if (parsed.f !== bind(fingerprint)) {
    throw new ApiError(400, 'validation_failed', 'The cursor belongs to a listing with other filters', { cursor: ['Start again without a cursor when you change the filters'] });
  }
  return parsed.p;
}
