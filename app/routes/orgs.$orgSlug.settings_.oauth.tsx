// Settings → OAuth apps: register the organization's own app per provider (client secret sealed) and show the redirect URI to register.
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, Link, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { useState } from 'react';
import { CopyButton } from '~/components/copy-button';
import { Button } from '~/components/ui/button';
import { Badge, Card, PageHeader } from '~/components/ui/card';
import { ErrorList, Field, FormError, Label, Select } from '~/components/ui/field';
import { credentialActor } from '~/credentials/actor.server';
import { createOAuthApp, deleteOAuthApp, listOAuthApps, oauthRedirectUri } from '~/oauth/apps.server';
import { platformApp } from '~/oauth/config.server';
import { OAuthError } from '~/oauth/errors';
import { listProviders } from '~/oauth/providers.server';
import { requireMembership } from '~/orgs/membership.server';
import { allows } from '~/orgs/permissions';
import { notFound, readFormData } from '~/utils/http.server';
import { redirectWithToast } from '~/utils/toast.server';

export const meta: MetaFunction = () => [{ title: 'OAuth apps · Settings · Latchkey' }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug);
  const apps = await listOAuthApps(ctx.organization.id);
  return {
    slug: ctx.organization.slug,
    canEdit: allows(ctx.membership.role, 'oauth_app.manage'),
    redirectUri: oauthRedirectUri(),
    providers: listProviders().map((p) => ({
      id: p.id,
      label: p.label,
      consoleUrl: p.consoleUrl,
      platform: p.id !== 'custom' && platformApp(p.id) !== null,
    })),
    apps: apps.map((a) => ({ ...a, createdAt: a.createdAt.toISOString() })),
  };
}

const FIELDS = ['provider', 'name', 'clientId', 'clientSecret', 'issuer', 'authorizationUrl', 'tokenUrl', 'revocationUrl', 'userinfoUrl', 'scopes', 'clientAuth', 'pkce'];

export async function action({ request, params, context }: ActionFunctionArgs) {
  const ctx = await requireMembership(request, params.orgSlug, 'oauth_app.manage');
  const form = await readFormData(request);
  const actor = credentialActor(ctx, request, context);
  const back = `/orgs/${ctx.organization.slug}/settings/oauth`;
  try {
    if (form.get('intent') === 'delete') {
      await deleteOAuthApp(actor, String(form.get('appId') ?? ''));
      return redirectWithToast(back, { type: 'success', title: 'OAuth app removed' });
    }
    const input: Record<string, unknown> = {};
    for (const name of FIELDS) {
      const value = form.get(name);
      if (typeof value === 'string') input[name] = value;
    }
    input.pkce = form.get('pkce') === 'on';
    const app = await createOAuthApp(actor, input);
    return redirectWithToast(back, { type: 'success', title: `${app.name} registered` });
  } catch (error) {
    if (error instanceof OAuthError && error.code === 'not_found') throw notFound();
    if (error instanceof OAuthError) return data({ message: error.message, fieldErrors: error.fieldErrors }, { status: 400 });
    throw error;
  }
}

export default function OAuthAppsSettingsPage() {
  const { slug, canEdit, redirectUri, providers, apps } = useLoaderData<typeof loader>();
  const platform = providers.filter((p) => p.platform);
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const [provider, setProvider] = useState('github');
  const errors = result?.fieldErrors ?? {};
  const custom = provider === 'custom';
  const selected = providers.find((p) => p.id === provider);
  const label = (id: string) => providers.find((p) => p.id === id)?.label ?? id;

  return (
    <div className="space-y-6">
      <PageHeader title="OAuth apps" description="The clients Latchkey signs in with. Register your own per provider, or use the platform’s where one is configured." />
      <nav className="text-sm">
        <Link to={`/orgs/${slug}/settings`} className="text-indigo-600 hover:underline">
          ← General settings
        </Link>
      </nav>

      <Card className="max-w-3xl p-5 sm:p-6">
        <h2 className="text-sm font-semibold text-slate-900">Redirect URI</h2>
        <p className="mt-0.5 text-sm text-slate-500">Register exactly this URL as the callback (redirect) URL in every provider’s app.</p>
        <div className="mt-3 flex items-center gap-2">
          <code data-testid="redirect-uri" className="min-w-0 flex-1 truncate rounded-lg bg-slate-50 px-3 py-2 font-mono text-sm text-slate-800 ring-1 ring-slate-200">
            {redirectUri}
          </code>
          <CopyButton value={redirectUri} />
        </div>
      </Card>

      <Card className="max-w-3xl">
        <div className="border-b border-slate-200 px-5 py-4 sm:px-6">
          <h2 className="text-sm font-semibold text-slate-900">Registered apps</h2>
        </div>
        {apps.length === 0 ? (
          <p className="px-5 py-6 text-sm text-slate-500 sm:px-6">
            {platform.length > 0
              ? 'No apps yet. Providers marked “platform” below can connect without one.'
              : 'No apps yet. Register one below to connect OAuth credentials, or paste tokens you already have.'}
          </p>
        ) : (
          <ul className="divide-y divide-slate-100">
            {apps.map((app) => (
              <li key={app.id} className="flex flex-wrap items-center justify-between gap-3 px-5 py-3 sm:px-6">
                <div className="min-w-0">
                  <p className="text-sm font-medium text-slate-900">
                    {label(app.provider)} · {app.name}
                  </p>
                  <p className="truncate font-mono text-xs text-slate-500">
                    {app.clientId} {app.hasClientSecret ? '· secret sealed' : '· public client'}
                    {app.tokenUrl ? ` · ${app.tokenUrl}` : ''}
                  </p>
                </div>
                {canEdit ? (
                  <Form method="post">
                    <input type="hidden" name="intent" value="delete" />
                    <input type="hidden" name="appId" value={app.id} />
                    <Button type="submit" variant="danger" size="sm">
                      Remove
                    </Button>
                  </Form>
                ) : null}
              </li>
            ))}
          </ul>
        )}
        {platform.length > 0 ? (
          <div className="flex flex-wrap gap-2 border-t border-slate-200 px-5 py-3 sm:px-6">
            {platform.map((p) => (
              <Badge key={p.id}>{p.label}: platform</Badge>
            ))}
          </div>
        ) : null}
      </Card>

      {canEdit ? (
        <Card className="max-w-3xl">
          {/* Keyed by the registered apps: after a registration the form starts empty (no second app by accident, no secret left in it). */}
          <Form key={apps.map((a) => a.id).join(',')} method="post" className="space-y-5 p-5 sm:p-6" autoComplete="off">
            <input type="hidden" name="intent" value="create" />
            <div>
              <h2 className="text-sm font-semibold text-slate-900">Register an app</h2>
              {selected?.consoleUrl ? (
                <p className="mt-0.5 text-sm text-slate-500">
                  Create it in{' '}
                  <a className="text-indigo-600 hover:underline" href={selected.consoleUrl} target="_blank" rel="noreferrer noopener">
                    {selected.label}’s developer console
                  </a>{' '}
                  with the redirect URI above.
                </p>
              ) : null}
            </div>
            <FormError errors={result ? [result.message] : null} />
            <div className="grid gap-5 sm:grid-cols-2">
              <div>
                <Label htmlFor="app-provider">Provider</Label>
                <Select id="app-provider" name="provider" className="mt-1.5" value={provider} onChange={(e) => setProvider(e.target.value)}>
                  {providers.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.label}
                    </option>
                  ))}
                </Select>
                <ErrorList errors={errors.provider} />
              </div>
              <Field label="Name" hint="Tells apps of one provider apart." errors={errors.name} inputProps={{ name: 'name', defaultValue: 'Default', required: true }} />
              <Field label="Client ID" errors={errors.clientId} inputProps={{ name: 'clientId', required: true }} />
              <Field label="Client secret" hint="Sealed in the vault; never shown again." errors={errors.clientSecret} inputProps={{ name: 'clientSecret', type: 'password' }} />
            </div>
            {custom ? (
              <div className="grid gap-5 sm:grid-cols-2">
                <div className="sm:col-span-2">
                  <Field
                    label="Issuer URL"
                    hint="For OpenID Connect and RFC 8414 servers: Latchkey reads the endpoints below from its metadata and checks the issuer on every sign-in. Leave the URLs empty to use them."
                    errors={errors.issuer}
                    inputProps={{ name: 'issuer', type: 'url', placeholder: 'https://id.example.com' }}
                  />
                </div>
                <Field label="Authorization URL" errors={errors.authorizationUrl} inputProps={{ name: 'authorizationUrl', type: 'url' }} />
                <Field label="Token URL" errors={errors.tokenUrl} inputProps={{ name: 'tokenUrl', type: 'url' }} />
                <Field label="Revocation URL" hint="Optional (RFC 7009)." errors={errors.revocationUrl} inputProps={{ name: 'revocationUrl', type: 'url' }} />
                <Field label="Userinfo URL" hint="Optional; names the account." errors={errors.userinfoUrl} inputProps={{ name: 'userinfoUrl', type: 'url' }} />
                <Field label="Default scopes" hint="Space-separated." errors={errors.scopes} inputProps={{ name: 'scopes' }} />
                <div>
                  <Label htmlFor="app-client-auth">Client authentication</Label>
                  <Select id="app-client-auth" name="clientAuth" className="mt-1.5" defaultValue="basic">
                    <option value="basic">HTTP Basic</option>
                    <option value="post">In the request body</option>
                  </Select>
                </div>
                <label className="flex items-center gap-2 text-sm text-slate-700">
                  <input type="checkbox" name="pkce" defaultChecked className="size-4 rounded border-slate-300 text-indigo-600" />
                  Use PKCE (S256)
                </label>
              </div>
            ) : (
              <input type="hidden" name="pkce" value="on" />
            )}
            <div className="flex justify-end border-t border-slate-200 pt-4">
              <Button type="submit" disabled={navigation.state === 'submitting'}>
                Register app
              </Button>
            </div>
          </Form>
        </Card>
      ) : null}
    </div>
  );
}
