// Playwright fixtures: users, organizations and signed-in sessions made directly in the database.
import crypto from 'node:crypto';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { hash } from '@node-rs/argon2';
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';
import pg from 'pg';
import { runEnv } from './support/run-env';

export { expect };

export type Role = 'owner' | 'admin' | 'member' | 'viewer';

export interface TestUser {
  id: string;
  name: string;
  email: string;
  password: string;
}

export interface TestOrg {
  id: string;
  slug: string;
  name: string;
}

export interface CreateUserOptions {
  name?: string;
  email?: string;
  password?: string;
  /** Create an organization with this user in it (default: owner of a new organization). */
  org?: { name?: string; role?: Role } | false;
}

const SCREENSHOT_DIR = path.resolve(import.meta.dirname, 'screenshots');
const SESSION_COOKIE = '__session';

let pool: pg.Pool | undefined;

/** One pool per worker, on the run's database (set by global setup). */
export function db(): pg.Pool {
  const connectionString = process.env.LATCHKEY_E2E_DATABASE_URL;
  if (!connectionString) throw new Error('LATCHKEY_E2E_DATABASE_URL is not set: global setup did not run');
  pool ??= new pg.Pool({ connectionString, max: 4 });
  return pool;
}

export function uniqueSuffix(): string {
  return crypto.randomBytes(4).toString('hex');
}

/** A unique, valid email address for a test user. */
export function uniqueEmail(label = 'user'): string {
  return `${label}-${uniqueSuffix()}@example.test`;
}

/** Creates a user (argon2id hash, like signup) and, unless `org: false`, an organization they belong to. */
export async function createUser(options: CreateUserOptions = {}): Promise<{ user: TestUser; org: TestOrg | null }> {
  const suffix = uniqueSuffix();
  const user: TestUser = {
    id: crypto.randomUUID(),
    name: options.name ?? `Test User ${suffix}`,
    email: options.email ?? `user-${suffix}@example.test`,
    password: options.password ?? `correct horse ${suffix} battery`,
  };
  // @node-rs/argon2 defaults to argon2id; verify() reads the parameters back from the hash.
  const passwordHash = await hash(user.password, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  const client = await db().connect();
  try {
    await client.query('BEGIN');
    await client.query(
      'INSERT INTO "User" (id, email, name, "passwordHash", "updatedAt") VALUES ($1, $2, $3, $4, now())',
      [user.id, user.email, user.name, passwordHash],
    );
    let org: TestOrg | null = null;
    if (options.org !== false) {
      const name = options.org?.name ?? `Org ${suffix}`;
      org = { id: crypto.randomUUID(), name, slug: `org-${suffix}` };
      await client.query('INSERT INTO "Organization" (id, slug, name, "updatedAt") VALUES ($1, $2, $3, now())', [
        org.id,
        org.slug,
        org.name,
      ]);
      await client.query('INSERT INTO "Membership" (id, "organizationId", "userId", role) VALUES ($1, $2, $3, $4)', [
        crypto.randomUUID(),
        org.id,
        user.id,
        options.org?.role ?? 'owner',
      ]);
    }
    await client.query('COMMIT');
    if (org) await ensureOrganizationDataKey(org.id);
    return { user, org };
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

let vault: Promise<typeof import('../app/vault/vault.server')> | undefined;

/**
 * The app's vault module, pointed at this run's database and master keys (the same ones the server
 * uses), so fixtures create data keys exactly as the app does.
 */
function appVault() {
  if (!vault) {
    const env = runEnv();
    process.env.DATABASE_URL = process.env.LATCHKEY_E2E_DATABASE_URL ?? env.databaseUrl;
    process.env.LATCHKEY_MASTER_KEYS = env.masterKeys;
    process.env.SESSION_SECRET = env.sessionSecret;
    process.env.LOG_LEVEL ??= 'warn';
    vault = import('../app/vault/vault.server');
  }
  return vault;
}

/**
 * Gives an organization made by the fixtures its data key, as signup does, so credentials can be
 * stored in it. Organizations that already have one are left alone.
 */
export async function ensureOrganizationDataKey(orgId: string): Promise<void> {
  const existing = await db().query('SELECT 1 FROM "OrganizationDataKey" WHERE "organizationId" = $1 LIMIT 1', [orgId]);
  if (existing.rowCount) return;
  const { createOrganizationDataKey } = await appVault();
  const { prisma } = await import('../app/db.server');
  await prisma.$transaction((tx) => createOrganizationDataKey(tx, orgId));
}

/** Adds an existing user to an existing organization. */
export async function addMembership(userId: string, orgId: string, role: Role): Promise<void> {
  await db().query('INSERT INTO "Membership" (id, "organizationId", "userId", role) VALUES ($1, $2, $3, $4)', [
    crypto.randomUUID(),
    orgId,
    userId,
    role,
  ]);
}

/** The id of the organization with this slug (for organizations made through the real signup). */
export async function orgIdBySlug(slug: string): Promise<string> {
  const { rows } = await db().query<{ id: string }>('SELECT id FROM "Organization" WHERE slug = $1', [slug]);
  if (!rows[0]) throw new Error(`no organization ${slug}`);
  return rows[0].id;
}

/** Inserts an agent (no token) whose allowlist holds `allowedCredentials`; returns its id. */
export async function insertAgent(
  orgId: string,
  name: string,
  allowedCredentials: string[],
  options: { lastUsedAt?: Date | null } = {},
): Promise<string> {
  const id = crypto.randomUUID();
  await db().query(
    'INSERT INTO "Agent" (id, "organizationId", name, "allowedCredentials", "lastUsedAt", "updatedAt") VALUES ($1, $2, $3, $4, $5, now())',
    [id, orgId, name, allowedCredentials, options.lastUsedAt ?? null],
  );
  return id;
}

/** Signs `user` in within `context` the way the app does: a random token in the cookie, its SHA-256 in Session. */
export async function signIn(context: BrowserContext, user: Pick<TestUser, 'id'>): Promise<void> {
  const token = crypto.randomBytes(32).toString('base64url');
  const id = crypto.createHash('sha256').update(token).digest('hex');
  const expiresAt = new Date(Date.now() + 24 * 60 * 60 * 1000);
  await db().query('INSERT INTO "Session" (id, "userId", "expiresAt") VALUES ($1, $2, $3)', [id, user.id, expiresAt]);
  await context.addCookies([
    {
      name: SESSION_COOKIE,
      value: token,
      url: runEnv().baseURL,
      httpOnly: true,
      sameSite: 'Lax',
      expires: Math.floor(expiresAt.getTime() / 1000),
    },
  ]);
}

/** Full-page screenshot into e2e/screenshots/<name>.png (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Fails the test (softly: the flow goes on) when axe finds serious or critical violations on the page. */
export async function expectNoSeriousA11yViolations(page: Page): Promise<void> {
  // Mid-animation elements (a toast fading in) have blended colours; judge the settled page.
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => `${n.target.join(' ')} (${n.failureSummary?.replace(/\s+/g, ' ')})`).join('; ')}`);
  expect.soft(serious, `axe violations on ${page.url()}`).toEqual([]);
}

interface Fixtures {
  /** Creates a user with their own organization, signs them in on `page`, and returns both. */
  loginAs: (options?: CreateUserOptions) => Promise<{ user: TestUser; org: TestOrg }>;
}

export const test = base.extend<Fixtures>({
  loginAs: async ({ context }, use) => {
    await use(async (options = {}) => {
      const { user, org } = await createUser({ ...options, org: options.org === false ? undefined : options.org });
      if (!org) throw new Error('loginAs always creates an organization');
      await signIn(context, user);
      return { user, org };
    });
  },
});
