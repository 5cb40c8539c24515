// The versioned AES-256-GCM envelope (see docs/decisions/001-envelope-encryption.md) and the associated data it binds.
import crypto from 'node:crypto';
import { VaultError } from './errors';

/** Byte 0 of every envelope. A new scheme gets a new number; openers dispatch on it. */
export const FORMAT_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;
export const KEY_BYTES = 32;

/** Smallest possible envelope: header + tag around an empty plaintext. */
export const MIN_ENVELOPE_BYTES = HEADER_BYTES + TAG_BYTES;

/**
 * Seals `plaintext` under `key`: [version:1][nonce:12][ciphertext:n][tag:16].
 * `aad` comes from secretAad/dataKeyAad, whose first byte is the format version, so the
 * version byte is authenticated too.
 */
export function sealEnvelope(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + plaintext.length + TAG_BYTES);
  out[0] = FORMAT_VERSION;
  // A fresh random 96-bit nonce per seal; at our volumes per data key the collision bound is negligible.
  crypto.randomFillSync(out, 1, NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, out.subarray(1, HEADER_BYTES), { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const written = cipher.update(plaintext);
  written.copy(out, HEADER_BYTES);
  const final = cipher.final();
  final.copy(out, HEADER_BYTES + written.length);
  written.fill(0);
  cipher.getAuthTag().copy(out, out.length - TAG_BYTES);
  return out;
}

/** Opens an envelope made by sealEnvelope; any mismatch (key, data, tag, version) is 'cannot_open'. */
export function openEnvelope(key: Buffer, envelope: Uint8Array, aad: Buffer): Buffer {
  if (envelope.length < MIN_ENVELOPE_BYTES || envelope[0] !== FORMAT_VERSION) {
    throw new VaultError('cannot_open', 'The secret cannot be opened');
  }
  const bytes = Buffer.isBuffer(envelope) ? envelope : Buffer.from(envelope.buffer, envelope.byteOffset, envelope.length);
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, bytes.subarray(1, HEADER_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad);
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const body = decipher.update(bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES));
    const final = decipher.final();
    if (final.length === 0) return body;
    const joined = Buffer.concat([body, final]);
    body.fill(0);
    return joined;
  } catch {
    throw new VaultError('cannot_open', 'The secret cannot be opened');
  }
}

/**
 * Unambiguous associated data: the format version, a purpose label, then each part
 * length-prefixed (2 bytes) so ("ab","c") and ("a","bc") never collide; numbers are 4-byte big-endian.
 */
function encodeAad(purpose: string, parts: string[], numbers: number[]): Buffer {
  // One allocation, strings written in place: this runs on every open.
  let size = 1 + 2 + Buffer.byteLength(purpose) + numbers.length * 4;
  for (const part of parts) size += 2 + Buffer.byteLength(part);
  const out = Buffer.allocUnsafe(size);
  out[0] = FORMAT_VERSION;
  let offset = 1;
  for (const s of [purpose, ...parts]) {
    const length = Buffer.byteLength(s);
    if (length > 0xffff) throw new VaultError('cannot_open', 'Associated data part too long');
    offset = out.writeUInt16BE(length, offset);
    offset += out.write(s, offset, 'utf8');
  }
  for (const n of numbers) offset = out.writeUInt32BE(n, offset);
  return out;
}

/** Where a secret field lives: organization, credential, field name and the data-key version that sealed it. */
export function secretAad(organizationId: string, credentialId: string, field: string, keyVersion: number): Buffer {
  return encodeAad('latchkey/secret', [organizationId, credentialId, field], [keyVersion]);
}

/** Which organization and version a wrapped data key belongs to, so a wrapped key cannot be moved either. */
export function dataKeyAad(organizationId: string, version: number): Buffer {
  return encodeAad('latchkey/data-key', [organizationId], [version]);
}
