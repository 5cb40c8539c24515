// Disconnect (POST only): revokes at the provider (unless the person keeps a shared grant), deletes the tokens, keeps the credential for a later Reconnect.
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { credentialActor } from '~/credentials/actor.server';
import { disconnectCredential } from '~/oauth/disconnect.server';
import { OAuthError } from '~/oauth/errors';
import { requireMembership } from '~/orgs/membership.server';
import { forbidden, notFound, readFormData } from '~/utils/http.server';
import { redirectWithToast } from '~/utils/toast.server';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  return redirect(`/orgs/${ctx.organization.slug}/credentials/${encodeURIComponent(params.id ?? '')}`);
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.disconnect');
  // revoke=no: the person chose to keep a grant other credentials share (the dialog's choice).
  const form = await readFormData(request);
  const to = `/orgs/${ctx.organization.slug}/credentials/${encodeURIComponent(params.id ?? '')}`;
  try {
    const outcome = await disconnectCredential(credentialActor(ctx, request, context), params.id ?? '', { revoke: form.get('revoke') !== 'no' });
    return redirectWithToast(
      to,
      outcome.revoked
        ? { type: 'success', title: 'Disconnected', description: 'The tokens were revoked at the provider and deleted.' }
        : outcome.skipped
          ? { type: 'success', title: 'Disconnected here', description: 'The tokens were deleted here without revoking them, so the credentials sharing the grant keep working.' }
          : { type: 'info', title: 'Disconnected here', description: `The tokens were deleted. ${outcome.problem}.` },
    );
  } catch (error) {
    if (error instanceof OAuthError && error.code === 'not_found') throw notFound();
    if (error instanceof OAuthError && error.code === 'forbidden') throw forbidden(error.message);
    if (error instanceof OAuthError) return redirectWithToast(to, { type: 'error', title: 'Not disconnected', description: error.message });
    throw error;
  }
}
