// Bearer tokens Latchkey issues (agent lk_…, management lkm_…): 32 random bytes, shown once, stored only as a SHA-256.
import crypto from 'node:crypto';

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new token with its hash and the prefix shown in lists (`visible` characters after the kind's prefix). */
export function newBearerToken(kind: string, visible: number): { token: string; tokenHash: string; prefix: string } {
  const token = kind + crypto.randomBytes(32).toString('base64url');
  return { token, tokenHash: hashToken(token), prefix: token.slice(0, kind.length + visible) };
}
