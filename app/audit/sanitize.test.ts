// Which detail keys count as secret-looking, and how odd values become plain JSON.
import { describe, expect, it } from 'vitest';
import { isSecretLookingKey, sanitizeAuditDetails } from './sanitize';

describe('sanitizeAuditDetails', () => {
  it.each(['value', 'secret', 'password', 'token', 'key', 'apiKey', 'api_key', 'X-Api-Key', 'accessToken', 'refresh_token', 'clientSecret', 'newPassword', 'passwordHash', 'Authorization', 'cookie', 'secretAccessKey', 'ciphertext'])(
    '%s looks secret',
    (key) => expect(isSecretLookingKey(key)).toBe(true),
  );

  it.each(['name', 'credentialId', 'keyVersion', 'tokenExpiresAt', 'service', 'fieldNames', 'oauthProvider', 'username', 'scopes'])(
    '%s does not look secret',
    (key) => expect(isSecretLookingKey(key)).toBe(false),
  );

  it('removes secret keys at any depth and reports their paths, never their values', () => {
    const result = sanitizeAuditDetails({ a: { b: [{ token: 't', ok: 1 }] }, password: 'p', when: new Date(0), n: Infinity, big: 10n, fn: () => 1 });
    expect(result.details).toEqual({ a: { b: [{ ok: 1 }] }, when: '1970-01-01T00:00:00.000Z', n: null, big: '10' });
    expect(result.stripped).toEqual(['a.b[0].token', 'password']);
    expect(JSON.stringify(result)).not.toContain('"p"');
  });

  it('drops NUL characters, which jsonb cannot store', () => {
    expect(sanitizeAuditDetails({ note: 'a\u0000b' }).details).toEqual({ note: 'ab' });
  });

  it('wraps a non-object into { data } and treats missing details as {}', () => {
    expect(sanitizeAuditDetails(undefined).details).toEqual({});
    expect(sanitizeAuditDetails(['x']).details).toEqual({ data: ['x'] });
  });
});
