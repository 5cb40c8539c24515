// Reveal a credential's value once (or offer its file for download) after the password was re-entered; never cached, always audited.
import { parseWithZod } from '@conform-to/zod/v4';
import type { SubmissionResult } from '@conform-to/react';
import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { Download, Eye, TriangleAlert } from 'lucide-react';
import { CredentialFormCard } from '~/components/credential-forms/form-card';
import { ReauthForm, reauthSchema } from '~/components/credential-forms/reauth-form';
import { httpErrorFor, NO_STORE_HEADERS, requireOwnCredential } from '~/components/credential-forms/route-helpers.server';
import { CopyButton } from '~/components/copy-button';
import { Button } from '~/components/ui/button';
import { reauthenticate } from '~/auth/accounts.server';
import { hasRecentReauth, REAUTH_WINDOW_MS } from '~/auth/session.server';
import { credentialActor } from '~/credentials/actor.server';
import { credentialFieldsFor, type CredentialType } from '~/credentials/catalog';
import { revealCredentialSecret } from '~/credentials/credentials.server';
import { CredentialError } from '~/credentials/errors';
import { requireMembership } from '~/orgs/membership.server';
import { oauthTokensNotShown } from '~/components/oauth/tokens-not-shown.server';
import { badRequest, readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Reveal credential · Latchkey' }, { name: 'robots', content: 'noindex' }];

/** Nothing on this page may be kept by the browser or a proxy. */
export const headers: HeadersFunction = () => NO_STORE_HEADERS;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.reveal');
  const credential = await requireOwnCredential(ctx, request, params.id);
  if (credential.type === 'oauth') throw oauthTokensNotShown(ctx.organization.slug, credential);
  return data(
    {
      slug: ctx.organization.slug,
      email: ctx.user.email,
      reauthenticated: hasRecentReauth(ctx.session),
      reauthMinutes: REAUTH_WINDOW_MS / 60_000,
      credential: {
        id: credential.id,
        name: credential.name,
        service: credential.service,
        type: credential.type,
        fileName: credential.fileName,
      },
    },
    { headers: NO_STORE_HEADERS },
  );
}

export interface RevealedValue {
  name: string;
  label: string;
  value: string;
  secret: boolean;
}

type ActionData =
  | { stage: 'reauth'; result?: SubmissionResult<string[]>; message?: string }
  | { stage: 'revealed'; values: RevealedValue[] };

function labelled(service: string, type: CredentialType, fields: Record<string, string>): RevealedValue[] {
  const specs = credentialFieldsFor(service, type);
  const order = new Map(specs.map((s, i) => [s.name, i]));
  return Object.entries(fields)
    .map(([name, value]) => {
      const spec = specs.find((s) => s.name === name);
      return { name, label: spec?.label ?? name, value, secret: spec?.secret ?? true };
    })
    .sort((a, b) => (order.get(a.name) ?? 99) - (order.get(b.name) ?? 99));
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.reveal');
  const credential = await requireOwnCredential(ctx, request, params.id);
  const actor = credentialActor(ctx, request, context);
  const formData = await readFormData(request);
  const intent = formData.get('intent');

  if (intent === 'reauth') {
    const submission = parseWithZod(formData, { schema: reauthSchema });
    if (submission.status !== 'success') {
      return data<ActionData>({ stage: 'reauth', result: submission.reply({ hideFields: ['password'] }) }, { status: 400, headers: NO_STORE_HEADERS });
    }
    const result = await reauthenticate(ctx.session, submission.value.password, { ip: actor.ip, userAgent: actor.userAgent });
    if (!result.ok) {
      return data<ActionData>(
        { stage: 'reauth', result: submission.reply({ hideFields: ['password'], fieldErrors: { password: [result.error] } }) },
        { status: 400, headers: NO_STORE_HEADERS },
      );
    }
    // Post/redirect/get: the page now offers the reveal button; a reload never re-sends the password.
    return redirect(`/orgs/${ctx.organization.slug}/credentials/${credential.id}/reveal`, { headers: NO_STORE_HEADERS });
  }

  if (intent !== 'reveal') throw badRequest('Unknown action');
  if (credential.type === 'file') throw badRequest('Files are downloaded, not shown');
  if (credential.type === 'oauth') throw oauthTokensNotShown(ctx.organization.slug, credential);
  if (!hasRecentReauth(ctx.session)) {
    return data<ActionData>(
      { stage: 'reauth', message: 'Your confirmation is older than 5 minutes. Re-enter your password to reveal this value.' },
      { status: 401, headers: NO_STORE_HEADERS },
    );
  }
  try {
    const revealed = await revealCredentialSecret(actor, credential.id, { reauthenticatedAt: ctx.session.reauthenticatedAt });
    if (!('fields' in revealed)) throw badRequest('Files are downloaded, not shown');
    return data<ActionData>(
      { stage: 'revealed', values: labelled(credential.service, credential.type, revealed.fields) },
      { headers: NO_STORE_HEADERS },
    );
  } catch (error) {
    if (error instanceof CredentialError && error.code === 'reauth_required') {
      return data<ActionData>({ stage: 'reauth', message: error.message }, { status: 401, headers: NO_STORE_HEADERS });
    }
    throw httpErrorFor(error);
  }
}

export default function RevealCredentialPage() {
  const { slug, email, reauthenticated, reauthMinutes, credential } = useLoaderData<typeof loader>();
  const actionData = useActionData() as ActionData | undefined;
  const navigation = useNavigation();
  const isFile = credential.type === 'file';
  const detail = `/orgs/${slug}/credentials/${credential.id}`;

  let body: React.ReactNode;
  if (actionData?.stage === 'revealed') {
    body = <RevealedValues values={actionData.values} detail={detail} reauthMinutes={reauthMinutes} />;
  } else if (!reauthenticated || actionData?.stage === 'reauth') {
    body = (
      <ReauthForm
        lastResult={actionData?.stage === 'reauth' ? actionData.result : undefined}
        message={actionData?.stage === 'reauth' ? actionData.message : undefined}
        email={email}
      />
    );
  } else if (isFile) {
    body = (
      <div className="space-y-4 px-5 py-5">
        <p className="text-sm text-slate-600">
          Download <span className="font-mono text-slate-800">{credential.fileName ?? 'the file'}</span>. The download is recorded in the
          audit log; keep the file somewhere safe and delete it when you are done.
        </p>
        <Form method="post" action={`${detail}/download`} reloadDocument className="flex justify-end">
          <Button type="submit">
            <Download className="size-4" aria-hidden />
            Download file
          </Button>
        </Form>
      </div>
    );
  } else {
    body = (
      <Form method="post" className="space-y-4 px-5 py-5">
        <input type="hidden" name="intent" value="reveal" />
        <p className="text-sm text-slate-600">
          The value is shown once on this page and is not kept by your browser. Revealing it is recorded in the audit log.
        </p>
        <div className="flex justify-end">
          <Button type="submit" disabled={navigation.state === 'submitting'}>
            <Eye className="size-4" aria-hidden />
            {navigation.state === 'submitting' ? 'Revealing…' : 'Reveal value'}
          </Button>
        </div>
      </Form>
    );
  }

  return (
    <CredentialFormCard
      slug={slug}
      credential={credential}
      title={isFile ? 'Download file' : 'Reveal value'}
    >
      {body}
    </CredentialFormCard>
  );
}

function RevealedValues({ values, detail, reauthMinutes }: { values: RevealedValue[]; detail: string; reauthMinutes: number }) {
  return (
    <div className="space-y-4 px-5 py-5">
      <div role="alert" className="flex gap-2.5 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2.5 text-sm text-amber-900">
        <TriangleAlert className="mt-0.5 size-4 shrink-0" aria-hidden />
        <p>
          Shown once. Copy what you need now: leaving or reloading this page hides it again. Anyone who sees this value can use it.
        </p>
      </div>
      <ul className="space-y-3" aria-label="Revealed values">
        {values.map((v) => (
          <li key={v.name} className="rounded-lg border border-slate-200 bg-slate-50 p-3">
            <div className="flex items-center justify-between gap-3">
              <span id={`revealed-${v.name}`} className="text-xs font-medium tracking-wide text-slate-500 uppercase">
                {v.label}
              </span>
              <CopyButton value={v.value} label={`Copy ${v.label.toLowerCase()}`} />
            </div>
            <p aria-labelledby={`revealed-${v.name}`} className="mt-2 font-mono text-sm break-all text-slate-900" data-revealed-value={v.name}>
              {v.value}
            </p>
          </li>
        ))}
      </ul>
      <p className="text-xs text-slate-500">Your confirmation stays valid for {reauthMinutes} minutes.</p>
      <div className="flex justify-end">
        <Button asChild variant="secondary">
          <Link to={detail}>Done</Link>
        </Button>
      </div>
    </div>
  );
}
