// The one logger: pino, JSON for machines or readable lines in a terminal, with secret-bearing fields redacted wherever they appear.
import pino, { type DestinationStream, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

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

export type LogFormat = 'json' | 'pretty';

/**
 * LOG_FORMAT when set; otherwise readable lines for a person at a terminal (stdout is a TTY, not
 * production) and JSON for everything else: files, pipes, containers and log collectors.
 */
export function logFormat(env: NodeJS.ProcessEnv = process.env, stdoutIsTTY = Boolean(process.stdout.isTTY)): LogFormat {
  if (env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty') return env.LOG_FORMAT;
  return stdoutIsTTY && env.NODE_ENV !== 'production' ? 'pretty' : 'json';
}

export interface LoggerOptions {
  format?: LogFormat;
  level?: string;
  /** Where lines go (default stdout). */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Colours in pretty lines (default: when stdout is a TTY). */
  colorize?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? logFormat();
  const settings = {
    level: options.level ?? process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
    base: { service: process.env.LATCHKEY_PROCESS ?? 'latchkey' },
    redact: { paths: redactPaths, censor: '[redacted]' },
  };
  if (format === 'json') return options.destination ? pino(settings, options.destination as DestinationStream) : pino(settings);
  const pretty = PinoPretty({
    colorize: options.colorize ?? Boolean(process.stdout.isTTY),
    // Synchronous, so the last lines before process.exit() are not lost.
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // The message already says "GET /path 200"; the request and response objects would repeat it on four lines.
    ignore: 'pid,hostname,service,req,res,reqId,responseTime',
    messageFormat: '{service} {msg}',
    ...(options.destination ? { destination: options.destination as NodeJS.WritableStream } : {}),
  });
  return pino(settings, pretty);
}

export const logger = createLogger();
