// Streams a file credential as an attachment (POST only) after a recent password confirmation; never cached, audited.
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs } from '@remix-run/node';
import { httpErrorFor, requireOwnCredential } from '~/components/credential-forms/route-helpers.server';
import { hasRecentReauth } from '~/auth/session.server';
import { credentialActor } from '~/credentials/actor.server';
import { revealCredentialSecret } from '~/credentials/credentials.server';
import { credentialDownloadHeaders } from '~/credentials/files.server';
import { requireMembership } from '~/orgs/membership.server';
import { badRequest, readFormData } from '~/utils/http.server';
import { redirectWithToast } from '~/utils/toast.server';

/** A GET never downloads (links can be prefetched or leaked); it leads to the page with the button. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.reveal');
  const credential = await requireOwnCredential(ctx, request, params.id);
  return redirect(`/orgs/${ctx.organization.slug}/credentials/${credential.id}/reveal`);
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.reveal');
  // It reads no field, but a body that is not a form (JSON, broken multipart, a NUL) is refused before anything changes.
  await readFormData(request);
  const credential = await requireOwnCredential(ctx, request, params.id);
  if (credential.type !== 'file') throw badRequest('Only file credentials are downloaded');
  const revealPage = `/orgs/${ctx.organization.slug}/credentials/${credential.id}/reveal`;
  if (!hasRecentReauth(ctx.session)) {
    return redirectWithToast(revealPage, { type: 'info', title: 'Confirm your password to download this file' });
  }
  try {
    const revealed = await revealCredentialSecret(credentialActor(ctx, request, context), credential.id, {
      reauthenticatedAt: ctx.session.reauthenticatedAt,
    });
    if (!('file' in revealed)) throw badRequest('Only file credentials are downloaded');
    const { name, bytes, contentType } = revealed.file;
    return new Response(new Uint8Array(bytes), {
      status: 200,
      headers: credentialDownloadHeaders({ name, contentType, size: bytes.length }),
    });
  } catch (error) {
    throw httpErrorFor(error);
  }
}
