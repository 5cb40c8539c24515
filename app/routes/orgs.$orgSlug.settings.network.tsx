// Network settings: whether agents' proxy requests and webhooks may reach private hosts (owners decide).
import { parseWithZod } from '@conform-to/zod/v4';
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { ShieldAlert } from 'lucide-react';
import { Button } from '~/components/ui/button';
import { Card } from '~/components/ui/card';
import { prisma } from '~/db.server';
import { setAllowPrivateHosts } from '~/orgs/organizations.server';
import { orgActor, requireMembership } from '~/orgs/membership.server';
import { allows } from '~/orgs/permissions';
import { NetworkSettingsSchema } from '~/orgs/schemas';
import { redirectWithToast } from '~/utils/toast.server';
import { readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Network · Settings · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { organization, membership } = await requireMembership(request, params.orgSlug);
  const row = await prisma.organization.findUniqueOrThrow({ where: { id: organization.id }, select: { allowPrivateHosts: true } });
  return { allowPrivateHosts: row.allowPrivateHosts, canEdit: allows(membership.role, 'network.manage') };
}

export async function action({ request, params, context: loadContext }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'network.manage');
  const { organization } = ctx;
  const submission = parseWithZod(await readFormData(request), { schema: NetworkSettingsSchema });
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 });
  const allow = submission.value.allowPrivateHosts;
  await setAllowPrivateHosts(organization.id, allow, orgActor(ctx, request, loadContext));
  return redirectWithToast(`/orgs/${organization.slug}/settings/network`, {
    type: 'success',
    title: allow ? 'Private hosts allowed' : 'Private hosts blocked',
  });
}

export default function NetworkSettingsPage() {
  const { allowPrivateHosts, canEdit } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  const formError = actionData?.result.error?.allowPrivateHosts?.[0];
  return (
    <Card className="mt-6 max-w-2xl">
      <Form method="post">
        <div className="space-y-4 p-5 sm:p-6">
          <div>
            <h2 className="text-sm font-semibold text-slate-900">Network</h2>
            <p className="mt-0.5 text-sm text-slate-500">
              Agents reach a service only at its own host. Private, loopback, link-local and cloud-metadata addresses are
              refused — after DNS resolution — so a credential cannot be pointed at your internal network.
            </p>
          </div>
          <fieldset className="space-y-2" disabled={!canEdit}>
            <legend className="sr-only">Private hosts</legend>
            <label className="flex items-start gap-3 rounded-lg border border-slate-200 p-3 has-[:checked]:border-indigo-300 has-[:checked]:bg-indigo-50/50">
              <input type="radio" name="allowPrivateHosts" value="off" defaultChecked={!allowPrivateHosts} className="mt-1" />
              <span>
                <span className="block text-sm font-medium text-slate-900">Block private hosts</span>
                <span className="block text-sm text-slate-500">Recommended. Proxy requests and webhooks go to public addresses only.</span>
              </span>
            </label>
            <label className="flex items-start gap-3 rounded-lg border border-slate-200 p-3 has-[:checked]:border-amber-300 has-[:checked]:bg-amber-50/60">
              <input type="radio" name="allowPrivateHosts" value="on" defaultChecked={allowPrivateHosts} className="mt-1" />
              <span>
                <span className="block text-sm font-medium text-slate-900">Allow private hosts</span>
                <span className="block text-sm text-slate-500">
                  For self-hosted services on your network (a private GitLab, an internal API). Anyone who can edit a
                  credential&apos;s base URL can then reach internal addresses through the proxy.
                </span>
              </span>
            </label>
            {formError ? (
              <p className="text-sm text-red-600" role="alert">
                {formError}
              </p>
            ) : null}
          </fieldset>
          {!canEdit ? (
            <p className="flex items-center gap-2 text-sm text-slate-500">
              <ShieldAlert className="size-4" aria-hidden /> Only owners change this setting.
            </p>
          ) : null}
        </div>
        {canEdit ? (
          <div className="flex justify-end border-t border-slate-200 bg-slate-50/60 px-5 py-3 sm:px-6">
            <Button type="submit" disabled={busy}>
              Save network setting
            </Button>
          </div>
        ) : null}
      </Form>
    </Card>
  );
}
