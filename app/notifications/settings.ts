// Notification settings shared by the settings form (browser) and the server: the schema and the signature header name.
import { z } from 'zod';

/** The header carrying the HMAC-SHA256 signature of a webhook delivery. */
export const SIGNATURE_HEADER = 'Latchkey-Signature';

export const NotificationSettingsSchema = z.object({
  webhookUrl: z
    .string()
    .trim()
    .max(2048, 'At most 2048 characters')
    .optional()
    .transform((v) => (v ? v : null))
    .pipe(
      z
        .url({ protocol: /^https?$/, message: 'Enter an http(s) URL, or leave empty to turn webhooks off' })
        .nullable(),
    ),
  warningWindowDays: z.coerce
    .number({ message: 'Enter a number of days' })
    .int('Whole days only')
    .min(1, 'At least 1 day')
    .max(90, 'At most 90 days'),
});
export type NotificationSettingsInput = z.infer<typeof NotificationSettingsSchema>;
