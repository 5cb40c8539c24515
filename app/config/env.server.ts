// Parses the process environment once, with zod, and fills in development secrets.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { MAX_UPSTREAM_TIMEOUT_MS } from '~/credentials/settings';

const masterKeyList = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]+:[A-Za-z0-9+/]+={0,2}(,[A-Za-z0-9_-]+:[A-Za-z0-9+/]+={0,2})*$/,
    'must be "id:base64key,…" (first one active)',
  )
  .refine(
    (v) => v.split(',').every((pair) => Buffer.from(pair.split(':')[1] ?? '', 'base64').length === 32),
    'every key must be 32 bytes, base64-encoded',
  );

/** Upstream time limits: a second at least, an hour at most (the bounds of a credential's own setting). */
const upstreamTimeout = z.coerce
  .number()
  .int()
  .min(1_000, 'must be at least 1000 (milliseconds)')
  .max(MAX_UPSTREAM_TIMEOUT_MS, `must be at most ${MAX_UPSTREAM_TIMEOUT_MS} (one hour, in milliseconds)`);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /// Where the web server listens. Unset: 127.0.0.1 (this machine only), or 0.0.0.0 when NODE_ENV=production.
  HOST: z.string().trim().min(1).optional(),
  /// The URL people open; used for the Origin check and OAuth redirect URIs.
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  REDIS_PREFIX: z.string().regex(/^[\w:.-]+$/, 'letters, digits, _ : . - only').default('latchkey'),
  DATA_DIR: z.string().default('.data'),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  LATCHKEY_MASTER_KEYS: masterKeyList.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /// `pretty` (readable lines) or `json`; unset: pretty in a terminal outside production (app/logger.server.ts).
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  UPLOAD_MAX_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  FORM_MAX_BYTES: z.coerce.number().int().positive().default(256 * 1024),
  SESSION_TTL_DAYS: z.coerce.number().positive().default(14),
  /// The worker's own GET /healthz port; 0 turns it off.
  WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /// How long a stopping process waits for in-flight jobs/requests before it exits anyway.
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /// The proxy's wait for an upstream's response headers (a credential's own setting overrides it).
  UPSTREAM_TIMEOUT_MS: upstreamTimeout.default(60_000),
  /// The same for services of the catalog's "ai" category: a long non-streaming model call takes minutes.
  UPSTREAM_AI_TIMEOUT_MS: upstreamTimeout.default(10 * 60_000),
  /// Longest silence on an open upstream response (never shorter than the credential's time to headers).
  UPSTREAM_IDLE_TIMEOUT_MS: upstreamTimeout.default(120_000),
});

export type Env = z.infer<typeof schema> & {
  HOST: string;
  SESSION_SECRET: string;
  LATCHKEY_MASTER_KEYS: string;
  PUBLIC_URL: string;
};

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

interface DevSecrets {
  SESSION_SECRET: string;
  LATCHKEY_MASTER_KEYS: string;
}

/** Development only: secrets generated once into DATA_DIR/secrets.json (mode 0600). */
function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = path.resolve(dataDir, 'secrets.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as DevSecrets;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secrets: DevSecrets = {
    SESSION_SECRET: crypto.randomBytes(32).toString('base64url'),
    LATCHKEY_MASTER_KEYS: `dev1:${crypto.randomBytes(32).toString('base64')}`,
  };
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  return secrets;
}

/** Outside production only this machine can reach the server; a deployment (and the Dockerfile) listens on every interface. */
export function defaultHost(nodeEnv: string): string {
  return nodeEnv === 'production' ? '0.0.0.0' : '127.0.0.1';
}

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const input = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`),
    );
  }
  const env = result.data;
  const missing = (['SESSION_SECRET', 'LATCHKEY_MASTER_KEYS'] as const).filter((k) => !env[k]);
  if (missing.length > 0) {
    if (env.NODE_ENV === 'production') {
      throw new ConfigError(missing.map((k) => `${k}: required when NODE_ENV=production`));
    }
    const generated = loadOrCreateDevSecrets(env.DATA_DIR);
    for (const key of missing) env[key] = generated[key];
  }
  return {
    ...env,
    PUBLIC_URL: env.PUBLIC_URL ?? `http://localhost:${env.PORT}`,
    HOST: env.HOST ?? defaultHost(env.NODE_ENV),
  } as Env;
}

let cached: Env | undefined;

/** The parsed configuration; parsed on first use and then shared by the whole process. */
export function getEnv(): Env {
  cached ??= parseEnv();
  return cached;
}
