// Worker entry for webhook deliveries (signed, retried with exponential backoff by BullMQ).
export { deliverWebhookJob, WEBHOOK_QUEUE, type WebhookJobData } from '~/notifications/webhooks.server';
