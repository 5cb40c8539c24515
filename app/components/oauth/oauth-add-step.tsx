// Step 2 of "Add credential" for OAuth, in the add page's own card: Connect (choose the app when there are several) or paste tokens, with a way back and a way out.
import { Form, Link } from '@remix-run/react';
import { ClipboardPaste, ExternalLink, Link2, Settings2 } from 'lucide-react';
import { describe, FieldShell } from '~/components/credential-forms/form-fields';
import { useBrowserTimeZone } from '~/components/credential-forms/time-zone';
import { ServiceLogo } from '~/components/ServiceLogo';
import { Button } from '~/components/ui/button';
import { Badge, Card } from '~/components/ui/card';
import { FormError, Input, Label, Select } from '~/components/ui/field';
import { FALLBACK_TIME_ZONE } from '~/credentials/expiry';
import { cn } from '~/utils/misc';
import { AppPicker, type AppChoice } from './app-picker';

export interface OAuthAddStepProps {
  slug: string;
  step: {
    service: { id: string; displayName: string };
    providerLabel: string | null;
    scopes: string[];
    apps: AppChoice[];
    method: 'connect' | 'paste';
    redirectUri: string;
    suggestedName: string;
    /** The `?name=` asked for, carried by the method and service links. */
    name?: string | null;
    canRegisterApps: boolean;
  };
  /** A refused submission: its message, field errors and the non-secret values to show again. */
  result?: { intent: 'connect' | 'paste'; message: string; fieldErrors: Record<string, string[]>; values: Record<string, string> } | null;
  busy: boolean;
}

function TextField({
  name,
  label,
  hint,
  errors,
  defaultValue,
  optional,
  mono,
  type = 'text',
  placeholder,
  required,
}: {
  name: string;
  label: string;
  hint?: string;
  errors?: string[];
  defaultValue?: string;
  optional?: boolean;
  mono?: boolean;
  type?: string;
  placeholder?: string;
  required?: boolean;
}) {
  const id = `oauth-${name}`;
  return (
    <FieldShell id={id} label={label} hint={hint} errors={errors} optional={optional}>
      <Input
        id={id}
        name={name}
        type={type}
        defaultValue={defaultValue}
        placeholder={placeholder}
        required={required}
        autoComplete="off"
        spellCheck={false}
        className={cn(mono && 'font-mono')}
        {...describe(id, errors, Boolean(hint))}
      />
    </FieldShell>
  );
}

export function OAuthAddStep({ slug, step, result, busy }: OAuthAddStepProps) {
  const named = step.name ? `&name=${encodeURIComponent(step.name)}` : '';
  const base = `/orgs/${slug}/credentials/new?type=oauth&service=${encodeURIComponent(step.service.id)}${named}`;
  const canConnect = step.apps.length > 0;
  const signInAt = step.providerLabel ?? (step.apps.length === 1 ? step.apps[0]!.name : 'your provider');
  const own = result && result.intent === step.method ? result : null;
  const errors = own?.fieldErrors ?? {};
  const values = own?.values ?? {};
  const methods = [
    {
      id: 'connect' as const,
      icon: Link2,
      title: `Sign in at ${signInAt}`,
      text: 'Approve access there. Latchkey seals the tokens and refreshes them before they expire.',
      badge: canConnect ? <Badge tone="indigo">Recommended</Badge> : <Badge tone="amber">Needs an OAuth app</Badge>,
    },
    {
      id: 'paste' as const,
      icon: ClipboardPaste,
      title: 'Paste tokens',
      text: 'For logins that cannot run in a browser here. A refresh token is checked at once.',
      badge: null,
    },
  ];

  return (
    <Card className="mx-auto max-w-2xl">
      <div className="flex items-center gap-3 border-b border-slate-200 px-5 py-4">
        <span className="flex size-10 shrink-0 items-center justify-center rounded-lg border border-slate-100 bg-slate-50">
          <ServiceLogo service={step.service.id} name={step.service.displayName} size={22} />
        </span>
        <div className="min-w-0 flex-1">
          <h2 className="text-base font-semibold text-slate-900">{step.service.displayName} · OAuth</h2>
          <p className="text-sm text-slate-500">
            <Link to={`/orgs/${slug}/credentials/new?type=oauth${named}`} className="font-medium text-indigo-600 hover:text-indigo-500">
              Change service
            </Link>
          </p>
        </div>
      </div>

      <div className="space-y-5 px-5 py-5">
        <nav aria-label="How to add it">
          <ul className="grid gap-3 sm:grid-cols-2">
            {methods.map(({ id, icon: Icon, title, text, badge }) => {
              const active = step.method === id;
              return (
                <li key={id}>
                  <Link
                    to={id === 'connect' ? base : `${base}&method=paste`}
                    replace
                    preventScrollReset
                    aria-current={active ? 'true' : undefined}
                    className={cn(
                      'flex h-full flex-col rounded-lg border p-4 transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600',
                      active ? 'border-indigo-500 bg-indigo-50/40 ring-1 ring-indigo-500' : 'border-slate-200 bg-white hover:border-slate-300 hover:bg-slate-50',
                    )}
                  >
                    <span className="flex items-start justify-between gap-2">
                      <span className={cn('flex size-9 items-center justify-center rounded-lg', active ? 'bg-indigo-600 text-white' : 'bg-slate-100 text-slate-600')}>
                        <Icon className="size-4.5" aria-hidden />
                      </span>
                      {badge}
                    </span>
                    <span className="mt-3 text-sm font-semibold text-slate-900">{title}</span>
                    <span className="mt-1 text-sm text-slate-600">{text}</span>
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>

        {step.method === 'connect' ? (
          canConnect ? (
            <ConnectForm step={step} errors={errors} values={values} message={own?.message ?? null} busy={busy} cancel={`/orgs/${slug}/credentials`} />
          ) : (
            <NoAppYet slug={slug} step={step} pasteHref={`${base}&method=paste`} />
          )
        ) : (
          <PasteForm step={step} errors={errors} values={values} message={own?.message ?? null} busy={busy} cancel={`/orgs/${slug}/credentials`} />
        )}
      </div>
    </Card>
  );
}

function NoAppYet({ slug, step, pasteHref }: { slug: string; step: OAuthAddStepProps['step']; pasteHref: string }) {
  const who = step.providerLabel ?? 'a custom provider';
  return (
    <div className="space-y-4 border-t border-slate-200 pt-5">
      <div className="flex gap-3 rounded-lg border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900" data-testid="oauth-app-missing">
        <Settings2 className="mt-0.5 size-4 shrink-0 text-amber-600" aria-hidden />
        <div className="min-w-0 space-y-1">
          <p className="font-medium">No OAuth app is set up for {who} yet.</p>
          <p>
            Connect needs one: {step.canRegisterApps ? 'register it' : 'an admin registers it'} in Settings → OAuth apps, with the redirect URI{' '}
            <code className="font-mono text-xs break-all">{step.redirectUri}</code>. Or paste tokens you already have.
          </p>
        </div>
      </div>
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
        <Button asChild variant="secondary">
          <Link to={pasteHref} replace>
            <ClipboardPaste className="size-4" aria-hidden />
            Paste tokens instead
          </Link>
        </Button>
        <Button asChild>
          <Link to={`/orgs/${slug}/settings/oauth`}>
            {step.canRegisterApps ? 'Register an OAuth app' : 'See OAuth apps'}
            <ExternalLink className="size-4" aria-hidden />
          </Link>
        </Button>
      </div>
    </div>
  );
}

interface FormProps {
  step: OAuthAddStepProps['step'];
  errors: Record<string, string[]>;
  values: Record<string, string>;
  message: string | null;
  busy: boolean;
  cancel: string;
}

function FormFooter({ cancel, busy, label, note }: { cancel: string; busy: boolean; label: string; note?: React.ReactNode }) {
  return (
    <div className="flex flex-col gap-3 border-t border-slate-200 pt-5 sm:flex-row sm:items-center sm:justify-between">
      <p className="min-w-0 text-xs break-words text-slate-500">{note}</p>
      <div className="flex flex-col-reverse gap-2 sm:flex-row sm:shrink-0">
        <Button asChild variant="secondary">
          <Link to={cancel}>Cancel</Link>
        </Button>
        <Button type="submit" disabled={busy}>
          {label}
        </Button>
      </div>
    </div>
  );
}

function ConnectForm({ step, errors, values, message, busy, cancel }: FormProps) {
  const connectLabel = step.providerLabel ? `Connect with ${step.providerLabel}` : 'Connect';
  return (
    <Form method="post" reloadDocument className="space-y-5 border-t border-slate-200 pt-5" aria-label="Connect">
      <input type="hidden" name="intent" value="connect" />
      <FormError errors={message && Object.keys(errors).length === 0 ? [message] : null} />
      <AppPicker apps={step.apps} selected={values.appId} errors={errors.appId} />
      <TextField
        name="name"
        label="Name"
        mono
        required
        hint='Letters, digits, "-", "_" and ":". Agents ask for the credential by this name.'
        defaultValue={values.name ?? step.suggestedName}
        errors={errors.name}
      />
      <TextField name="description" label="Description" optional defaultValue={values.description} errors={errors.description} />
      <TextField
        name="scopes"
        label="Scopes"
        mono
        hint={step.scopes.length ? `Defaults for ${step.service.displayName}; change them if you need more or less.` : 'Space-separated; empty uses the app’s default scopes.'}
        defaultValue={values.scopes ?? step.scopes.join(' ')}
        errors={errors.scopes}
      />
      <FormFooter cancel={cancel} busy={busy} label={connectLabel} note={<>You come back to {step.redirectUri}.</>} />
    </Form>
  );
}

function PasteForm({ step, errors, values, message, busy, cancel }: FormProps) {
  const zone = useBrowserTimeZone();
  return (
    <Form method="post" className="space-y-5 border-t border-slate-200 pt-5" autoComplete="off" aria-label="Paste tokens">
      <input type="hidden" name="intent" value="paste" />
      <input type="hidden" name="timeZone" value={zone ?? FALLBACK_TIME_ZONE} />
      <FormError errors={message && Object.keys(errors).length === 0 ? [message] : null} />
      <TextField name="name" label="Name" mono required defaultValue={values.name ?? step.suggestedName} errors={errors.name} />
      <TextField name="accessToken" label="Access token" type="password" required errors={errors.accessToken} />
      <TextField name="refreshToken" label="Refresh token" type="password" optional hint="Checked at once by refreshing it; nothing is stored if the provider refuses it." errors={errors.refreshToken} />
      <TextField
        name="expiresAt"
        label="Access token expires at"
        type="datetime-local"
        optional
        hint={`Only for tokens without a refresh token (a refresh sets it). Read in ${zone ? `your time zone (${zone})` : 'UTC'}.`}
        defaultValue={values.expiresAt}
        errors={errors.expiresAt}
      />
      {step.apps.length > 1 ? (
        <AppPicker
          apps={step.apps}
          selected={values.appId}
          errors={errors.appId}
          legend="OAuth app the tokens were issued to"
          hint="Refreshes use it when no token URL is given below."
        />
      ) : null}
      <details className="group rounded-lg border border-slate-200 px-4 py-3" open={step.apps.length === 0 || Boolean(values.tokenUrl || values.clientId || errors.tokenUrl || errors.clientId || errors.clientSecret)}>
        <summary className="cursor-pointer text-sm font-medium text-slate-800">Refresh at another token URL</summary>
        <div className="mt-4 space-y-5">
          <TextField
            name="tokenUrl"
            label="Token URL"
            type="url"
            placeholder="https://provider.example/oauth/token"
            hint={step.apps.length ? 'Empty: refresh with the OAuth app above.' : 'Where these tokens are refreshed.'}
            defaultValue={values.tokenUrl}
            errors={errors.tokenUrl}
          />
          <div className="grid gap-5 sm:grid-cols-2">
            <TextField name="clientId" label="Client ID" defaultValue={values.clientId} errors={errors.clientId} />
            <TextField name="clientSecret" label="Client secret" type="password" optional errors={errors.clientSecret} />
          </div>
          <div>
            <Label htmlFor="oauth-clientAuth">Client authentication</Label>
            <Select id="oauth-clientAuth" name="clientAuth" className="mt-1.5" defaultValue={values.clientAuth ?? 'basic'}>
              <option value="basic">HTTP Basic</option>
              <option value="post">In the request body</option>
            </Select>
          </div>
        </div>
      </details>
      <TextField name="description" label="Description" optional defaultValue={values.description} errors={errors.description} />
      <FormFooter cancel={cancel} busy={busy} label="Save tokens" />
    </Form>
  );
}
