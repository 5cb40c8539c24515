// Turns audit details into plain JSON with every secret-looking key removed, defensively.
//
// Callers should never pass secrets, but audit rows are permanent and exported as CSV, so a
// mistake must not become a leak: keys whose last word names a secret (value, token, key,
// password, secret…) are dropped at any depth, and their paths are reported for a warning.

export type AuditJson = string | number | boolean | null | AuditJson[] | { [key: string]: AuditJson };

const SECRET_WORDS = new Set([
  'value',
  'values',
  'secret',
  'secrets',
  'password',
  'passwords',
  'passwd',
  'pwd',
  'passphrase',
  'token',
  'tokens',
  'key',
  'keys',
  'apikey',
  'authorization',
  'auth',
  'cookie',
  'cookies',
  'credentials',
  'plaintext',
  'ciphertext',
  'bearer',
  'signature',
  'otp',
  'pin',
]);

/** Words of a key: camelCase, snake_case, kebab-case and dotted keys are all split. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** True for keys like `value`, `accessToken`, `client_secret`, `X-Api-Key`, `newPassword`. */
export function isSecretLookingKey(key: string): boolean {
  const parts = words(key);
  const last = parts.at(-1);
  if (last === undefined) return false;
  return SECRET_WORDS.has(last) || parts.includes('password') || parts.includes('secret') || key.toLowerCase().replace(/[^a-z]/g, '') === 'apikey';
}

export interface SanitizedDetails {
  details: { [key: string]: AuditJson };
  /** Paths of removed keys (never their values). */
  stripped: string[];
}

function clean(input: unknown, path: string, stripped: string[], depth: number): AuditJson | undefined {
  if (depth > 8) {
    stripped.push(`${path} (too deep)`);
    return undefined;
  }
  if (input === null) return null;
  // jsonb cannot store NUL characters; dropping them keeps the insert (and the change) from failing.
  if (typeof input === 'string') return input.replaceAll('\u0000', '');
  if (typeof input === 'boolean') return input;
  if (typeof input === 'number') return Number.isFinite(input) ? input : null;
  if (typeof input === 'bigint') return input.toString();
  if (input instanceof Date) return input.toISOString();
  if (Array.isArray(input)) {
    return input.map((item, i) => clean(item, `${path}[${i}]`, stripped, depth + 1) ?? null);
  }
  if (typeof input === 'object') {
    const out: { [key: string]: AuditJson } = {};
    for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
      const childPath = path ? `${path}.${key}` : key;
      if (isSecretLookingKey(key)) {
        stripped.push(childPath);
        continue;
      }
      const cleaned = clean(value, childPath, stripped, depth + 1);
      if (cleaned !== undefined) out[key] = cleaned;
    }
    return out;
  }
  // Functions, symbols and undefined have no JSON form.
  return undefined;
}

export function sanitizeAuditDetails(details: unknown): SanitizedDetails {
  const stripped: string[] = [];
  if (details === undefined || details === null) return { details: {}, stripped };
  const cleaned = clean(details, '', stripped, 0);
  const object = cleaned !== null && typeof cleaned === 'object' && !Array.isArray(cleaned) ? cleaned : { data: cleaned ?? null };
  return { details: object, stripped };
}
