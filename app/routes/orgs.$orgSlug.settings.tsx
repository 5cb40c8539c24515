// Organization settings: name (admins can rename), the read-only slug, and links to OAuth apps, notifications, network and API tokens.
import { getFormProps, getInputProps, useForm } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, NavLink, Outlet, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { BellRing, ChevronRight, KeyRound, KeySquare, Network } from 'lucide-react';
import { Button } from '~/components/ui/button';
import { Card, PageHeader } from '~/components/ui/card';
import { Field, Input, Label } from '~/components/ui/field';
import { orgActor, requireMembership } from '~/orgs/membership.server';
import { renameOrganization } from '~/orgs/organizations.server';
import { allows } from '~/orgs/permissions';
import { RenameOrganizationSchema } from '~/orgs/schemas';
import { cn } from '~/utils/misc';
import { redirectWithToast } from '~/utils/toast.server';
import { readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Settings · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { organization, membership } = await requireMembership(request, params.orgSlug);
  return {
    organization: { name: organization.name, slug: organization.slug },
    canEdit: allows(membership.role, 'settings.manage'),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'settings.manage');
  const { organization } = ctx;
  const submission = parseWithZod(await readFormData(request), { schema: RenameOrganizationSchema });
  if (submission.status !== 'success') return data(submission.reply(), { status: 400 });
  await renameOrganization(organization.id, orgActor(ctx, request, context), submission.value.name);
  throw await redirectWithToast(`/orgs/${organization.slug}/settings`, { type: 'success', title: 'Organization renamed' });
}

export default function SettingsPage() {
  const { organization, canEdit } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const navigation = useNavigation();
  const [form, fields] = useForm({
    id: 'rename-organization',
    lastResult,
    defaultValue: { name: organization.name },
    constraint: getZodConstraint(RenameOrganizationSchema),
    onValidate: ({ formData }) => parseWithZod(formData, { schema: RenameOrganizationSchema }),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
  });
  return (
    <div className="space-y-6">
      <PageHeader title="Settings" description="Your organization’s name and address, the OAuth apps it connects with, how it hears about problems, and its API tokens." />
      <Card className="max-w-2xl">
        <Form method="post" {...getFormProps(form)}>
          <div className="space-y-5 p-5 sm:p-6">
            <div>
              <h2 className="text-sm font-semibold text-slate-900">General</h2>
              <p className="mt-0.5 text-sm text-slate-500">
                {canEdit ? 'Owners and admins can rename the organization.' : 'Only owners and admins can change these settings.'}
              </p>
            </div>
            <Field
              label="Organization name"
              errors={fields.name.errors}
              inputProps={{ ...getInputProps(fields.name, { type: 'text' }), disabled: !canEdit }}
            />
            <div>
              <Label htmlFor="org-slug">Slug</Label>
              <Input id="org-slug" value={organization.slug} readOnly className="mt-1.5 bg-slate-50 font-mono text-slate-600" aria-describedby="org-slug-hint" />
              <p id="org-slug-hint" className="mt-1.5 text-xs text-slate-500">
                Used in links: /orgs/{organization.slug}. It does not change when you rename the organization.
              </p>
            </div>
          </div>
          {canEdit ? (
            <div className="flex justify-end border-t border-slate-200 bg-slate-50/60 px-5 py-3 sm:px-6">
              <Button type="submit" disabled={navigation.state === 'submitting'}>
                Save changes
              </Button>
            </div>
          ) : null}
        </Form>
      </Card>
      <nav aria-label="More settings" className="grid max-w-2xl gap-3 sm:grid-cols-2">
        <SettingsLink
          to={`/orgs/${organization.slug}/settings/oauth`}
          icon={KeyRound}
          title="OAuth apps"
          description="Your clients at GitHub, Google, Slack and others."
        />
        <SettingsLink
          to={`/orgs/${organization.slug}/settings/notifications`}
          icon={BellRing}
          title="Notifications"
          description="Signed status webhooks and the expiry warning window."
        />
        <SettingsLink
          to={`/orgs/${organization.slug}/settings/network`}
          icon={Network}
          title="Network"
          description="Whether agents may reach private hosts."
        />
        <SettingsLink
          to={`/orgs/${organization.slug}/settings/tokens`}
          icon={KeySquare}
          title="API tokens"
          description="Tokens for scripts and the CLI to manage this organization."
        />
      </nav>
      {/* Child settings pages (notifications, network, API tokens) render below the links. */}
      <Outlet />
    </div>
  );
}

function SettingsLink({ to, icon: Icon, title, description }: { to: string; icon: typeof KeyRound; title: string; description: string }) {
  return (
    <NavLink
      to={to}
      className={({ isActive }) =>
        cn(
          'group flex items-start gap-3 rounded-lg border bg-white p-4 shadow-sm transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600',
          isActive ? 'border-indigo-500 ring-1 ring-indigo-500' : 'border-slate-200 hover:border-slate-300 hover:bg-slate-50',
        )
      }
    >
      <span className="flex size-9 shrink-0 items-center justify-center rounded-lg bg-indigo-50 text-indigo-600">
        <Icon className="size-4.5" aria-hidden />
      </span>
      <span className="min-w-0 flex-1">
        <span className="block text-sm font-semibold text-slate-900">{title}</span>
        <span className="mt-0.5 block text-xs text-slate-500">{description}</span>
      </span>
      <ChevronRight className="mt-0.5 size-4 shrink-0 text-slate-400 group-hover:text-slate-600" aria-hidden />
    </NavLink>
  );
}
