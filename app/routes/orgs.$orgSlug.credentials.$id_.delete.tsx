// Deletes a credential (POST only): the person types its name; success returns to the list, a mismatch to the detail page.
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { httpErrorFor, requireOwnCredential } from '~/components/credential-forms/route-helpers.server';
import { credentialActor } from '~/credentials/actor.server';
import { deleteCredential } from '~/credentials/credentials.server';
import { CredentialError } from '~/credentials/errors';
import { requireMembership } from '~/orgs/membership.server';
import { redirectWithToast } from '~/utils/toast.server';

/** A GET (e.g. a reloaded page) lands on the credential itself; deleting needs the confirmation form. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  const credential = await requireOwnCredential(ctx, request, params.id);
  return redirect(`/orgs/${ctx.organization.slug}/credentials/${credential.id}`);
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'admin');
  const formData = await request.formData();
  const confirmName = formData.get('confirmName');
  const base = `/orgs/${ctx.organization.slug}/credentials`;
  try {
    const deleted = await deleteCredential(credentialActor(ctx, request, context), params.id ?? '', {
      confirmName: typeof confirmName === 'string' ? confirmName : '',
    });
    return redirectWithToast(base, { type: 'success', title: `Deleted ${deleted.name}` });
  } catch (error) {
    if (error instanceof CredentialError && error.code === 'validation') {
      const message = error.fieldErrors.confirmName?.[0] ?? error.message;
      return redirectWithToast(`${base}/${encodeURIComponent(params.id ?? '')}`, {
        type: 'error',
        title: 'Not deleted',
        description: `${error.message}. ${message}.`,
      });
    }
    throw httpErrorFor(error);
  }
}
