// Reconnect (POST only): starts the provider's sign-in for an existing OAuth credential, with the app it used or the one picked; the callback stores the new tokens.
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { credentialActor } from '~/credentials/actor.server';
import { OAuthError } from '~/oauth/errors';
import { startReconnect } from '~/oauth/flow.server';
import { requireMembership } from '~/orgs/membership.server';
import { forbidden, notFound, readFormData } from '~/utils/http.server';
import { redirectWithToast } from '~/utils/toast.server';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  return redirect(`/orgs/${ctx.organization.slug}/credentials/${encodeURIComponent(params.id ?? '')}`);
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.connect');
  // The app to sign in with, when the person picked one (else the one the tokens came from).
  const form = await readFormData(request);
  const appId = form.get('appId');
  try {
    const { authorizationUrl } = await startReconnect(credentialActor(ctx, request, context), ctx.session.id, params.id ?? '', {
      appId: typeof appId === 'string' ? appId : undefined,
    });
    return redirect(authorizationUrl);
  } catch (error) {
    if (error instanceof OAuthError && error.code === 'not_found') throw notFound();
    if (error instanceof OAuthError && error.code === 'forbidden') throw forbidden(error.message);
    if (error instanceof OAuthError) {
      return redirectWithToast(`/orgs/${ctx.organization.slug}/credentials/${encodeURIComponent(params.id ?? '')}`, {
        type: 'error',
        title: 'Cannot reconnect',
        description: error.message,
      });
    }
    throw error;
  }
}
