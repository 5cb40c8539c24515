// The redactor: every form of a value Latchkey sent is removed from what a provider says back, and nothing else is.
import { describe, expect, it } from 'vitest';
import { REDACTED, redactorFor, secretForms } from './redact';

const SECRET = 'Planted/Secret+0123456789&"é"';

describe('redacting what Latchkey sent', () => {
  it('removes the raw value and its base64, base64url, URL-encoded, form-encoded, JSON- and HTML-escaped forms', () => {
    const r = redactorFor({ secrets: [SECRET] });
    const b64 = Buffer.from(SECRET).toString('base64');
    const samples = [
      SECRET,
      b64,
      b64.replace(/=+$/, ''),
      Buffer.from(SECRET).toString('base64url'),
      encodeURIComponent(SECRET),
      encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      new URLSearchParams({ s: SECRET }).toString().slice(2),
      JSON.stringify(SECRET).slice(1, -1),
      JSON.stringify(SECRET).slice(1, -1).replace(/\//g, '\\/'),
      SECRET.replace(/&/g, '&amp;').replace(/"/g, '&quot;'),
    ];
    for (const sample of samples) {
      const out = r.redact(`provider says: ${sample} (bad)`);
      expect(out, sample).toBe(`provider says: ${REDACTED} (bad)`);
      expect(r.matches(sample), sample).toBe(true);
    }
  });

  it('removes a Basic client credential however it was encoded, and the value inside base64 of a longer text', () => {
    const r = redactorFor({ basic: [{ username: 'my client', password: SECRET }] });
    const sent = Buffer.from(`${encodeURIComponent('my client')}:${encodeURIComponent(SECRET)}`).toString('base64');
    const plain = Buffer.from(`my client:${SECRET}`).toString('base64');
    expect(r.redact(`Authorization: Basic ${sent}`)).toBe(`Authorization: Basic ${REDACTED}`);
    expect(r.redact(`Authorization: Basic ${plain}`)).toBe(`Authorization: Basic ${REDACTED}`);
    // Any alignment: the secret embedded at offsets 0, 1 and 2 of a base64-encoded JSON body.
    for (const prefix of ['', 'a', 'ab', '{"client_secret":"']) {
      const embedded = Buffer.from(`${prefix}${SECRET}","x":1}`).toString('base64');
      const out = r.redact(embedded);
      expect(out, prefix).toContain(REDACTED);
      expect(Buffer.from(out.split(REDACTED).join(''), 'base64').toString('utf8')).not.toContain(SECRET.slice(2, -2));
    }
  });

  it('leaves ordinary text alone, ignores empty and very short values, and redacts before it shortens', () => {
    const r = redactorFor({ secrets: [null, undefined, '', 'abc', SECRET] });
    expect(r.redact('invalid_grant: the refresh token expired')).toBe('invalid_grant: the refresh token expired');
    expect(secretForms('abc')).toEqual([]);
    // A value straddling the cut would leave its first half behind if the text were cut first.
    const text = `${'x'.repeat(290)}${SECRET}`;
    expect(r.redactShort(text, 300)).toBe(`${'x'.repeat(290)}${REDACTED}`.slice(0, 300));
    expect(r.redactShort(text, 300)).not.toContain(SECRET.slice(0, 8));
  });

  it('redacts every string inside a JSON value, keys included', () => {
    const r = redactorFor({ secrets: [SECRET] });
    expect(r.redactDeep({ error: 'x', echo: [SECRET, { [SECRET]: encodeURIComponent(SECRET) }], n: 1 })).toEqual({
      error: 'x',
      echo: [REDACTED, { [REDACTED]: REDACTED }],
      n: 1,
    });
  });
});
