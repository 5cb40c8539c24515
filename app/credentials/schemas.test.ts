// Credential input schemas: names, descriptions, expiry dates and the catalog's per-service format checks.
import { parseWithZod } from '@conform-to/zod/v4';
import { describe, expect, it } from 'vitest';
import {
  createCredentialSchema,
  credentialMetadataUpdateSchema,
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
  it('are optional, must lie in the future, and a bare date means midnight UTC', () => {
    expect(futureExpiresAtSchema.parse('')).toBeNull();
    expect(futureExpiresAtSchema.parse(undefined)).toBeNull();
    expect(futureExpiresAtSchema.parse('2099-03-04')?.toISOString()).toBe('2099-03-04T00:00:00.000Z');
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
    const submission = parseWithZod(form, { schema: createCredentialSchema('custom', 'password') });
    expect(submission.status).toBe('error');
    expect(submission.reply().error).toEqual({ 'fields.password': ['Password is required'] });
    form.set('fields.password', 'hunter2hunter2');
    const ok = parseWithZod(form, { schema: createCredentialSchema('custom', 'password') });
    expect(ok.status).toBe('success');
    expect(ok.status === 'success' && ok.value).toMatchObject({
      name: 'mail:bot',
      description: '',
      expiresAt: null,
      fields: { username: 'bot@example.com', password: 'hunter2hunter2' },
    });
  });
});
