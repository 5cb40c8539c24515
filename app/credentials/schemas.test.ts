// Credential input schemas: names, descriptions, expiry dates and the catalog's per-service format checks.
import { parseWithZod } from '@conform-to/zod/v4';
import { describe, expect, it } from 'vitest';
import { expiryFormValues, expiryInstant, formatInstant, isIanaTimeZone } from '~/credentials/expiry';
import {
  baseUrlSchema,
  createCredentialSchema,
  credentialMetadataUpdateSchema,
  editCredentialSchema,
  expectedVersionSchema,
  expiryFromEditForm,
  credentialNameSchema,
  fieldErrorsFromZod,
  futureExpiresAtSchema,
} from '~/credentials/schemas';

describe('credential names', () => {
  it('accept letters, digits, "-", "_" and ":" (github_token:botty names a second token)', () => {
    for (const name of ['github_token', 'github_token:botty', 'OpenAI-prod_2', 'a']) {
      expect(credentialNameSchema.safeParse(name).success, name).toBe(true);
    }
  });

  it('refuse spaces, slashes, dots, empty and over-long names with a clear message', () => {
    for (const name of ['has space', 'a/b', 'x.y', '', 'ü', 'a'.repeat(101)]) {
      const result = credentialNameSchema.safeParse(name);
      expect(result.success, name).toBe(false);
    }
    expect(credentialNameSchema.safeParse('a b').error?.issues[0]?.message).toMatch(/letters, digits/);
  });
});

describe('expiry dates', () => {
  it('are optional, must lie in the future, and a bare date (no time zone said) means the end of that day in UTC', () => {
    expect(futureExpiresAtSchema.parse('')).toBeNull();
    expect(futureExpiresAtSchema.parse(undefined)).toBeNull();
    expect(futureExpiresAtSchema.parse('2099-03-04')?.toISOString()).toBe('2099-03-04T23:59:59.999Z');
    expect(futureExpiresAtSchema.safeParse('2000-01-01').error?.issues[0]?.message).toBe('The expiry date must be in the future');
    expect(futureExpiresAtSchema.safeParse('soon').error?.issues[0]?.message).toMatch(/valid date/);
  });

  it('an edit may leave the expiry alone, clear it, or set it', () => {
    expect(credentialMetadataUpdateSchema.parse({})).toEqual({});
    expect(credentialMetadataUpdateSchema.parse({ expiresAt: '' })).toEqual({ expiresAt: null });
    expect(credentialMetadataUpdateSchema.safeParse({ description: 'x'.repeat(501) }).success).toBe(false);
  });
});

describe('the add-credential form schema', () => {
  it('applies the catalog format check to the secret field, keyed fields.key', () => {
    const result = createCredentialSchema('github', 'api_key').safeParse({
      name: 'gh',
      service: 'github',
      type: 'api_key',
      fields: { key: 'not-a-token-at-all-xxxxxxxxxxxxx' },
    });
    expect(result.success).toBe(false);
    expect(fieldErrorsFromZod(result.error!)).toEqual({ 'fields.key': ['GitHub tokens start with ghp_ or github_pat_'] });
  });

  it('works with conform: nested inputs named fields.username and fields.password', () => {
    const form = new FormData();
    form.set('name', 'mail:bot');
    form.set('service', 'custom');
    form.set('type', 'password');
    form.set('fields.username', 'bot@example.com');
    form.set('fields.password', '');
    form.set('baseUrl', 'https://mail.example.com/api/');
    const submission = parseWithZod(form, { schema: createCredentialSchema('custom', 'password') });
    expect(submission.status).toBe('error');
    expect(submission.reply().error).toEqual({ 'fields.password': ['Password is required'] });
    form.set('fields.password', 'hunter2hunter2');
    const ok = parseWithZod(form, { schema: createCredentialSchema('custom', 'password') });
    expect(ok.status).toBe('success');
    expect(ok.status === 'success' && ok.value).toMatchObject({
      name: 'mail:bot',
      description: '',
      baseUrl: 'https://mail.example.com/api',
      fields: { username: 'bot@example.com', password: 'hunter2hunter2' },
    });
  });
});

describe('expiry in the person\'s time zone', () => {
  it('a date picked in Los Angeles expires at 23:59:59.999 that day there, not the evening before', () => {
    const instant = expiryInstant('2030-12-03', null, 'America/Los_Angeles')!;
    expect(instant.toISOString()).toBe('2030-12-04T07:59:59.999Z');
    expect(formatInstant(instant, 'America/Los_Angeles')).toBe('Dec 3, 2030, 11:59 PM PST');
    // Summer time is a different offset; the end of the day still lands on 23:59:59.999 there.
    expect(expiryInstant('2030-07-04', null, 'America/Los_Angeles')!.toISOString()).toBe('2030-07-05T06:59:59.999Z');
    expect(expiryInstant('2030-12-03', '17:30', 'Europe/Berlin')!.toISOString()).toBe('2030-12-03T16:30:00.000Z');
  });

  it('dates that do not exist and unknown zones are refused', () => {
    expect(expiryInstant('2030-02-30', null, 'UTC')).toBeNull();
    expect(expiryInstant('2030-13-01', null, 'UTC')).toBeNull();
    for (const zone of ['Mars/Olympus', '+05:00', 'PST', '', 'America/Los_Angeles\u0000', 'a'.repeat(80)]) expect(isIanaTimeZone(zone), zone).toBe(false);
    for (const zone of ['UTC', 'America/Los_Angeles', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) expect(isIanaTimeZone(zone), zone).toBe(true);
  });

  it('the form shows a stored instant as its date and time in the zone, with no time at the end of a day', () => {
    expect(expiryFormValues('2030-12-04T07:59:59.999Z', 'America/Los_Angeles')).toEqual({ date: '2030-12-03', time: '' });
    expect(expiryFormValues('2030-12-04T07:59:59.999Z', 'UTC')).toEqual({ date: '2030-12-04', time: '07:59' });
    expect(expiryFormValues(null, 'UTC')).toEqual({ date: '', time: '' });
  });

  it('an edit that leaves the shown expiry alone keeps the stored instant; a changed or cleared one is new', () => {
    const stored = new Date('2030-12-04T07:59:30.000Z');
    const zone = 'America/Los_Angeles';
    expect(expiryFromEditForm(stored, { expiresAt: '2030-12-03', expiresTime: '23:59', timeZone: zone })).toBeUndefined();
    expect(expiryFromEditForm(stored, { expiresAt: '2030-12-05', expiresTime: undefined, timeZone: zone })?.toISOString()).toBe('2030-12-06T07:59:59.999Z');
    expect(expiryFromEditForm(stored, { timeZone: zone })).toBeNull();
    expect(expiryFromEditForm(null, { timeZone: zone })).toBeUndefined();
  });

  it('the add form refuses a past date, a time without a date and an unknown zone on the expiry field', () => {
    const schema = createCredentialSchema('custom', 'api_key');
    const base = { name: 'k', service: 'custom', type: 'api_key', fields: { key: 'x' }, baseUrl: 'https://api.example.com', injection: { kind: 'header', header: 'X-Key' } };
    const errors = (value: object) => {
      const result = schema.safeParse({ ...base, ...value });
      return result.success ? {} : fieldErrorsFromZod(result.error);
    };
    expect(errors({ expiresAt: '2001-01-01', timeZone: 'UTC' })).toEqual({ expiresAt: ['The expiry date must be in the future'] });
    expect(errors({ expiresTime: '10:00' })).toEqual({ expiresAt: ['Choose a date for this time'] });
    expect(errors({ expiresAt: '2099-01-01', timeZone: 'Mars/Olympus' }).expiresAt?.[0]).toMatch(/time zone/);
    expect(errors({ expiresAt: '2099-01-01', timeZone: 'America/Los_Angeles' })).toEqual({});
  });

  it('the OAuth edit form has no expiry: a date sent anyway is dropped', () => {
    const parsed = editCredentialSchema('github', 'oauth').parse({ name: 'gh', description: 'x', expiresAt: '2001-01-01' });
    expect(parsed).not.toHaveProperty('expiresAt');
  });
});

describe('base URLs and key placement', () => {
  it('accept http(s) URLs, normalised without a trailing slash', () => {
    expect(baseUrlSchema.parse(' https://GHE.example.com/api/v3/ ')).toBe('https://ghe.example.com/api/v3');
    expect(baseUrlSchema.parse('http://10.0.0.5:8080')).toBe('http://10.0.0.5:8080');
  });

  it('refuse other schemes, credentials, queries, fragments and non-URLs with a clear message', () => {
    const message = (value: string) => baseUrlSchema.safeParse(value).error?.issues[0]?.message;
    expect(message('ftp://example.com')).toMatch(/http:\/\/ or https:\/\//);
    expect(message('javascript:alert(1)')).toMatch(/http:\/\/ or https:\/\//);
    expect(message('https://user:pw@example.com')).toMatch(/user name and password/);
    expect(message('https://example.com/v1?api-version=1')).toMatch(/query string/);
    expect(message('https://example.com/#x')).toMatch(/fragment/);
    expect(message('example.com')).toMatch(/full URL/);
    expect(message('')).toMatch(/Enter the base URL/);
  });

  it('a Custom API key needs its base URL and a header name or parameter; other services may leave it empty', () => {
    const custom = createCredentialSchema('custom', 'api_key');
    const result = custom.safeParse({ name: 'k', service: 'custom', type: 'api_key', fields: { key: 'x' }, injection: { kind: 'header', header: 'Host' } });
    const errors = fieldErrorsFromZod(result.error!);
    expect(errors.baseUrl?.[0]).toMatch(/Enter the base URL/);
    expect(errors['injection.header']?.[0]).toMatch(/set by HTTP itself/);
    const query = custom.safeParse({ name: 'k', service: 'custom', type: 'api_key', fields: { key: 'x' }, baseUrl: 'https://a.example', injection: { kind: 'query' } });
    expect(fieldErrorsFromZod(query.error!)).toEqual({ 'injection.param': ['Enter the query parameter name, for example api_key'] });
    const github = createCredentialSchema('github', 'api_key').safeParse({ name: 'g', service: 'github', type: 'api_key', fields: { key: `ghp_${'a'.repeat(30)}` } });
    expect(github.success).toBe(true);
  });

  it('a replacement names a positive whole version', () => {
    expect(expectedVersionSchema.parse('3')).toBe(3);
    for (const bad of ['abc', '', '-1', '0', '1.5', '01', '1e3', ' ']) expect(expectedVersionSchema.safeParse(bad).success, bad).toBe(false);
    expect(expectedVersionSchema.safeParse(undefined).success).toBe(false);
  });
});
