// The old address of the OAuth add page: it now lives in "Add credential" (type OAuth), so links and bookmarks land there.
import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import { getService } from '~/credentials/catalog';
import { requireMembership } from '~/orgs/membership.server';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.create');
  const url = new URL(request.url);
  const service = url.searchParams.get('service');
  const to = new URLSearchParams({ type: 'oauth' });
  if (service && getService(service)?.auth.oauth) to.set('service', service);
  if (to.has('service') && (url.searchParams.get('tab') === 'paste' || url.searchParams.get('method') === 'paste')) to.set('method', 'paste');
  return redirect(`/orgs/${ctx.organization.slug}/credentials/new?${to.toString()}`);
}
