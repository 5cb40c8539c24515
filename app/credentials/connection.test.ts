// How the detail page words where a credential's value goes: the value's own name, per type.
import { describe, expect, it } from 'vitest';
import { describeInjection } from '~/credentials/connection';

describe('describeInjection', () => {
  it('names a key as a key and an OAuth credential’s value as its access token', () => {
    const bearer = { kind: 'header', header: 'Authorization', scheme: 'Bearer' } as const;
    expect(describeInjection(bearer, 'api_key')).toBe('Authorization: Bearer <key>');
    expect(describeInjection(bearer, 'oauth')).toBe('Authorization: Bearer <access token>');
    expect(describeInjection({ kind: 'query', param: 'key' }, 'oauth')).toBe('?key=<access token>');
    expect(describeInjection({ kind: 'header', header: 'X-Api-Key' }, 'api_key')).toBe('X-Api-Key: <key>');
    expect(describeInjection({ kind: 'basic' }, 'password')).toBe('Authorization: Basic <username:password>');
  });
});
