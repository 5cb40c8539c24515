// Fills an organization with realistic credentials for demos and scale tests: `npm run seed -- --org demo --credentials 100000`.
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import type { PrismaClient } from '~/generated/prisma/client';

type ServiceInfo = { id: string; types: readonly string[]; oauthProvider?: string };

// Used only if the catalog cannot be loaded (keeps the seed usable on its own).
const FALLBACK_SERVICES: ServiceInfo[] = [
  { id: 'github', types: ['oauth', 'api_key'] },
  { id: 'gitlab', types: ['oauth', 'api_key'] },
  { id: 'google', types: ['oauth'] },
  { id: 'google_cloud', types: ['file'] },
  { id: 'slack', types: ['oauth', 'api_key'] },
  { id: 'openai', types: ['api_key'] },
  { id: 'anthropic', types: ['api_key'] },
  { id: 'stripe', types: ['api_key'] },
  { id: 'aws', types: ['api_key', 'file'] },
  { id: 'postgresql', types: ['password'] },
  { id: 'notion', types: ['oauth', 'api_key'] },
  { id: 'linear', types: ['oauth', 'api_key'] },
];

const PURPOSES = [
  'ci-bot', 'deploy', 'support-agent', 'research-agent', 'billing-sync', 'crm-import', 'nightly-report',
  'triage-bot', 'release', 'data-pipeline', 'onboarding', 'sales-assistant', 'backup', 'monitoring', 'staging',
  'prod', 'qa', 'docs-bot', 'inbox-agent', 'scheduler',
];
const TYPE_WORD: Record<string, string> = { oauth: 'oauth', api_key: 'token', password: 'login', file: 'key-file' };
/** Needs-attention reasons with their typed causes (app/credentials/status.ts). */
const ATTENTION_REASONS: [reason: string, cause: string][] = [
  ['Reconnect required: token revoked', 'refresh_revoked'],
  ['Reconnect required: refresh token expired', 'refresh_revoked'],
  ['Rejected by the provider (401): check the key', 'rejected'],
  ['Missing scope: repo', 'rejected'],
  ['Refresh failed: invalid_grant', 'refresh_revoked'],
];
const DAY = 86_400_000;
/** Share of each credential type among seeded credentials. */
const TYPE_WEIGHTS: [string, number][] = [
  ['api_key', 0.45],
  ['oauth', 0.3],
  ['password', 0.15],
  ['file', 0.1],
];

function pickWeighted(x: number, weights: [string, number][]): string {
  let acc = 0;
  for (const [value, weight] of weights) {
    acc += weight;
    if (x < acc) return value;
  }
  return weights[weights.length - 1]![0];
}

export interface SeedOptions {
  orgSlug: string;
  credentials: number;
  reset?: boolean;
  /** Deterministic data for tests and benchmarks. */
  randomSeed?: number;
  log?: (line: string) => void;
}

export interface SeedResult {
  organizationId: string;
  ownerEmail: string;
  /** Set only when the owner was created by this run. */
  ownerPassword?: string;
  inserted: number;
}

/** A small seeded PRNG (mulberry32) so a given seed always produces the same data. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function loadServices(): Promise<ServiceInfo[]> {
  try {
    const { listServices } = await import('~/credentials/catalog');
    const services = listServices().map((s) => ({ id: s.id, types: s.credentialTypes, oauthProvider: s.auth.oauth?.oauthProvider }));
    if (services.length > 0) return services;
  } catch {
    // fall through to the built-in list
  }
  return FALLBACK_SERVICES;
}

async function ensureOrganization(db: PrismaClient, slug: string, log: (l: string) => void) {
  const ownerEmail = `${slug}@latchkey.local`;
  let ownerPassword: string | undefined;
  let owner = await db.user.findUnique({ where: { email: ownerEmail } });
  if (!owner) {
    const { hashPassword } = await import('~/auth/password.server');
    ownerPassword = crypto.randomBytes(12).toString('base64url');
    owner = await db.user.create({
      data: { email: ownerEmail, name: `${slug[0]?.toUpperCase() ?? ''}${slug.slice(1)} Owner`, passwordHash: await hashPassword(ownerPassword) },
    });
    log(`created owner ${ownerEmail} with password ${ownerPassword}`);
  }
  let organization = await db.organization.findUnique({ where: { slug } });
  if (!organization) {
    const { createOrganization } = await import('~/orgs/organizations.server');
    const { systemAuditContext } = await import('~/audit/audit.server');
    const ownerId = owner.id;
    const name = `${slug[0]?.toUpperCase() ?? ''}${slug.slice(1)}`;
    const created = await db.$transaction((tx) => createOrganization(tx, { name, ownerId, context: systemAuditContext('seed') }));
    // The service derives the slug from the name; make sure it is exactly the one asked for.
    organization = created.slug === slug ? created : await db.organization.update({ where: { id: created.id }, data: { slug } });
    log(`created organization ${slug}`);
  } else {
    await db.membership.upsert({
      where: { organizationId_userId: { organizationId: organization.id, userId: owner.id } },
      create: { organizationId: organization.id, userId: owner.id, role: 'owner' },
      update: {},
    });
  }
  return { organization, owner, ownerEmail, ownerPassword };
}

/** Creates the organization (and its owner) if missing, then bulk-inserts `credentials` credentials. */
export async function seedCredentials(db: PrismaClient, options: SeedOptions): Promise<SeedResult> {
  const log = options.log ?? (() => {});
  const random = rng(options.randomSeed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const { organization, owner, ownerEmail, ownerPassword } = await ensureOrganization(db, options.orgSlug, log);
  const services = await loadServices();
  const servicesByType = new Map<string, ServiceInfo[]>();
  for (const service of services) {
    for (const type of service.types) servicesByType.set(type, [...(servicesByType.get(type) ?? []), service]);
  }

  if (options.reset) {
    const { count } = await db.credential.deleteMany({ where: { organizationId: organization.id } });
    log(`deleted ${count} credentials`);
  }
  // Names must be unique in the organization: number them after whatever is already there.
  const start = await db.credential.count({ where: { organizationId: organization.id } });
  const now = Date.now();
  const BATCH = 5_000;
  let inserted = 0;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

  for (let offset = 0; offset < options.credentials; offset += BATCH) {
    const n = Math.min(BATCH, options.credentials - offset);
    const cols = {
      id: [] as string[], name: [] as string[], service: [] as string[], type: [] as string[],
      status: [] as string[], reason: [] as (string | null)[], cause: [] as (string | null)[], statusChangedAt: [] as string[],
      expiresAt: [] as (string | null)[], lastUsedAt: [] as (string | null)[], createdAt: [] as string[],
      createdById: [] as (string | null)[], oauthProvider: [] as (string | null)[], username: [] as (string | null)[],
    };
    for (let i = 0; i < n; i++) {
      const seq = start + offset + i + 1;
      // Status first (~84% active, 1% expiring, 7% needs attention, 5% expired, 3% disconnected — only OAuth
      // disconnects, and only what OAuth refreshes never expires soon), then a type in a realistic mix, then a
      // service that offers that type.
      const r = random();
      let status = 'active';
      let reason: string | null = null;
      let cause: string | null = null;
      if (r >= 0.84 && r < 0.85) {
        status = 'expiring';
        cause = 'expiring_soon';
      } else if (r >= 0.85 && r < 0.92) {
        status = 'needs_attention';
        [reason, cause] = pick(ATTENTION_REASONS);
      } else if (r >= 0.92 && r < 0.97) {
        status = 'expired';
        reason = 'Expired';
        cause = 'expired';
      } else if (r >= 0.97) {
        status = 'disconnected';
        reason = 'Disconnected: the provider revoked access';
        cause = 'disconnected';
      }
      const wantedType = status === 'disconnected' ? 'oauth' : pickWeighted(random(), TYPE_WEIGHTS);
      const candidates = servicesByType.get(wantedType) ?? [];
      const service = candidates.length > 0 ? pick(candidates) : pick(services);
      const type = candidates.length > 0 ? wantedType : pick(service.types);
      if (status === 'disconnected' && type !== 'oauth') [status, cause] = ['needs_attention', 'rejected'];
      if (status === 'expiring' && type === 'oauth') [status, cause] = ['active', null];
      if (status === 'expired' && type === 'oauth') cause = 'token_expired_no_refresh';
      const createdAt = now - Math.floor(random() * 365 * DAY);
      let expiresAt: number | null = null;
      if (status === 'expired') expiresAt = now - Math.floor(random() * 60 * DAY) - 60_000;
      else if (type === 'oauth') expiresAt = now + Math.floor(random() * 2 * 3_600_000);
      else if (type === 'api_key' && random() < 0.4) expiresAt = now + Math.floor(random() * 365 * DAY);
      else if (status === 'needs_attention' && random() < 0.5) expiresAt = now + Math.floor(random() * 7 * DAY);
      if (status === 'expiring') expiresAt = now + 60_000 + Math.floor(random() * 7 * DAY - 120_000);
      // ~15% never used; the rest spread over the last 90 days (and never before creation).
      const lastUsedAt = random() < 0.15 ? null : Math.max(createdAt, now - Math.floor(random() * 90 * DAY));

      cols.id.push(crypto.randomUUID());
      cols.name.push(`${service.id}_${TYPE_WORD[type] ?? type}:${pick(PURPOSES)}-${seq}`);
      cols.service.push(service.id);
      cols.type.push(type);
      cols.status.push(status);
      cols.reason.push(reason);
      cols.cause.push(cause);
      cols.statusChangedAt.push(iso(status === 'active' ? createdAt : now - Math.floor(random() * 30 * DAY))!);
      cols.expiresAt.push(iso(expiresAt));
      cols.lastUsedAt.push(iso(lastUsedAt));
      cols.createdAt.push(iso(createdAt)!);
      cols.createdById.push(random() < 0.9 ? owner.id : null);
      cols.oauthProvider.push(type === 'oauth' ? (service.oauthProvider ?? service.id) : null);
      cols.username.push(type === 'password' ? `svc-${pick(PURPOSES)}` : null);
    }
    // One multi-row INSERT per batch from parallel arrays (unnest): a handful of round trips for 100k rows.
    inserted += await db.$executeRaw`
      INSERT INTO "Credential" ("id", "organizationId", "name", "service", "type", "status", "statusReason", "statusCause",
        "statusChangedAt", "expiresAt", "lastUsedAt", "createdAt", "updatedAt", "createdById", "oauthProvider", "username")
      SELECT t.id, ${organization.id}::uuid, t.name, t.service, t.type::"CredentialType", t.status::"CredentialStatus",
        t.reason, t.cause, t.sca, t.exp, t.lu, t.ca, t.ca, t.cb, t.op, t.un
      FROM unnest(${cols.id}::uuid[], ${cols.name}::text[], ${cols.service}::text[], ${cols.type}::text[],
        ${cols.status}::text[], ${cols.reason}::text[], ${cols.cause}::text[], ${cols.statusChangedAt}::timestamp(3)[],
        ${cols.expiresAt}::timestamp(3)[], ${cols.lastUsedAt}::timestamp(3)[], ${cols.createdAt}::timestamp(3)[],
        ${cols.createdById}::uuid[], ${cols.oauthProvider}::text[], ${cols.username}::text[])
        AS t(id, name, service, type, status, reason, cause, sca, exp, lu, ca, cb, op, un)`;
  }
  // Fresh statistics (and a visibility map for index-only scans) right away, as autovacuum would later.
  await db.$executeRawUnsafe('VACUUM (ANALYZE) "Credential"');
  log(`inserted ${inserted} credentials into ${options.orgSlug}`);
  return { organizationId: organization.id, ownerEmail, ownerPassword, inserted };
}

async function main() {
  const { values } = parseArgs({
    options: {
      org: { type: 'string', default: 'demo' },
      credentials: { type: 'string', default: '200' },
      reset: { type: 'boolean', default: false },
      seed: { type: 'string' },
    },
  });
  const count = Number(values.credentials);
  if (!Number.isInteger(count) || count < 0) throw new Error('--credentials must be a whole number');
  if (!/^[a-z0-9][a-z0-9-]*$/.test(values.org)) throw new Error('--org must be a slug (a-z, 0-9, -)');
  // Like `npm run db:migrate`: without DATABASE_URL, use (and migrate) the embedded database under DATA_DIR.
  let embedded: { stop(): Promise<void> } | undefined;
  if (!process.env.DATABASE_URL?.trim()) {
    const { startEmbeddedPostgres } = await import('~/db/embedded.server');
    const dataDir = process.env.DATA_DIR?.trim() || '.data';
    console.log(`DATABASE_URL is not set; using the embedded database in ${dataDir}/postgres`);
    const db = await startEmbeddedPostgres({ dataDir });
    embedded = db;
    process.env.DATABASE_URL = db.databaseUrl;
    const { migrateDatabase } = await import('~/db/migrate.server');
    await migrateDatabase(db.databaseUrl);
  }
  const { prisma } = await import('~/db.server');
  const t0 = performance.now();
  try {
    const result = await seedCredentials(prisma, {
      orgSlug: values.org,
      credentials: count,
      reset: values.reset,
      randomSeed: values.seed ? Number(values.seed) : Date.now() % 2 ** 31,
      log: (line) => console.log(line),
    });
    console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s; sign in as ${result.ownerEmail}${result.ownerPassword ? ` / ${result.ownerPassword}` : ' (existing account)'}`);
  } finally {
    await prisma.$disconnect();
    await embedded?.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
