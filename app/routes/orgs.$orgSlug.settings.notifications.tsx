// Notification settings: the webhook URL, its signing secret (shown once when created or rotated) and the warning window.
import { getFormProps, getInputProps, useForm } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { CopyButton } from '~/components/copy-button';
import { Button } from '~/components/ui/button';
import { Card } from '~/components/ui/card';
import { Field } from '~/components/ui/field';
import { NotificationSettingsSchema, SIGNATURE_HEADER } from '~/notifications/settings';
import { getNotificationSettings, rotateSigningSecret, updateNotificationSettings } from '~/notifications/settings.server';
import { memberAuditContext, requireMembership } from '~/orgs/membership.server';
import { allows } from '~/orgs/permissions';
import { readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Notifications · Settings · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { organization, membership } = await requireMembership(request, params.orgSlug);
  return { settings: await getNotificationSettings(organization.id), canEdit: allows(membership.role, 'settings.manage') };
}

export async function action({ request, params, context: loadContext }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'settings.manage');
  const { organization } = ctx;
  const formData = await readFormData(request);
  const context = memberAuditContext(ctx, request, loadContext);
  if (formData.get('intent') === 'rotate') {
    // The plaintext goes back in this POST's answer only, once; it is never in loader data.
    return { intent: 'rotate' as const, secret: await rotateSigningSecret(organization.id, context), result: undefined };
  }
  const submission = parseWithZod(formData, { schema: NotificationSettingsSchema });
  if (submission.status !== 'success') return data({ intent: 'save' as const, secret: null, result: submission.reply() }, { status: 400 });
  const saved = await updateNotificationSettings(organization.id, context, submission.value);
  if (!saved.ok) {
    return data({ intent: 'save' as const, secret: null, result: submission.reply({ fieldErrors: saved.fieldErrors }) }, { status: 400 });
  }
  return { intent: 'save' as const, secret: saved.newSecret, result: submission.reply() };
}

export default function NotificationSettingsPage() {
  const { settings, canEdit } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting';
  const [form, fields] = useForm({
    id: 'notification-settings',
    lastResult: actionData?.result,
    defaultValue: { webhookUrl: settings.webhookUrl ?? '', warningWindowDays: String(settings.warningWindowDays) },
    constraint: getZodConstraint(NotificationSettingsSchema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: NotificationSettingsSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  return (
    <Card className="mt-6 max-w-2xl">
      <Form method="post" {...getFormProps(form)}>
        <input type="hidden" name="intent" value="save" />
        <div className="space-y-5 p-5 sm:p-6">
          <div>
            <h2 className="text-sm font-semibold text-slate-900">Notifications</h2>
            <p className="mt-0.5 text-sm text-slate-500">
              Every status change (expiring, expired, needs attention) is POSTed as JSON to your webhook, signed with
              HMAC-SHA256 in the <code className="font-mono text-xs">{SIGNATURE_HEADER}</code> header
              (<code className="font-mono text-xs">t=…,v1=…</code> over <code className="font-mono text-xs">t.body</code>)
              and retried with backoff.
            </p>
          </div>
          <Field
            label="Webhook URL"
            errors={fields.webhookUrl.errors}
            inputProps={{
              ...getInputProps(fields.webhookUrl, { type: 'url' }),
              placeholder: 'https://example.com/hooks/latchkey',
              disabled: !canEdit,
            }}
          />
          <Field
            label="Warning window (days before an expiry)"
            errors={fields.warningWindowDays.errors}
            inputProps={{ ...getInputProps(fields.warningWindowDays, { type: 'number' }), disabled: !canEdit, className: 'max-w-32' }}
          />
        </div>
        {canEdit ? (
          <div className="flex justify-end border-t border-slate-200 bg-slate-50/60 px-5 py-3 sm:px-6">
            <Button type="submit" disabled={busy}>
              Save notifications
            </Button>
          </div>
        ) : null}
      </Form>
      <div className="space-y-3 border-t border-slate-200 p-5 sm:p-6">
        <div className="flex flex-wrap items-center justify-between gap-3">
          <div>
            <h3 className="text-sm font-semibold text-slate-900">Signing secret</h3>
            <p className="mt-0.5 text-sm text-slate-500">
              {settings.hasSecret ? 'Set. It is shown only once, when created or rotated.' : 'Created when you first save a webhook URL.'}
            </p>
          </div>
          {canEdit && settings.hasSecret ? (
            <Form method="post">
              <input type="hidden" name="intent" value="rotate" />
              <Button type="submit" variant="secondary" disabled={busy}>
                Rotate secret
              </Button>
            </Form>
          ) : null}
        </div>
        {actionData?.secret ? (
          <div role="status" className="rounded-lg border border-indigo-200 bg-indigo-50 p-3">
            <p className="text-sm font-medium text-indigo-900">Copy this secret now: it will not be shown again.</p>
            <div className="mt-2 flex items-center gap-2">
              <code className="min-w-0 flex-1 truncate rounded-md bg-white px-2 py-1.5 font-mono text-xs text-slate-800 ring-1 ring-slate-200">
                {actionData.secret}
              </code>
              <CopyButton value={actionData.secret} />
            </div>
          </div>
        ) : null}
      </div>
    </Card>
  );
}
