// Wraps and unwraps data keys under master keys; the local keyring by default, a cloud KMS can implement the same interface.
import { getEnv } from '~/config/env.server';
import { KEY_BYTES, openEnvelope, sealEnvelope } from './envelope.server';
import { VaultError } from './errors';

export interface WrappedKey {
  wrapped: Buffer;
  /** Which master key wrapped it; stored beside the wrapped key so unwrap knows which one to use. */
  masterKeyId: string;
}

/** The only thing that touches master keys. A KMS implementation would call the provider's encrypt/decrypt. */
export interface KeyWrapper {
  /** Provider name, e.g. "local". */
  readonly id: string;
  /** The master key new wraps use. */
  readonly activeMasterKeyId: string;
  /** Every master key this wrapper can unwrap with, when it can list them (a KMS may not). */
  readonly masterKeyIds?: readonly string[];
  wrap(plain: Buffer, aad: Buffer): Promise<WrappedKey>;
  unwrap(wrapped: Buffer, masterKeyId: string, aad: Buffer): Promise<Buffer>;
}

/** Parses "id:base64key,…" (first one active) into ordered entries; rejects duplicates and wrong sizes. */
export function parseMasterKeys(spec: string): Array<{ id: string; key: Buffer }> {
  const entries = spec
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const colon = pair.indexOf(':');
      const id = pair.slice(0, colon);
      const key = Buffer.from(pair.slice(colon + 1), 'base64');
      if (colon <= 0 || !/^[A-Za-z0-9_-]+$/.test(id)) {
        throw new VaultError('key_unavailable', 'LATCHKEY_MASTER_KEYS: every entry must be "id:base64key"');
      }
      if (key.length !== KEY_BYTES) {
        throw new VaultError('key_unavailable', `LATCHKEY_MASTER_KEYS: master key "${id}" must be 32 bytes`);
      }
      return { id, key };
    });
  if (entries.length === 0) throw new VaultError('key_unavailable', 'LATCHKEY_MASTER_KEYS is empty');
  const ids = new Set(entries.map((e) => e.id));
  if (ids.size !== entries.length) throw new VaultError('key_unavailable', 'LATCHKEY_MASTER_KEYS: duplicate master key id');
  return entries;
}

/** Master keys from LATCHKEY_MASTER_KEYS, held in process memory; wraps with AES-256-GCM in our envelope format. */
export class LocalKeyWrapper implements KeyWrapper {
  readonly id = 'local';
  readonly activeMasterKeyId: string;
  readonly masterKeyIds: readonly string[];
  readonly #keys: Map<string, Buffer>;

  constructor(spec: string) {
    const entries = parseMasterKeys(spec);
    this.#keys = new Map(entries.map((e) => [e.id, e.key]));
    this.masterKeyIds = entries.map((e) => e.id);
    this.activeMasterKeyId = entries[0]!.id;
  }

  async wrap(plain: Buffer, aad: Buffer): Promise<WrappedKey> {
    const key = this.#keys.get(this.activeMasterKeyId)!;
    return { wrapped: sealEnvelope(key, plain, aad), masterKeyId: this.activeMasterKeyId };
  }

  async unwrap(wrapped: Buffer, masterKeyId: string, aad: Buffer): Promise<Buffer> {
    const key = this.#keys.get(masterKeyId);
    if (!key) {
      throw new VaultError('key_unavailable', `Master key "${masterKeyId}" is not in LATCHKEY_MASTER_KEYS`);
    }
    return openEnvelope(key, wrapped, aad);
  }
}

let current: KeyWrapper | undefined;

/** The process's key wrapper; the local keyring from the environment unless another was installed. */
export function getKeyWrapper(): KeyWrapper {
  current ??= new LocalKeyWrapper(getEnv().LATCHKEY_MASTER_KEYS);
  return current;
}

/** Installs another wrapper (a KMS, or a test keyring). Cached data keys stay valid: their plaintext does not change. */
export function setKeyWrapper(wrapper: KeyWrapper | undefined): void {
  current = wrapper;
}
