// statusNow() and its SQL twin give the same status for every kind of stored row, so the table, its counts and the API agree.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prisma } from '~/db.server';
import type { CredentialStatus, CredentialType } from '~/generated/prisma/client';
import { Prisma } from '~/generated/prisma/client';
import { unique } from '../../test/db';
import { CREDENTIAL_STATUSES, STATUS_CAUSES, statusNow, type StoredStatus } from './status';
import { organizationWindowSql, statusNowSql } from './status-sql.server';

const DAY = 24 * 60 * 60_000;

describe('the status read now', () => {
  it('the TypeScript and SQL versions agree on every combination of type, stored status, cause, reason, expiry and refresh token', async () => {
    const org = await prisma.organization.create({ data: { slug: unique('st'), name: 'Status', warningWindowDays: 5 } });
    const now = new Date();
    const types: CredentialType[] = ['oauth', 'api_key', 'file'];
    const causes = [null, 'expiring_soon', 'expired', 'rejected', 'refresh_failing', 'bogus'];
    const reasons = [null, 'Expires in 3 days', 'Expired on 2026-11-01 10:00 UTC', 'OpenAI answered 401'];
    const expiries = [null, -DAY, -1_000, 1_000, 2 * DAY, 6 * DAY, 30 * DAY];
    const rows: (StoredStatus & { id: string; name: string; hasRefreshToken: boolean })[] = [];
    let n = 0;
    for (const type of types)
      for (const status of CREDENTIAL_STATUSES)
        for (const statusCause of causes)
          for (const statusReason of reasons)
            for (const offset of expiries)
              for (const hasRefreshToken of type === 'oauth' ? [true, false] : [false]) {
                rows.push({
                  id: crypto.randomUUID(),
                  name: `row-${n++}`,
                  type,
                  status,
                  statusCause,
                  statusReason,
                  expiresAt: offset === null ? null : new Date(now.getTime() + offset),
                  hasRefreshToken,
                });
              }
    await prisma.credential.createMany({
      data: rows.map((r) => ({
        id: r.id,
        organizationId: org.id,
        name: r.name,
        service: 'custom',
        type: r.type,
        status: r.status as CredentialStatus,
        statusCause: r.statusCause,
        statusReason: r.statusReason,
        expiresAt: r.expiresAt as Date | null,
      })),
    });
    await prisma.credentialSecret.createMany({
      data: rows.filter((r) => r.hasRefreshToken).map((r) => ({ credentialId: r.id, field: 'refresh_token', ciphertext: new Uint8Array([1]), keyVersion: 1 })),
    });

    const fromSql = await prisma.$queryRaw<{ id: string; status: string }[]>(Prisma.sql`
      SELECT c."id", ${statusNowSql('c', { organizationId: org.id, now, warningWindowDays: organizationWindowSql(org.id) })} AS "status"
      FROM "Credential" c WHERE c."organizationId" = ${org.id}::uuid`);
    const sql = new Map(fromSql.map((r) => [r.id, r.status]));
    const disagreements = rows
      .map((r) => ({ row: r, ts: statusNow(r, { now, warningWindowDays: 5 }).status, sql: sql.get(r.id) }))
      .filter((d) => d.ts !== d.sql);
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(sql.size).toBe(rows.length);
  });

  it('says why, and whether the proxy may use it', () => {
    const now = new Date();
    const read = (row: Partial<StoredStatus>) =>
      statusNow({ type: 'api_key', status: 'active', statusReason: null, expiresAt: null, ...row }, { now, warningWindowDays: 7 });
    expect(read({ expiresAt: new Date(now.getTime() + 4 * DAY) })).toEqual({ status: 'expiring', cause: 'expiring_soon', reason: null, usable: true });
    expect(read({ expiresAt: new Date(now.getTime() - 1) })).toMatchObject({ status: 'expired', cause: 'expired', usable: false });
    expect(read({ status: 'needs_attention', statusCause: 'rejected', statusReason: '401' })).toEqual({ status: 'needs_attention', cause: 'rejected', reason: '401', usable: false });
    // Before causes: needs attention with any other reason stays refused; "Expires …" was only ever a warning.
    expect(read({ status: 'needs_attention', statusReason: 'Refresh failed: invalid_grant' })).toMatchObject({ status: 'needs_attention', cause: null, usable: false });
    expect(read({ status: 'needs_attention', statusReason: 'Expires in 4 days', expiresAt: new Date(now.getTime() + 4 * DAY) })).toMatchObject({ status: 'expiring', usable: true });
    const oauth = { type: 'oauth' as const, expiresAt: new Date(now.getTime() - 1_000) };
    expect(read({ ...oauth, hasRefreshToken: true })).toMatchObject({ status: 'needs_attention', cause: 'refresh_overdue', usable: true });
    expect(read({ ...oauth, hasRefreshToken: false })).toMatchObject({ status: 'expired', cause: 'token_expired_no_refresh', usable: false });
    expect(read({ ...oauth, status: 'needs_attention', statusCause: 'refresh_failing' })).toMatchObject({ usable: STATUS_CAUSES.refresh_failing.usable });
    expect(read({ status: 'disconnected', expiresAt: new Date(now.getTime() + 4 * DAY) })).toMatchObject({ status: 'disconnected', usable: false });
  });
});
