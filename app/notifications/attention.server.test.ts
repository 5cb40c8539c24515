// The attention banner (needs attention, expired, expiring, read now) and the notification settings service.
import { describe, expect, it } from 'vitest';
import { systemAuditContext } from '~/audit/audit.server';
import { bannerTitle } from '~/components/attention-banner';
import { statusSentence } from '~/components/credentials/labels';
import { setCredentialStatus } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { createKeyCredential, createOrg } from '~/jobs/test-support';
import { relativeText } from '~/utils/relative-time';
import { attentionBanner, dismissAttention } from './attention.server';

const DAY = 24 * 60 * 60_000;
import { getNotificationSettings, NotificationSettingsSchema, updateNotificationSettings } from './settings.server';

async function flag(organizationId: string, credentialId: string, reason: string) {
  await prisma.$transaction((tx) =>
    setCredentialStatus(tx, { credentialId, organizationId, status: 'needs_attention', cause: 'rejected', reason, context: systemAuditContext('test') }),
  );
}

describe('attention banner', () => {
  it('shows new needs-attention items until dismissed, and again for a newer one', async () => {
    const org = await createOrg();
    const membership = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.organizationId } });
    expect(await attentionBanner(org.organizationId, membership)).toBeNull();
    const a = await createKeyCredential(org, null);
    await flag(org.organizationId, a, 'OpenAI answered 401');
    const banner = await attentionBanner(org.organizationId, { id: membership.id });
    expect(banner).toMatchObject({ count: 1, items: [{ id: a, status: 'needs_attention', reason: 'OpenAI answered 401' }] });

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
    await flag(other.organizationId, c, 'OpenAI answered 401');
    const membership = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.organizationId } });
    expect(await attentionBanner(org.organizationId, { id: membership.id })).toBeNull();
  });

  it('warns about a key inside the warning window and one past its expiry before any sweep, with the time left from the expiry', async () => {
    const org = await createOrg();
    const membership = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.organizationId } });
    const now = new Date();
    const soon = await createKeyCredential(org, new Date(now.getTime() + 4 * DAY + 3_600_000));
    const gone = await createKeyCredential(org, new Date(now.getTime() - 3_600_000));
    await createKeyCredential(org, new Date(now.getTime() + 30 * DAY));
    const banner = (await attentionBanner(org.organizationId, { id: membership.id }, now))!;
    expect(banner).toMatchObject({ count: 2, byStatus: { needs_attention: 0, expired: 1, expiring: 1 } });
    expect(bannerTitle(banner.byStatus)).toBe('1 credential expired and 1 expires soon');
    const item = banner.items.find((i) => i.id === soon)!;
    expect(item).toMatchObject({ status: 'expiring', reason: null });
    // What the banner says is what the Expires column says, from the same instant and formatter.
    expect(statusSentence(item.status, item.reason, item.expiresAt, now)).toBe(`Expires ${relativeText(new Date(item.expiresAt!), now)}`);
    expect(statusSentence(item.status, item.reason, item.expiresAt, now)).toBe('Expires in 4 days');
    expect(banner.items.find((i) => i.id === gone)).toMatchObject({ status: 'expired' });

    // Dismissed, it stays quiet until something else crosses a line: the window of a key, read from the clock.
    await dismissAttention(membership.id, new Date(Date.now() + 1_000));
    expect(await attentionBanner(org.organizationId, { id: membership.id }, now)).toBeNull();
    const later = await createKeyCredential(org, new Date(now.getTime() + 9 * DAY));
    const inThreeDays = new Date(now.getTime() + 3 * DAY);
    const next = (await attentionBanner(org.organizationId, { id: membership.id }, inThreeDays))!;
    expect(next.items.map((i) => i.id)).toEqual([later]);
    expect(next.items[0]).toMatchObject({ status: 'expiring' });
    // A key created already inside its window got there when it was created, not when its window began.
    const created = await createKeyCredential(org, new Date(Date.now() + 2 * DAY));
    await prisma.credential.update({ where: { id: created }, data: { statusChangedAt: new Date(Date.now() + 2_000) } }); // created after the dismissal
    expect((await attentionBanner(org.organizationId, { id: membership.id }))!.items.map((i) => i.id)).toEqual([created]);
  });

  it('titles name every status there is, worst first', () => {
    expect(bannerTitle({ needs_attention: 2, expired: 0, expiring: 0 })).toBe('2 credentials need attention');
    expect(bannerTitle({ needs_attention: 1, expired: 2, expiring: 3 })).toBe('1 credential needs attention, 2 expired and 3 expire soon');
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
