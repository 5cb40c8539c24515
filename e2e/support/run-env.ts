// Names and settings of one end-to-end run, derived from the ids playwright.config.ts picks.

const ADMIN_DATABASE_URL = process.env.LATCHKEY_E2E_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end tests through playwright.config.ts`);
  return value;
}

/** Per-run names, so parallel runs on one machine never share a database or Redis keys. */
export function runEnv() {
  const run = required('LATCHKEY_E2E_RUN');
  const databaseName = `latchkey_e2e_${run}`;
  const databaseUrl = new URL(ADMIN_DATABASE_URL);
  databaseUrl.pathname = `/${databaseName}`;
  return {
    run,
    port: Number(required('LATCHKEY_E2E_PORT')),
    baseURL: required('LATCHKEY_E2E_BASE_URL'),
    adminDatabaseUrl: ADMIN_DATABASE_URL,
    databaseName,
    databaseUrl: databaseUrl.toString(),
    redisUrl: process.env.LATCHKEY_E2E_REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisPrefix: `lk-e2e-${run}`,
    // Fixed test secrets: the server and the fixtures (which sign session cookies) must agree.
    sessionSecret: 'e2e-session-secret-not-for-production-0123456789',
    masterKeys: `e2e1:${Buffer.alloc(32, 7).toString('base64')}`,
  };
}

export type RunEnv = ReturnType<typeof runEnv>;
