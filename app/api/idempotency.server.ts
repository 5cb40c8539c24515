// Idempotency-Key on POST: the first answer to a (caller, key) is kept for 24 hours, sealed by the vault, and replayed to a retry of the same request.
import crypto from 'node:crypto';
import canonicalize from 'canonicalize';
import { prisma } from '~/db.server';
import { openSecret, sealSecret } from '~/vault/vault.server';
import { ApiError } from './errors.server';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** A first request that has not finished after this long is taken to have died: a retry may run it again. */
const STALE_IN_PROGRESS_MS = 60_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

export interface StoredAnswer {
  status: number;
  body: unknown;
}

export type IdempotencyStart = { kind: 'new'; finish: (answer: StoredAnswer) => Promise<void>; abandon: () => Promise<void> } | { kind: 'replay'; answer: StoredAnswer };

/** The request's fingerprint: method, path and its parsed body (files by their SHA-256), canonical JSON. */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  const text = canonicalize({ method, path, body: body ?? null }) ?? '';
  return crypto.createHash('sha256').update(text).digest('hex');
}

export function parseIdempotencyKey(header: string | string[] | undefined): string | null {
  if (header === undefined) return null;
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !KEY_PATTERN.test(value)) {
    throw new ApiError(400, 'validation_failed', 'Idempotency-Key must be 1 to 200 printable ASCII characters', {
      'Idempotency-Key': ['Use 1 to 200 printable ASCII characters, for example a UUID'],
    });
  }
  return value;
}

function location(organizationId: string, principal: string, key: string) {
  // The vault binds the ciphertext to this caller and key: a stored answer cannot be moved to another.
  return { organizationId, credentialId: `idempotency:${principal}`, field: key };
}

/**
 * Claims the key for this request, or finds the answer to replay. The same key with another request is 422;
 * while the first is still running, 409.
 */
export async function beginIdempotent(organizationId: string, principal: string, key: string, fingerprint: string, now = new Date()): Promise<IdempotencyStart> {
  // Old records go first, so an expired key starts over.
  await prisma.idempotencyRecord.deleteMany({ where: { principal, key, createdAt: { lt: new Date(now.getTime() - IDEMPOTENCY_TTL_MS) } } });
  const claimed = await prisma.idempotencyRecord.createMany({ data: [{ principal, key, organizationId, fingerprint }], skipDuplicates: true });
  const claim = {
    kind: 'new' as const,
    finish: async (answer: StoredAnswer) => {
      const sealed = await sealSecret({ ...location(organizationId, principal, key), plaintext: JSON.stringify(answer) });
      await prisma.idempotencyRecord.updateMany({
        where: { principal, key },
        data: { status: answer.status, body: new Uint8Array(sealed.ciphertext), keyVersion: sealed.keyVersion, completedAt: new Date() },
      });
    },
    abandon: async () => {
      await prisma.idempotencyRecord.deleteMany({ where: { principal, key, completedAt: null } });
    },
  };
  if (claimed.count === 1) return claim;

  const existing = await prisma.idempotencyRecord.findUnique({ where: { principal_key: { principal, key } } });
  if (!existing) return beginIdempotent(organizationId, principal, key, fingerprint, now);
  if (existing.fingerprint !== fingerprint) {
    throw new ApiError(422, 'idempotency_key_reused', 'This Idempotency-Key was used for a different request; use a new key for a new request');
  }
  if (!existing.completedAt || !existing.body || existing.keyVersion === null) {
    if (now.getTime() - existing.createdAt.getTime() > STALE_IN_PROGRESS_MS) {
      await prisma.idempotencyRecord.updateMany({ where: { principal, key, completedAt: null }, data: { createdAt: now } });
      return claim;
    }
    throw new ApiError(409, 'idempotency_in_progress', 'A request with this Idempotency-Key is still being processed; retry in a moment');
  }
  let plaintext: Buffer;
  try {
    plaintext = await openSecret({ ...location(organizationId, principal, key), ciphertext: existing.body, keyVersion: existing.keyVersion });
  } catch {
    // Sealed under a data key rotated away since (ADR 012): the answer is gone, and running again could do it twice.
    throw new ApiError(422, 'idempotency_key_reused', 'The first answer to this Idempotency-Key can no longer be replayed; check the result, then retry with a new key');
  }
  return { kind: 'replay', answer: JSON.parse(plaintext.toString('utf8')) as StoredAnswer };
}

/** Removes records past their 24 hours (the maintenance job calls it). */
export async function pruneIdempotencyRecords(now = new Date()): Promise<number> {
  const { count } = await prisma.idempotencyRecord.deleteMany({ where: { createdAt: { lt: new Date(now.getTime() - IDEMPOTENCY_TTL_MS) } } });
  return count;
}
