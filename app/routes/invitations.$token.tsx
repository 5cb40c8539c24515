// /invitations/:token: shows who invites you to what, and lets a signed-in person accept (once).
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { requestOrigin } from '~/audit/audit.server';
import { requireUser, getOptionalUser } from '~/auth/session.server';
import { AuthCard } from '~/components/auth-layout';
import { Button } from '~/components/ui/button';
import { FormError } from '~/components/ui/field';
import { OrgError } from '~/orgs/errors';
import { acceptInvitation, findInvitation, INVITATION_STATE_MESSAGES } from '~/orgs/invitations.server';
import { ROLE_LABELS } from '~/orgs/roles';
import { redirectWithToast } from '~/utils/toast.server';
import { readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Invitation · Latchkey' }, { name: 'referrer', content: 'no-referrer' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const token = params.token ?? '';
  const [invitation, user] = await Promise.all([findInvitation(token), getOptionalUser(request)]);
  const here = `/invitations/${encodeURIComponent(token)}`;
  const viewer = user ? { name: user.name, email: user.email } : null;
  if (!invitation) {
    return data({ status: 'invalid' as const, message: 'This invitation link is not valid. Check that you copied all of it.', here, viewer }, { status: 404 });
  }
  const base = { organizationName: invitation.organization.name, role: ROLE_LABELS[invitation.role], here, viewer };
  if (invitation.state !== 'valid') {
    return data({ ...base, status: invitation.state, message: INVITATION_STATE_MESSAGES[invitation.state] }, { status: 410 });
  }
  return { ...base, status: 'valid' as const, message: null };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requireUser(request);
  // It reads no field, but a body that is not a form (JSON, broken multipart, a NUL) is refused before anything changes.
  await readFormData(request);
  try {
    const { organization, alreadyMember } = await acceptInvitation(params.token ?? '', user, requestOrigin(request, context));
    return redirectWithToast(`/orgs/${organization.slug}/credentials`, {
      type: 'success',
      title: alreadyMember ? `You were already in ${organization.name}` : `Welcome to ${organization.name}`,
    });
  } catch (error) {
    if (!(error instanceof OrgError)) throw error;
    return data({ error: error.message }, { status: error.status });
  }
}

export default function InvitationPage() {
  const loaderData = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();

  if (loaderData.status !== 'valid') {
    return (
      <AuthCard title={loaderData.status === 'invalid' ? 'Invitation not found' : 'Invitation unavailable'}>
        <FormError errors={[loaderData.message]} />
        <Button asChild variant="secondary" className="mt-4 w-full">
          <Link to="/">Go to Latchkey</Link>
        </Button>
      </AuthCard>
    );
  }

  const redirectTo = new URLSearchParams({ redirectTo: loaderData.here });
  return (
    <AuthCard
      title={`Join ${loaderData.organizationName}`}
      description={
        <>
          You have been invited to <strong className="font-medium text-slate-700">{loaderData.organizationName}</strong> as{' '}
          <strong className="font-medium text-slate-700">{loaderData.role}</strong>.
        </>
      }
    >
      {loaderData.viewer ? (
        <Form method="post" className="space-y-4">
          <FormError errors={actionData && 'error' in actionData ? [actionData.error] : null} />
          <p className="text-sm text-slate-600">
            Signed in as <span className="font-medium text-slate-900">{loaderData.viewer.email}</span>.
          </p>
          <Button type="submit" className="w-full" disabled={navigation.state === 'submitting'}>
            Accept invitation
          </Button>
        </Form>
      ) : (
        <div className="space-y-3">
          <p className="text-sm text-slate-600">Log in or create an account to accept. You will come back here afterwards.</p>
          <Button asChild className="w-full">
            <Link to={`/login?${redirectTo}`}>Log in to accept</Link>
          </Button>
          <Button asChild variant="secondary" className="w-full">
            <Link to={`/signup?${redirectTo}`}>Create an account</Link>
          </Button>
        </div>
      )}
    </AuthCard>
  );
}
