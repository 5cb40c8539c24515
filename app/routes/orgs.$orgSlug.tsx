// The organization layout: checks membership once for the shell and renders the sidebar around every org page.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { Outlet, useLoaderData } from '@remix-run/react';
import { AppShell } from '~/components/app-shell';
import { requireMembership } from '~/orgs/membership.server';
import { listUserOrganizations } from '~/orgs/organizations.server';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, organization, membership } = await requireMembership(request, params.orgSlug);
  const organizations = await listUserOrganizations(user.id);
  return {
    user: { name: user.name, email: user.email },
    organization: { slug: organization.slug, name: organization.name },
    role: membership.role,
    organizations: organizations.map((o) => ({ slug: o.slug, name: o.name, role: o.role })),
  };
}

export default function OrganizationLayout() {
  const { user, organization, organizations } = useLoaderData<typeof loader>();
  return (
    <AppShell user={user} organization={organization} organizations={organizations}>
      <Outlet />
    </AppShell>
  );
}
