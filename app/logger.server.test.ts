// Log lines: JSON for machines, readable lines for a person at a terminal, secrets redacted in both.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormat } from './logger.server';

function capture() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

describe('logFormat', () => {
  it('is pretty in a terminal outside production and JSON otherwise; LOG_FORMAT decides when set', () => {
    expect(logFormat({ NODE_ENV: 'development' }, true)).toBe('pretty');
    expect(logFormat({ NODE_ENV: 'development' }, false)).toBe('json');
    expect(logFormat({ NODE_ENV: 'production' }, true)).toBe('json');
    expect(logFormat({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(logFormat({ NODE_ENV: 'development', LOG_FORMAT: 'json' }, true)).toBe('json');
  });
});

describe('createLogger', () => {
  it('pretty lines read as time, level and message, with secrets still redacted', () => {
    const out = capture();
    const logger = createLogger({ format: 'pretty', level: 'info', destination: out.stream, colorize: false });
    logger.info({ req: { method: 'GET', path: '/login' }, token: 'lk_secret_value' }, 'GET /login 200');
    const line = out.text();
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \S+ GET \/login 200\n/);
    expect(line).not.toContain('{"level"');
    expect(line).not.toContain('lk_secret_value');
  });

  it('JSON lines carry level, time and message for log collectors', () => {
    const out = capture();
    const logger = createLogger({ format: 'json', level: 'info', destination: out.stream });
    logger.info({ token: 'lk_secret_value' }, 'hello');
    const parsed = JSON.parse(out.text()) as Record<string, unknown>;
    expect(parsed).toMatchObject({ level: 30, msg: 'hello', token: '[redacted]' });
  });
});
