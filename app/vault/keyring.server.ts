// Organization data keys: created wrapped, unwrapped on demand, and cached briefly in process memory only.
import crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { onInvalidation } from '~/cluster/invalidation.server';
import { registerStatefulModule } from '~/cluster/stateful-modules.server';
import { prisma } from '~/db.server';
import type { Prisma } from '~/generated/prisma/client';
import { dataKeyAad, KEY_BYTES } from './envelope.server';
import { VaultError } from './errors';
import { getKeyWrapper } from './key-wrapper.server';

/** A Prisma client or an interactive-transaction client. */
export type Db = Prisma.TransactionClient;

export interface DataKeyCacheOptions {
  /** Most data keys held at once. */
  max: number;
  /** How long an unwrapped key may stay in memory, in milliseconds. */
  ttlMs: number;
}

const DEFAULT_CACHE: DataKeyCacheOptions = { max: 1000, ttlMs: 5 * 60_000 };

function newCache({ max, ttlMs }: DataKeyCacheOptions) {
  return new LRUCache<string, Buffer>({
    max,
    ttl: ttlMs,
    // Timers (unref'd) remove expired keys even when nobody asks for them, so they are zeroed on time.
    ttlAutopurge: true,
    // Every key leaving the cache (evicted, expired, replaced, cleared) is overwritten.
    dispose: (key) => key.fill(0),
  });
}

let cache = newCache(DEFAULT_CACHE);

/** Replaces the data-key cache (zeroing what it held); for tests and tuning. */
export function configureDataKeyCache(options: Partial<DataKeyCacheOptions> = {}): void {
  cache.clear();
  cache = newCache({ ...DEFAULT_CACHE, ...options });
}

/** Drops (and zeroes) every cached data key. */
export function clearDataKeyCache(): void {
  cache.clear();
}

export function dataKeyCacheSize(): number {
  return cache.size;
}

/** Drops (and zeroes) the cached data keys of one organization, or of all when null. */
export function forgetDataKeys(organizationId: string | null): void {
  if (organizationId === null) return cache.clear();
  for (const id of [...cache.keys()]) if (id.startsWith(`${organizationId}/`)) cache.delete(id);
}

registerStatefulModule('vault/data-key-cache', import.meta.url);
// A rotation (new active version) or a removed key anywhere: no process keeps the old key in memory.
onInvalidation('data-keys', (event) => forgetDataKeys(event.organizationId));

function cacheId(organizationId: string, version: number): string {
  return `${organizationId}/${version}`;
}

/** The cached buffer itself, without loading; tests use it to see that eviction zeroes keys. */
export function peekCachedDataKey(organizationId: string, version: number): Buffer | undefined {
  return cache.peek(cacheId(organizationId, version));
}

/**
 * Runs `use` with the organization's data key of `version`. `use` must be synchronous: a cached
 * buffer may be zeroed by a later eviction, so nobody may hold it across an await.
 * Keys loaded through a transaction are not cached (the transaction may still roll back).
 */
export async function withDataKey<T>(
  organizationId: string,
  version: number,
  use: (key: Buffer) => T,
  tx?: Db,
): Promise<T> {
  const id = cacheId(organizationId, version);
  const cached = cache.get(id);
  if (cached) return use(cached);

  const key = await unwrapDataKey(tx ?? prisma, organizationId, version);
  const hit = cache.get(id);
  if (hit) {
    // Another caller loaded it meanwhile; keep theirs.
    key.fill(0);
    return use(hit);
  }
  if (tx) {
    try {
      return use(key);
    } finally {
      key.fill(0);
    }
  }
  cache.set(id, key);
  return use(key);
}

/** Synchronous cache lookup for hot paths; undefined when the key is not cached. */
export function cachedDataKey(organizationId: string, version: number): Buffer | undefined {
  return cache.get(cacheId(organizationId, version));
}

async function unwrapDataKey(db: Db, organizationId: string, version: number): Promise<Buffer> {
  const row = await db.organizationDataKey.findUnique({
    where: { organizationId_version: { organizationId, version } },
    select: { wrappedKey: true, masterKeyId: true },
  });
  if (!row) throw new VaultError('cannot_open', 'The secret cannot be opened');
  return getKeyWrapper().unwrap(Buffer.from(row.wrappedKey), row.masterKeyId, dataKeyAad(organizationId, version));
}

/** Generates a data key, stores it wrapped under the active master key; the plaintext is zeroed before returning. */
export async function insertDataKey(db: Db, organizationId: string, version: number): Promise<{ masterKeyId: string }> {
  const plain = crypto.randomBytes(KEY_BYTES);
  try {
    const { wrapped, masterKeyId } = await getKeyWrapper().wrap(plain, dataKeyAad(organizationId, version));
    await db.organizationDataKey.create({
      data: { organizationId, version, wrappedKey: new Uint8Array(wrapped), masterKeyId },
    });
    return { masterKeyId };
  } finally {
    plain.fill(0);
  }
}

/**
 * Gives a new organization its data key (version = its activeKeyVersion, 1 for a new one).
 * Call inside the transaction that creates the organization, so neither exists without the other.
 */
export async function createOrganizationDataKey(tx: Db, organizationId: string): Promise<{ version: number }> {
  const org = await tx.organization.findUnique({ where: { id: organizationId }, select: { activeKeyVersion: true } });
  if (!org) throw new VaultError('not_found', 'Organization not found');
  await insertDataKey(tx, organizationId, org.activeKeyVersion);
  return { version: org.activeKeyVersion };
}
