// The configuration's defaults that decide who can reach a fresh install.
import { describe, expect, it } from 'vitest';
import { parseEnv as parse } from './env.server';

const parseEnv = (env: Record<string, string>) => parse(env as unknown as NodeJS.ProcessEnv);

const secrets = {
  SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
  LATCHKEY_MASTER_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
};

describe('HOST', () => {
  it('defaults to 127.0.0.1 outside production, so a laptop install is not on the network', () => {
    expect(parseEnv({ ...secrets, NODE_ENV: 'development' }).HOST).toBe('127.0.0.1');
    expect(parseEnv({ ...secrets, NODE_ENV: 'test' }).HOST).toBe('127.0.0.1');
    expect(parseEnv({ ...secrets }).HOST).toBe('127.0.0.1');
  });

  it('defaults to 0.0.0.0 in production, and an explicit HOST always wins', () => {
    expect(parseEnv({ ...secrets, NODE_ENV: 'production' }).HOST).toBe('0.0.0.0');
    expect(parseEnv({ ...secrets, NODE_ENV: 'production', HOST: '10.0.0.5' }).HOST).toBe('10.0.0.5');
    expect(parseEnv({ ...secrets, NODE_ENV: 'development', HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
  });

  it('refuses an unknown LOG_FORMAT with the variable named', () => {
    expect(() => parseEnv({ ...secrets, LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });
});
