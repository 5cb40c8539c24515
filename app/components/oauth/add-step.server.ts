// The OAuth step of "Add credential" on the server: what it shows for a service (its apps, by name) and what its two forms do (Connect, or paste tokens).
import { data, redirect, type AppLoadContext } from '@remix-run/node';
import { prefilledName } from '~/components/credential-forms/route-helpers.server';
import { credentialActor } from '~/credentials/actor.server';
import { getService } from '~/credentials/catalog';
import { connectOptions, oauthRedirectUri, type ConnectOption } from '~/oauth/apps.server';
import { OAuthError } from '~/oauth/errors';
import { startConnect } from '~/oauth/flow.server';
import { createPastedOAuthCredential } from '~/oauth/pasted.server';
import { getProvider, type OAuthProviderId } from '~/oauth/providers.server';
import type { OrgContext } from '~/orgs/membership.server';
import { allows } from '~/orgs/permissions';
import { forbidden, notFound, readFormData } from '~/utils/http.server';
import { redirectWithToast } from '~/utils/toast.server';

export type OAuthMethod = 'connect' | 'paste';

export interface OAuthStepData {
  service: { id: string; displayName: string };
  provider: OAuthProviderId;
  /** Null for Custom: nobody signs in "at Custom"; the chosen app names it. */
  providerLabel: string | null;
  scopes: string[];
  /** The apps a person can connect with, oldest first; empty: Connect cannot work yet. */
  apps: ConnectOption[];
  method: OAuthMethod;
  redirectUri: string;
  /** The `?name=` asked for (an agent's requirement), or the service's default name. */
  suggestedName: string;
  /** The `?name=` asked for, kept on the method links so switching between Connect and Paste keeps it. */
  name: string | null;
  /** May this person register an app (Settings → OAuth apps)? */
  canRegisterApps: boolean;
}

export function methodFromUrl(url: URL): OAuthMethod {
  return url.searchParams.get('method') === 'paste' ? 'paste' : 'connect';
}

export async function oauthStepData(ctx: OrgContext, serviceId: string, url: URL): Promise<OAuthStepData> {
  const service = getService(serviceId);
  const spec = service?.auth.oauth;
  if (!service || !spec) throw notFound();
  const provider = spec.oauthProvider;
  const name = prefilledName(url);
  return {
    service: { id: service.id, displayName: service.displayName },
    provider,
    providerLabel: provider === 'custom' ? null : getProvider(provider).label,
    scopes: [...spec.scopes],
    apps: await connectOptions(ctx.organization.id, provider),
    method: methodFromUrl(url),
    redirectUri: oauthRedirectUri(),
    suggestedName: name ?? `${service.id.replace(/[^A-Za-z0-9_-]/g, '_')}_oauth`,
    name,
    canRegisterApps: allows(ctx.membership.role, 'oauth_app.manage'),
  };
}

/** What a refused form gets back: the message, field errors and the non-secret values to fill in again. */
export interface OAuthStepResult {
  intent: OAuthMethod;
  message: string;
  fieldErrors: Record<string, string[]>;
  values: Record<string, string>;
}

const CONNECT_FIELDS = ['name', 'description', 'scopes', 'appId'];
const PASTE_FIELDS = ['name', 'description', 'accessToken', 'refreshToken', 'expiresAt', 'timeZone', 'tokenUrl', 'clientId', 'clientSecret', 'clientAuth', 'appId'];
/** Never sent back to the browser, whatever happens. */
const SECRET_FIELDS = new Set(['accessToken', 'refreshToken', 'clientSecret']);

function entries(form: FormData, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = form.get(name);
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

/** Connect (off to the provider) or paste tokens (saved, then the detail page); a refused form answers 400 with its errors. */
export async function oauthStepAction(ctx: OrgContext, request: Request, context: AppLoadContext, serviceId: string) {
  const form = await readFormData(request);
  const intent: OAuthMethod = form.get('intent') === 'paste' ? 'paste' : 'connect';
  const actor = credentialActor(ctx, request, context);
  const input = entries(form, intent === 'connect' ? CONNECT_FIELDS : PASTE_FIELDS);
  try {
    if (intent === 'connect') {
      const { authorizationUrl } = await startConnect(actor, ctx.session.id, { ...input, service: serviceId });
      return redirect(authorizationUrl);
    }
    const { id, refreshed } = await createPastedOAuthCredential(actor, { ...input, service: serviceId });
    return redirectWithToast(`/orgs/${ctx.organization.slug}/credentials/${id}`, {
      type: 'success',
      title: 'Tokens saved',
      description: refreshed ? 'The refresh token worked: Latchkey refreshed it once and will keep it fresh.' : undefined,
    });
  } catch (error) {
    if (error instanceof OAuthError && error.code !== 'not_found' && error.code !== 'forbidden') {
      const values = Object.fromEntries(Object.entries(input).filter(([name]) => !SECRET_FIELDS.has(name)));
      return data<OAuthStepResult>({ intent, message: error.message, fieldErrors: error.fieldErrors, values }, { status: 400 });
    }
    if (error instanceof OAuthError && error.code === 'forbidden') throw forbidden(error.message);
    throw error;
  }
}
