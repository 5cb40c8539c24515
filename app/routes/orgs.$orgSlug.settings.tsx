// Organization settings: name (admins can rename), the read-only slug, how long proposals wait, and links to OAuth apps, notifications, network and API tokens.
import { getFormProps, getInputProps, useForm } from '@conform-to/react';
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, NavLink, Outlet, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { BellRing, ChevronRight, KeyRound, KeySquare, Network } from 'lucide-react';
import { Button } from '~/components/ui/button';
import { Card, PageHeader } from '~/components/ui/card';
import { ErrorList, Field, Input, Label } from '~/components/ui/field';
import { orgActor, requireMembership } from '~/orgs/membership.server';
import { renameOrganization } from '~/orgs/organizations.server';
import { allows } from '~/orgs/permissions';
import { RenameOrganizationSchema } from '~/orgs/schemas';
import { MAX_PROPOSAL_EXPIRY_DAYS, proposalExpiryDaysSchema } from '~/proposals/proposals';
import { setProposalExpiryDays } from '~/proposals/proposals.server';
import { proposalExpiryDays } from '~/proposals/settings.server';
import { z } from 'zod';
import { cn } from '~/utils/misc';
import { redirectWithToast } from '~/utils/toast.server';
import { readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Settings · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { organization, membership } = await requireMembership(request, params.orgSlug);
  return {
    organization: { name: organization.name, slug: organization.slug },
    canEdit: allows(membership.role, 'settings.manage'),
    proposalExpiryDays: await proposalExpiryDays(organization.id),
  };
}

const ProposalExpirySchema = z.object({ proposalExpiryDays: proposalExpiryDaysSchema });

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'settings.manage');
  const { organization } = ctx;
  const form = await readFormData(request);
  if (form.get('intent') === 'proposal-expiry') {
    const parsed = ProposalExpirySchema.safeParse({ proposalExpiryDays: form.get('proposalExpiryDays') ?? '' });
    if (!parsed.success) {
      return data({ expiryErrors: parsed.error.issues.map((i) => i.message) }, { status: 400 });
    }
    await setProposalExpiryDays(organization.id, parsed.data.proposalExpiryDays, orgActor(ctx, request, context).context);
    const days = parsed.data.proposalExpiryDays;
    throw await redirectWithToast(`/orgs/${organization.slug}/settings`, {
      type: 'success',
      title: `Proposals now expire after ${days} day${days === 1 ? '' : 's'}`,
      description: 'Proposals already waiting keep their expiry.',
    });
  }
  const submission = parseWithZod(form, { schema: RenameOrganizationSchema });
  if (submission.status !== 'success') return data(submission.reply(), { status: 400 });
  await renameOrganization(organization.id, orgActor(ctx, request, context), submission.value.name);
  throw await redirectWithToast(`/orgs/${organization.slug}/settings`, { type: 'success', title: 'Organization renamed' });
}

export default function SettingsPage() {
  const { organization, canEdit, proposalExpiryDays: expiryDays } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const expiryErrors = actionData && 'expiryErrors' in actionData ? actionData.expiryErrors : null;
  const lastResult = actionData && !('expiryErrors' in actionData) ? actionData : undefined;
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
      <Card className="max-w-2xl">
        <Form method="post" noValidate aria-labelledby="proposal-settings-title">
          <input type="hidden" name="intent" value="proposal-expiry" />
          <div className="space-y-4 p-5 sm:p-6">
            <div>
              <h2 id="proposal-settings-title" className="text-sm font-semibold text-slate-900">
                Proposals
              </h2>
              <p className="mt-0.5 text-sm text-slate-500">
                How long an agent’s proposal waits for a decision before it expires. {canEdit ? '' : 'Only owners and admins can change it.'}
              </p>
            </div>
            <div>
              <Label htmlFor="proposal-expiry-days">Proposals expire after</Label>
              <div className="mt-1.5 flex items-center gap-2">
                <Input
                  id="proposal-expiry-days"
                  name="proposalExpiryDays"
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={MAX_PROPOSAL_EXPIRY_DAYS}
                  defaultValue={expiryDays}
                  disabled={!canEdit}
                  className="w-24"
                  aria-invalid={expiryErrors ? true : undefined}
                  aria-describedby={['proposal-expiry-hint', expiryErrors ? 'proposal-expiry-error' : null].filter(Boolean).join(' ')}
                />
                <span className="text-sm text-slate-700">days</span>
              </div>
              <p id="proposal-expiry-hint" className="mt-1.5 text-xs text-slate-500">
                Between 1 and {MAX_PROPOSAL_EXPIRY_DAYS} days; new proposals get the new expiry.
              </p>
              <ErrorList id="proposal-expiry-error" errors={expiryErrors} />
            </div>
          </div>
          {canEdit ? (
            <div className="flex justify-end border-t border-slate-200 bg-slate-50/60 px-5 py-3 sm:px-6">
              <Button type="submit" variant="secondary" disabled={navigation.state === 'submitting'}>
                Save expiry
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
