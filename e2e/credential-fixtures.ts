// Credential rows for end-to-end tests, inserted directly (metadata only: the table and detail views never read secrets).
import crypto from 'node:crypto';
import { db, type TestOrg, type TestUser } from './fixtures';

export interface SeedCredential {
  name: string;
  service: string;
  type: 'oauth' | 'api_key' | 'password' | 'file';
  status?: 'active' | 'expiring' | 'expired' | 'needs_attention' | 'disconnected';
  statusReason?: string | null;
  /** A key of STATUS_CAUSES (app/credentials/status.ts), as the sweep or a refresh would write it. */
  statusCause?: string | null;
  description?: string;
  expiresAt?: Date | null;
  lastUsedAt?: Date | null;
  lastRefreshedAt?: Date | null;
  username?: string | null;
  fileName?: string | null;
  fileSize?: number | null;
  fileKind?: string | null;
  oauthProvider?: string | null;
  oauthAccount?: string | null;
  oauthScopes?: string[];
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Inserts credentials into `org`, created by `user`; returns their ids by name. */
export async function insertCredentials(org: TestOrg, user: TestUser, rows: SeedCredential[]): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const r of rows) {
    const id = crypto.randomUUID();
    ids[r.name] = id;
    await db().query(
      `INSERT INTO "Credential" (id, "organizationId", name, service, type, description, status, "statusReason",
         "expiresAt", "lastUsedAt", "lastRefreshedAt", "createdById", "updatedAt", username, "fileName", "fileSize",
         "fileKind", "oauthProvider", "oauthAccount", "oauthScopes", "statusCause")
       VALUES ($1, $2, $3, $4, $5::"CredentialType", $6, $7::"CredentialStatus", $8, $9, $10, $11, $12, now(), $13, $14, $15,
         $16, $17, $18, $19, $20)`,
      [
        id,
        org.id,
        r.name,
        r.service,
        r.type,
        r.description ?? '',
        r.status ?? 'active',
        r.statusReason ?? null,
        r.expiresAt ?? null,
        r.lastUsedAt ?? null,
        r.lastRefreshedAt ?? null,
        user.id,
        r.username ?? null,
        r.fileName ?? null,
        r.fileSize ?? null,
        r.fileKind ?? null,
        r.oauthProvider ?? null,
        r.oauthAccount ?? null,
        r.oauthScopes ?? [],
        r.statusCause ?? null,
      ],
    );
  }
  return ids;
}

/** A realistic mix: every type, every status, used and never used, expiring and not. */
export function sampleCredentials(now = Date.now()): SeedCredential[] {
  return [
    {
      name: 'github_deploy_bot',
      service: 'github',
      type: 'oauth',
      status: 'active',
      description: 'Opens pull requests for the release agent.',
      oauthProvider: 'github',
      oauthAccount: 'acme-release-bot',
      oauthScopes: ['repo', 'read:org'],
      expiresAt: new Date(now + 30 * DAY),
      lastRefreshedAt: new Date(now - 2 * 60 * MINUTE),
      lastUsedAt: new Date(now - 3 * MINUTE),
    },
    {
      name: 'stripe_live_key',
      service: 'stripe',
      type: 'api_key',
      status: 'active',
      lastUsedAt: new Date(now - 40 * MINUTE),
      expiresAt: new Date(now + 90 * DAY),
    },
    {
      name: 'stripe_test_key',
      service: 'stripe',
      type: 'api_key',
      status: 'expired',
      statusReason: 'Expired on its expiry date',
      statusCause: 'expired',
      expiresAt: new Date(now - 2 * DAY),
      lastUsedAt: new Date(now - 5 * DAY),
    },
    {
      name: 'openai_research',
      service: 'openai',
      type: 'api_key',
      status: 'needs_attention',
      statusReason: 'The service rejected the key (401) on last use',
      statusCause: 'rejected',
      lastUsedAt: new Date(now - 26 * 60 * MINUTE),
    },
    {
      name: 'smtp_relay',
      service: 'custom',
      type: 'password',
      status: 'active',
      username: 'mailer@acme.example',
    },
    {
      name: 'gcp_billing_exporter',
      service: 'gcp',
      type: 'file',
      status: 'active',
      fileName: 'billing-exporter.json',
      fileSize: 2345,
      fileKind: 'gcp_service_account',
      lastUsedAt: new Date(now - 12 * DAY),
    },
    {
      name: 'slack_alerts',
      service: 'slack',
      type: 'oauth',
      status: 'disconnected',
      statusReason: 'The workspace admin revoked the app',
      statusCause: 'disconnected',
      oauthProvider: 'slack',
      oauthAccount: 'acme.slack.com',
      oauthScopes: ['chat:write'],
    },
  ];
}
