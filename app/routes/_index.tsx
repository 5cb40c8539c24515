// "/" sends a signed-in user to their first organization, everyone else to the login page.
import { redirect, type LoaderFunctionArgs } from '@remix-run/node';
import { getOptionalUser } from '~/auth/session.server';
import { listUserOrganizations } from '~/orgs/organizations.server';

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await getOptionalUser(request);
  if (!user) throw redirect('/login');
  const [first] = await listUserOrganizations(user.id);
  throw redirect(first ? `/orgs/${first.slug}/credentials` : '/orgs/new');
}
