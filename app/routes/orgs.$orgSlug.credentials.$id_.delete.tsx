// Deletes a credential: GET is the confirmation page (what the dialog shows, for browsers without JavaScript); POST
// checks the typed name, revokes an OAuth credential's tokens at the provider first ("Delete revokes first"), then deletes.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Link, useActionData, useLoaderData } from '@remix-run/react';
import { ArrowLeft, Trash2 } from 'lucide-react';
import { agentsDependingOn } from '~/agents/agents.server';
import { httpErrorFor, requireOwnCredential } from '~/components/credential-forms/route-helpers.server';
import { DeleteConfirmForm, DeleteConsequences } from '~/components/credentials/delete-dialog';
import { SharedGrantChoice } from '~/components/oauth/revocation-notice';
import { Button } from '~/components/ui/button';
import { Card } from '~/components/ui/card';
import { ErrorList } from '~/components/ui/field';
import { credentialActor } from '~/credentials/actor.server';
import { deleteCredential } from '~/credentials/credentials.server';
import { CredentialError } from '~/credentials/errors';
import { revocationPlanFor, revokeBeforeDelete, type RevocationOutcome } from '~/oauth/disconnect.server';
import { OAuthError } from '~/oauth/errors';
import { assertMemberCan, requireMembership } from '~/orgs/membership.server';
import { forbidden, notFound, readFormData } from '~/utils/http.server';
import { redirectWithToast } from '~/utils/toast.server';

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Delete ${data.credential.name} · Credentials · Latchkey` : 'Delete credential · Latchkey' },
];

/** The hidden field the confirmation page sends, so a mismatch re-renders the page instead of going to the detail. */
const FROM_PAGE = 'confirm-page';

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.delete');
  const credential = await requireOwnCredential(ctx, request, params.id);
  assertMemberCan(ctx, 'credential.delete', credential);
  const agents = await agentsDependingOn({ organizationId: ctx.organization.id, name: credential.name });
  return {
    slug: ctx.organization.slug,
    credential: { id: credential.id, name: credential.name },
    // What happens at the provider, and who shares the grant (null: not OAuth, or disconnected with nothing to revoke).
    revocation: await revocationPlanFor(ctx.organization.id, credential.id),
    agents: agents.map(({ id, name }) => ({ id, name })),
  };
}

function mismatchMessage(name: string): string {
  return `The name you typed does not match the credential. Type ${name} to confirm.`;
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.delete');
  const formData = await readFormData(request);
  const confirmName = formData.get('confirmName');
  const typed = typeof confirmName === 'string' ? confirmName.trim() : '';
  const base = `/orgs/${ctx.organization.slug}/credentials`;
  const actor = credentialActor(ctx, request, context);
  const credential = await requireOwnCredential(ctx, request, params.id);
  assertMemberCan(ctx, 'credential.delete', credential);

  // The name is checked before anything reaches the provider: a typo must not revoke a credential that stays.
  if (typed !== credential.name) {
    if (formData.get('from') === FROM_PAGE) return data({ error: mismatchMessage(credential.name) }, { status: 400 });
    return redirectWithToast(`${base}/${credential.id}`, { type: 'error', title: 'Not deleted', description: mismatchMessage(credential.name) });
  }

  let revocation: RevocationOutcome;
  try {
    // "no": the person chose to keep a grant other credentials share (the dialog's choice).
    revocation = await revokeBeforeDelete(actor, credential.id, { revoke: formData.get('revoke') !== 'no' });
  } catch (error) {
    if (error instanceof OAuthError && error.code === 'not_found') throw notFound();
    if (error instanceof OAuthError && error.code === 'forbidden') throw forbidden(error.message);
    throw error;
  }

  try {
    const deleted = await deleteCredential(actor, credential.id, { confirmName: typed });
    if (credential.type !== 'oauth') return redirectWithToast(base, { type: 'success', title: `Deleted ${deleted.name}` });
    return redirectWithToast(
      base,
      revocation.revoked
        ? { type: 'success', title: `Deleted ${deleted.name}`, description: 'Its tokens were revoked at the provider first.' }
        : revocation.skipped
          ? { type: 'success', title: `Deleted ${deleted.name}`, description: 'Its tokens were deleted here without revoking them, so the credentials sharing its grant keep working.' }
          : { type: 'info', title: `Deleted ${deleted.name}`, description: `The tokens were deleted here, but ${revocation.problem}.` },
    );
  } catch (error) {
    if (error instanceof CredentialError && error.code === 'validation') {
      return redirectWithToast(`${base}/${credential.id}`, { type: 'error', title: 'Not deleted', description: error.message });
    }
    throw httpErrorFor(error);
  }
}

/** The confirmation without JavaScript: the same words and typed-name check as the dialog on the detail page. */
export default function DeleteCredentialPage() {
  const { slug, credential, revocation, agents } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const detail = `/orgs/${slug}/credentials/${credential.id}`;
  return (
    <div className="space-y-6">
      <Link
        to={detail}
        className="inline-flex items-center gap-1.5 rounded-sm text-sm font-medium text-slate-500 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600"
      >
        <ArrowLeft className="size-4" aria-hidden />
        {credential.name}
      </Link>
      <Card className="mx-auto max-w-lg p-6">
        <div className="flex items-start gap-4">
          <div className="flex size-10 shrink-0 items-center justify-center rounded-full bg-red-50 text-red-600">
            <Trash2 className="size-5" aria-hidden />
          </div>
          <div className="min-w-0 flex-1">
            <h1 className="text-base font-semibold text-slate-900">
              Delete <span className="break-all">“{credential.name}”</span>?
            </h1>
            <div className="mt-2">
              <DeleteConsequences agents={agents} revocation={revocation} />
            </div>
          </div>
        </div>
        <div className="mt-5">
          {result && 'error' in result ? (
            <div role="alert" className="mb-3">
              <ErrorList errors={[result.error]} />
            </div>
          ) : null}
          <DeleteConfirmForm
            name={credential.name}
            action={`${detail}/delete`}
            hidden={{ from: FROM_PAGE }}
            cancel={
              <Button asChild variant="secondary">
                <Link to={detail}>Cancel</Link>
              </Button>
            }
          >
            <SharedGrantChoice plan={revocation} revoke={false} />
          </DeleteConfirmForm>
        </div>
      </Card>
    </div>
  );
}
