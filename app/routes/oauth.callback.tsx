// The OAuth redirect URI: completes a Connect or Reconnect and sends the person back to the credential with a toast.
import { redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useLoaderData } from '@remix-run/react';
import { auditContextFromRequest } from '~/audit/audit.server';
import { getUserSession } from '~/auth/session.server';
import { AuthCard } from '~/components/auth-layout';
import { Button } from '~/components/ui/button';
import { CallbackError, completeAuthorization } from '~/oauth/flow.server';
import { approvalPath } from '~/proposals/paths';
import { redirectWithToast } from '~/utils/toast.server';

export const meta: MetaFunction = () => [{ title: 'Connecting · Latchkey' }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const signedIn = await getUserSession(request);
  // The state is bound to the session that started it; without one there is nothing to finish.
  if (!signedIn) throw redirect('/login');
  const { user, session } = signedIn;
  const label = user.name ? `${user.name} <${user.email}>` : user.email;
  const origin = auditContextFromRequest(request, { type: 'user', id: user.id, label }, context);
  try {
    const result = await completeAuthorization({
      params: new URL(request.url).searchParams,
      sessionId: session.id,
      userId: user.id,
      userLabel: label,
      ip: origin.ip,
      userAgent: origin.userAgent,
    });
    if (result.proposalId) {
      const who = result.account ? ` as ${result.account}` : '';
      return redirectWithToast(approvalPath(result.organizationSlug, result.proposalId), {
        type: 'success',
        title: `Connected${who}`,
        description: 'The tokens wait, sealed, until you approve the proposal.',
      });
    }
    const to = `/orgs/${result.organizationSlug}/credentials/${result.credentialId}`;
    if (result.accountChanged) {
      return redirectWithToast(to, {
        type: 'info',
        title: 'Reconnected with a different account',
        description: `Was ${result.previousAccount}, now ${result.account}. Agents using this credential now act as ${result.account}.`,
      });
    }
    const who = result.account ? ` as ${result.account}` : '';
    return redirectWithToast(to, { type: 'success', title: result.reconnected ? `Reconnected${who}` : `Connected${who}` });
  } catch (error) {
    if (!(error instanceof CallbackError)) throw error;
    if (error.organizationSlug) {
      const back = new URLSearchParams({ type: 'oauth', ...(error.service ? { service: error.service } : {}) });
      const to = error.proposalId
        ? approvalPath(error.organizationSlug, error.proposalId)
        : error.credentialId
          ? `/orgs/${error.organizationSlug}/credentials/${error.credentialId}`
          : `/orgs/${error.organizationSlug}/credentials/new?${back.toString()}`;
      return redirectWithToast(to, { type: 'error', title: 'Not connected', description: error.message });
    }
    return { message: error.message };
  }
}

export default function OAuthCallbackPage() {
  const { message } = useLoaderData<typeof loader>();
  return (
    <AuthCard title="Could not connect" description={message}>
      <Button asChild className="w-full">
        <Link to="/">Back to Latchkey</Link>
      </Button>
    </AuthCard>
  );
}
