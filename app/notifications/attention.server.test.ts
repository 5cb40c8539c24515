// The needs-attention banner and the notification settings service.
import { describe, expect, it } from 'vitest';
import { systemAuditContext } from '~/audit/audit.server';
import { setCredentialStatus } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { createKeyCredential, createOrg } from '~/jobs/test-support';
import { attentionBanner, dismissAttention } from './attention.server';
import { getNotificationSettings, NotificationSettingsSchema, updateNotificationSettings } from './settings.server';

async function flag(organizationId: string, credentialId: string, reason: string) {
  await prisma.$transaction((tx) =>
    setCredentialStatus(tx, { credentialId, organizationId, status: 'needs_attention', reason, context: systemAuditContext('test') }),
  );
}

describe('needs-attention banner', () => {
  it('shows new needs-attention items until dismissed, and again for a newer one', async () => {
    const org = await createOrg();
    const membership = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.organizationId } });
    expect(await attentionBanner(org.organizationId, membership)).toBeNull();
    const a = await createKeyCredential(org, null);
    await flag(org.organizationId, a, 'Expires in 3 days');
    const banner = await attentionBanner(org.organizationId, { id: membership.id });
    expect(banner).toMatchObject({ count: 1, items: [{ id: a, reason: 'Expires in 3 days' }] });

    await dismissAttention(membership.id, new Date(Date.now() + 1));
    expect(await attentionBanner(org.organizationId, { id: membership.id })).toBeNull();

    await new Promise((r) => setTimeout(r, 10));
    const b = await createKeyCredential(org, null);
    await flag(org.organizationId, b, 'Refresh failing since 2026-11-22 03:51 UTC: invalid_client');
    expect(await attentionBanner(org.organizationId, { id: membership.id })).toMatchObject({ count: 1, items: [{ id: b }] });
  });

  it("another organization's items never show", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const c = await createKeyCredential(other, null);
    await flag(other.organizationId, c, 'Expires in 1 day');
    const membership = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.organizationId } });
    expect(await attentionBanner(org.organizationId, { id: membership.id })).toBeNull();
  });
});

describe('notification settings', () => {
  it('validates with field errors and creates a signing secret with the first URL', async () => {
    const bad = NotificationSettingsSchema.safeParse({ webhookUrl: 'ftp://x', warningWindowDays: '0' });
    expect(bad.success).toBe(false);
    const org = await createOrg();
    const ctx = systemAuditContext('test');
    const refused = await updateNotificationSettings(org.organizationId, ctx, { webhookUrl: 'http://127.0.0.1:9/hook', warningWindowDays: 5 });
    expect(refused).toMatchObject({ ok: false, fieldErrors: { webhookUrl: [expect.stringMatching(/private address/)] } });
    await prisma.organization.update({ where: { id: org.organizationId }, data: { allowPrivateHosts: true } });
    const saved = await updateNotificationSettings(org.organizationId, ctx, { webhookUrl: 'http://127.0.0.1:9/hook', warningWindowDays: 5 });
    expect(saved.ok && saved.newSecret).toMatch(/^whsec_/);
    expect(await getNotificationSettings(org.organizationId)).toEqual({ webhookUrl: 'http://127.0.0.1:9/hook', hasSecret: true, warningWindowDays: 5 });
    const again = await updateNotificationSettings(org.organizationId, ctx, { webhookUrl: 'http://127.0.0.1:9/other', warningWindowDays: 5 });
    expect(again).toEqual({ ok: true, newSecret: null });
  });
});
