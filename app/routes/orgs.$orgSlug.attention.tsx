// Dismisses the needs-attention banner for the signed-in member (POST only), then back to the credentials.
import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { dismissAttention } from '~/notifications/attention.server';
import { requireMembership } from '~/orgs/membership.server';
import { readFormData } from '~/utils/http.server';

export async function loader({ params }: ActionFunctionArgs) {
  throw redirect(`/orgs/${params.orgSlug}/credentials`);
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { organization, membership } = await requireMembership(request, params.orgSlug);
  // It reads no field, but a body that is not a form (JSON, broken multipart, a NUL) is refused before anything changes.
  await readFormData(request);
  await dismissAttention(membership.id);
  throw redirect(`/orgs/${organization.slug}/credentials`);
}
