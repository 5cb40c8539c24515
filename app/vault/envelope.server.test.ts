import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dataKeyAad, FORMAT_VERSION, openEnvelope, sealEnvelope, secretAad } from './envelope.server';
import { isVaultError } from './errors';

const key = crypto.randomBytes(32);
const aad = secretAad('org-1', 'cred-1', 'key', 1);

function expectCannotOpen(fn: () => unknown) {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isVaultError(caught, 'cannot_open')).toBe(true);
}

describe('envelope format', () => {
  it('is version byte, 12-byte nonce, ciphertext, 16-byte tag, and opens back', () => {
    const sealed = sealEnvelope(key, Buffer.from('hello'), aad);
    expect(sealed[0]).toBe(FORMAT_VERSION);
    expect(sealed.length).toBe(1 + 12 + 5 + 16);
    expect(openEnvelope(key, sealed, aad).toString()).toBe('hello');
  });

  it('an empty plaintext seals and opens', () => {
    expect(openEnvelope(key, sealEnvelope(key, Buffer.alloc(0), aad), aad).length).toBe(0);
  });

  it('a single flipped bit anywhere (version, nonce, body, tag) fails to open', () => {
    const sealed = sealEnvelope(key, Buffer.from('a secret value'), aad);
    for (let i = 0; i < sealed.length; i++) {
      const tampered = Buffer.from(sealed);
      tampered[i]! ^= 0x01;
      expectCannotOpen(() => openEnvelope(key, tampered, aad));
    }
  });

  it('a truncated envelope or another key fails to open', () => {
    const sealed = sealEnvelope(key, Buffer.from('x'), aad);
    expectCannotOpen(() => openEnvelope(key, sealed.subarray(0, 20), aad));
    expectCannotOpen(() => openEnvelope(crypto.randomBytes(32), sealed, aad));
  });

  it('associated data binds organization, credential, field and key version', () => {
    const sealed = sealEnvelope(key, Buffer.from('v'), aad);
    for (const other of [
      secretAad('org-2', 'cred-1', 'key', 1),
      secretAad('org-1', 'cred-2', 'key', 1),
      secretAad('org-1', 'cred-1', 'password', 1),
      secretAad('org-1', 'cred-1', 'key', 2),
      dataKeyAad('org-1', 1),
    ]) {
      expectCannotOpen(() => openEnvelope(key, sealed, other));
    }
  });

  it('parts are length-prefixed, so shifting characters between them changes the associated data', () => {
    expect(secretAad('ab', 'c', 'f', 1).equals(secretAad('a', 'bc', 'f', 1))).toBe(false);
  });

  it('10,000 seals use 10,000 distinct nonces', () => {
    const nonces = new Set<string>();
    const plain = Buffer.from('same plaintext every time');
    for (let i = 0; i < 10_000; i++) nonces.add(sealEnvelope(key, plain, aad).subarray(1, 13).toString('hex'));
    expect(nonces.size).toBe(10_000);
  });
});
