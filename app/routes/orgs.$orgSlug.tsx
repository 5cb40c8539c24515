// The organization layout: checks membership once for the shell and renders the sidebar (with the pending proposals count) and the proposals banner around every org page.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { Outlet, useLoaderData, useLocation } from '@remix-run/react';
import { AppShell } from '~/components/app-shell';
import { ProposalBanner } from '~/components/proposals/proposal-banner';
import { requireMembership } from '~/orgs/membership.server';
import { listUserOrganizations } from '~/orgs/organizations.server';
import { pendingProposalsSummary } from '~/proposals/banner.server';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { user, organization, membership } = await requireMembership(request, params.orgSlug);
  const [organizations, proposals] = await Promise.all([listUserOrganizations(user.id), pendingProposalsSummary(organization.id)]);
  return {
    user: { name: user.name, email: user.email },
    organization: { slug: organization.slug, name: organization.name },
    role: membership.role,
    organizations: organizations.map((o) => ({ slug: o.slug, name: o.name, role: o.role })),
    proposals,
  };
}

export default function OrganizationLayout() {
  const { user, organization, organizations, proposals } = useLoaderData<typeof loader>();
  const { pathname } = useLocation();
  // The proposals pages are where the banner leads: it would only repeat them.
  const onProposals = pathname.startsWith(`/orgs/${organization.slug}/proposals`);
  return (
    <AppShell user={user} organization={organization} organizations={organizations} pendingProposals={proposals.count}>
      {onProposals ? null : <ProposalBanner banner={proposals} orgSlug={organization.slug} />}
      <Outlet />
    </AppShell>
  );
}
