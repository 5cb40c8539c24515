// Notification settings of an organization: webhook URL, signing secret (rotated, shown once) and warning window.
import { recordAudit, type AuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import type { NotificationSettingsInput } from './settings';
import { urlRefusal } from '~/egress/egress.server';
import { rotateWebhookSecret } from './webhooks.server';

export { NotificationSettingsSchema, type NotificationSettingsInput } from './settings';

export interface NotificationSettingsView {
  webhookUrl: string | null;
  hasSecret: boolean;
  warningWindowDays: number;
}

export async function getNotificationSettings(organizationId: string): Promise<NotificationSettingsView> {
  const org = await prisma.organization.findUniqueOrThrow({
    where: { id: organizationId },
    select: { webhookUrl: true, webhookSecret: true, warningWindowDays: true },
  });
  return { webhookUrl: org.webhookUrl, hasSecret: org.webhookSecret !== null, warningWindowDays: org.warningWindowDays };
}

/**
 * Saves the settings. A URL on a private address is refused (field error) unless the organization
 * allows private hosts. Returns a new signing secret (to show once) when a URL is set for the first time.
 */
export async function updateNotificationSettings(
  organizationId: string,
  context: AuditContext,
  input: NotificationSettingsInput,
): Promise<{ ok: true; newSecret: string | null } | { ok: false; fieldErrors: Record<string, string[]> }> {
  const org = await prisma.organization.findUniqueOrThrow({
    where: { id: organizationId },
    select: { allowPrivateHosts: true, webhookSecret: true, webhookUrl: true, warningWindowDays: true },
  });
  if (input.webhookUrl) {
    // The egress policy every delivery goes through, judged now so a private address is refused when saved.
    const refusal = await urlRefusal(input.webhookUrl, org.allowPrivateHosts);
    if (refusal) return { ok: false, fieldErrors: { webhookUrl: [refusal] } };
  }
  await prisma.$transaction(async (tx) => {
    await tx.organization.update({
      where: { id: organizationId },
      data: { webhookUrl: input.webhookUrl, warningWindowDays: input.warningWindowDays },
    });
    await recordAudit(tx, {
      organizationId,
      context,
      action: 'organization.notifications_update',
      targetType: 'organization',
      targetId: organizationId,
      details: {
        webhookUrlHost: input.webhookUrl ? new URL(input.webhookUrl).host : null,
        warningWindowDays: { from: org.warningWindowDays, to: input.warningWindowDays },
      },
    });
  });
  const newSecret = input.webhookUrl && !org.webhookSecret ? await rotateSigningSecret(organizationId, context) : null;
  return { ok: true, newSecret };
}

/** A new signing secret, audited; the plaintext is returned once for the person to copy. */
export async function rotateSigningSecret(organizationId: string, context: AuditContext): Promise<string> {
  const secret = await rotateWebhookSecret(organizationId);
  await prisma.$transaction((tx) =>
    recordAudit(tx, {
      organizationId,
      context,
      action: 'organization.webhook_secret_rotate',
      targetType: 'organization',
      targetId: organizationId,
    }),
  );
  return secret;
}
