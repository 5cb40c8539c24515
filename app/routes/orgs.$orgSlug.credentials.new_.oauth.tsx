// Add an OAuth credential: pick a service, review its default scopes and Connect — or paste tokens obtained elsewhere.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from '@remix-run/react';
import { useState } from 'react';
import { Button } from '~/components/ui/button';
import { Card, PageHeader } from '~/components/ui/card';
import { ErrorList, Field, FormError, Label, Select } from '~/components/ui/field';
import { credentialActor } from '~/credentials/actor.server';
import { servicesForType } from '~/credentials/catalog';
import { connectableProviders, oauthRedirectUri } from '~/oauth/apps.server';
import { OAuthError } from '~/oauth/errors';
import { startConnect } from '~/oauth/flow.server';
import { createPastedOAuthCredential } from '~/oauth/pasted.server';
import { getProvider } from '~/oauth/providers.server';
import { requireMembership } from '~/orgs/membership.server';
import { cn } from '~/utils/misc';
import { redirectWithToast } from '~/utils/toast.server';
import { readFormData } from '~/utils/http.server';

export const meta: MetaFunction = () => [{ title: 'Connect with OAuth · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.create');
  const ready = await connectableProviders(ctx.organization.id);
  const services = servicesForType('oauth').map((s) => {
    const spec = s.auth.oauth!;
    return {
      id: s.id,
      name: s.displayName,
      provider: spec.oauthProvider,
      providerLabel: getProvider(spec.oauthProvider).label,
      scopes: [...spec.scopes],
      ready: ready.has(spec.oauthProvider),
    };
  });
  return { slug: ctx.organization.slug, services, redirectUri: oauthRedirectUri() };
}

type ActionResult = { intent: 'connect' | 'paste'; message: string; fieldErrors: Record<string, string[]> };

function entries(form: FormData, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = form.get(name);
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'credential.create');
  const form = await readFormData(request);
  const intent = form.get('intent') === 'paste' ? 'paste' : 'connect';
  const actor = credentialActor(ctx, request, context);
  try {
    if (intent === 'connect') {
      const { authorizationUrl } = await startConnect(actor, ctx.session.id, entries(form, ['service', 'name', 'description', 'scopes']));
      return redirect(authorizationUrl);
    }
    const input = entries(form, ['service', 'name', 'description', 'accessToken', 'refreshToken', 'expiresAt', 'tokenUrl', 'clientId', 'clientSecret', 'clientAuth']);
    const { id, refreshed } = await createPastedOAuthCredential(actor, input);
    return redirectWithToast(`/orgs/${ctx.organization.slug}/credentials/${id}`, {
      type: 'success',
      title: 'Tokens saved',
      description: refreshed ? 'The refresh token worked: Latchkey refreshed it once and will keep it fresh.' : undefined,
    });
  } catch (error) {
    if (error instanceof OAuthError && error.code !== 'not_found') {
      // Only messages and field names go back: never the pasted values.
      return data<ActionResult>({ intent, message: error.message, fieldErrors: error.fieldErrors }, { status: 400 });
    }
    throw error;
  }
}

const tabClass = (active: boolean) =>
  cn('rounded-md px-3 py-1.5 text-sm font-medium', active ? 'bg-white text-slate-900 shadow-sm ring-1 ring-slate-200' : 'text-slate-600 hover:text-slate-900');

export default function NewOAuthCredentialPage() {
  const { slug, services, redirectUri } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const [searchParams] = useSearchParams();
  const tab = searchParams.get('tab') === 'paste' ? 'paste' : 'connect';
  const [serviceId, setServiceId] = useState(searchParams.get('service') ?? services.find((s) => s.ready)?.id ?? services[0]?.id ?? '');
  const service = services.find((s) => s.id === serviceId);
  const errors = result?.intent === tab ? result.fieldErrors : {};
  const formError = result?.intent === tab ? [result.message] : null;
  const busy = navigation.state === 'submitting';

  const serviceSelect = (
    <div>
      <Label htmlFor="oauth-service">Service</Label>
      <Select id="oauth-service" name="service" className="mt-1.5" value={serviceId} onChange={(e) => setServiceId(e.target.value)}>
        {services.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name === s.providerLabel ? s.name : `${s.name} (${s.providerLabel})`}{s.ready ? '' : ' — no OAuth app yet'}
          </option>
        ))}
      </Select>
      <ErrorList errors={errors.service} />
    </div>
  );

  return (
    <div className="space-y-6">
      <PageHeader title="Add an OAuth credential" description="Sign in at the provider; Latchkey keeps the tokens sealed and fresh." />
      <div className="inline-flex gap-1 rounded-lg bg-slate-100 p-1" role="tablist" aria-label="How to add">
        <Link role="tab" aria-selected={tab === 'connect'} className={tabClass(tab === 'connect')} to={`?tab=connect&service=${encodeURIComponent(serviceId)}`} replace>
          Connect
        </Link>
        <Link role="tab" aria-selected={tab === 'paste'} className={tabClass(tab === 'paste')} to={`?tab=paste&service=${encodeURIComponent(serviceId)}`} replace>
          Paste tokens
        </Link>
      </div>
      <Card className="max-w-2xl">
        {tab === 'connect' ? (
          <Form method="post" reloadDocument className="space-y-5 p-5 sm:p-6">
            <input type="hidden" name="intent" value="connect" />
            <FormError errors={formError} />
            {serviceSelect}
            {service && !service.ready ? (
              <p className="rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-800">
                No OAuth app is set up for {service.providerLabel}.{' '}
                <Link className="font-medium underline" to={`/orgs/${slug}/settings/oauth`}>
                  Register one in Settings
                </Link>{' '}
                first.
              </p>
            ) : null}
            <Field label="Name" hint='Letters, digits, "-", "_" and ":" — agents ask for it by this name.' errors={errors.name} inputProps={{ name: 'name', required: true, placeholder: 'github_bot' }} />
            <Field label="Description" errors={errors.description} inputProps={{ name: 'description', placeholder: 'Optional' }} />
            <Field
              key={serviceId}
              label="Scopes"
              hint={service?.scopes.length ? `Defaults for ${service.name}; change them if you need more or less.` : 'Space-separated; empty uses the app’s defaults.'}
              errors={errors.scopes}
              inputProps={{ name: 'scopes', defaultValue: service?.scopes.join(' ') ?? '', className: 'font-mono' }}
            />
            <div className="flex items-center justify-between gap-3 border-t border-slate-200 pt-4">
              <p className="text-xs text-slate-500">You will come back to {redirectUri}.</p>
              <Button type="submit" disabled={busy || !service?.ready}>
                Connect
              </Button>
            </div>
          </Form>
        ) : (
          <Form method="post" className="space-y-5 p-5 sm:p-6" autoComplete="off">
            <input type="hidden" name="intent" value="paste" />
            <FormError errors={formError} />
            <p className="text-sm text-slate-600">For logins that cannot run in a browser here. A refresh token is checked at once by refreshing it; nothing is stored if the provider refuses it.</p>
            {serviceSelect}
            <Field label="Name" errors={errors.name} inputProps={{ name: 'name', required: true }} />
            <Field label="Access token" errors={errors.accessToken} inputProps={{ name: 'accessToken', type: 'password', required: true }} />
            <Field label="Refresh token" hint="Optional." errors={errors.refreshToken} inputProps={{ name: 'refreshToken', type: 'password' }} />
            <Field label="Access token expires at" hint="Optional; ignored when a refresh token is given (the refresh sets it)." errors={errors.expiresAt} inputProps={{ name: 'expiresAt', type: 'datetime-local' }} />
            <Field label="Token URL" hint="Where to refresh. Empty uses the OAuth app set up for the provider." errors={errors.tokenUrl} inputProps={{ name: 'tokenUrl', type: 'url', placeholder: 'https://provider.example/oauth/token' }} />
            <div className="grid gap-5 sm:grid-cols-2">
              <Field label="Client ID" errors={errors.clientId} inputProps={{ name: 'clientId' }} />
              <Field label="Client secret" errors={errors.clientSecret} inputProps={{ name: 'clientSecret', type: 'password' }} />
            </div>
            <div>
              <Label htmlFor="paste-client-auth">Client authentication</Label>
              <Select id="paste-client-auth" name="clientAuth" className="mt-1.5" defaultValue="basic">
                <option value="basic">HTTP Basic</option>
                <option value="post">In the request body</option>
              </Select>
            </div>
            <div className="flex justify-end border-t border-slate-200 pt-4">
              <Button type="submit" disabled={busy}>
                Save tokens
              </Button>
            </div>
          </Form>
        )}
      </Card>
    </div>
  );
}
