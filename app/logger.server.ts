// The one logger: pino JSON, with secret-bearing fields redacted wherever they appear.
import pino from 'pino';

const REDACTED_KEYS = [
  'password',
  'currentPassword',
  'newPassword',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'apiKey',
  'key',
  'value',
  'authorization',
  'cookie',
  'set-cookie',
  'clientSecret',
  'client_secret',
  'code',
  'code_verifier',
];

export const redactPaths = [
  ...REDACTED_KEYS,
  ...REDACTED_KEYS.map((k) => `*.${k}`),
  ...REDACTED_KEYS.map((k) => `*.*.${k}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { service: process.env.LATCHKEY_PROCESS ?? 'latchkey' },
  redact: { paths: redactPaths, censor: '[redacted]' },
});
