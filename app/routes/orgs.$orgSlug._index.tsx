// /orgs/:orgSlug lands on the credentials page.
import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import { requireMembership } from '~/orgs/membership.server';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { organization } = await requireMembership(request, params.orgSlug);
  throw redirect(`/orgs/${organization.slug}/credentials`);
}
