// Pasted tokens, for logins that cannot run in a browser here: a given refresh token is proven at once by refreshing; nothing is stored when that fails.
import { credentialAuditContext } from '~/credentials/actor.server';
import { z } from 'zod';
import { recordAudit } from '~/audit/audit.server';
import { oauthSpecFor } from '~/credentials/catalog';
import type { CredentialActor, PreparedCredential } from '~/credentials/credentials.server';
import { invalidateCredentialCounts } from '~/credentials/query.server';
import { expiryInstant, FALLBACK_TIME_ZONE, isIanaTimeZone } from '~/credentials/expiry';
import { credentialDescriptionSchema, credentialNameSchema } from '~/credentials/schemas';
import { prisma } from '~/db.server';
import { urlRefusal } from '~/egress/egress.server';
import { Prisma } from '~/generated/prisma/client';
import { scheduleCredentialRefresh } from '~/jobs/refresh-schedule.server';
import { allows, deniedMessage } from '~/orgs/permissions';
import { writeCredentialSecrets } from '~/vault/vault.server';
import { PASTED_CLIENT_ID_FIELD, PASTED_CLIENT_SECRET_FIELD, pastedClient, PLATFORM_APP_ID, resolveClientForConnect, type ResolvedClient } from './apps.server';
import { OAuthError } from './errors';
import { getProvider, type OAuthProviderId } from './providers.server';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD } from './refresh.server';
import { classifyTokenFailure, fetchProfile, requestTokens, TokenEndpointError } from './token-endpoint.server';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = (max: number) => z.preprocess(blankToUndefined, z.string().trim().max(max).optional());

export const pastedTokensSchema = z
  .object({
    service: z.string({ error: 'Choose a service' }).trim().min(1, 'Choose a service'),
    name: credentialNameSchema,
    description: credentialDescriptionSchema.default(''),
    accessToken: z.string({ error: 'Paste the access token' }).trim().min(1, 'Paste the access token').max(8000),
    refreshToken: optionalText(8000),
    expiresAt: z.preprocess(blankToUndefined, z.coerce.date({ error: 'Enter a date and time' }).optional()),
    /** Where to refresh; empty = the organization's or platform's app for the service's provider. */
    tokenUrl: z.preprocess(
      blankToUndefined,
      z
        .url({ protocol: /^https?$/, error: 'Enter a full http(s) URL' })
        .refine((u) => {
          if (!/^https?:\/\//i.test(u)) return true;
          const parsed = new URL(u);
          return parsed.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
        }, 'Use https (http only for localhost)')
        .optional(),
    ),
    clientId: optionalText(500),
    clientSecret: optionalText(2000),
    clientAuth: z.enum(['basic', 'post']).default('basic'),
    /** Which of the organization's apps the tokens were issued to, when they are refreshed without a token URL. */
    appId: z.preprocess(blankToUndefined, z.union([z.uuid(), z.literal(PLATFORM_APP_ID)], { error: 'Choose an OAuth app' }).optional()),
  })
  .superRefine((v, ctx) => {
    if (v.tokenUrl && v.refreshToken && !v.clientId) {
      ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'The client ID the tokens were issued to is needed to refresh them' });
    }
    if (v.clientSecret && !v.tokenUrl) {
      ctx.addIssue({ code: 'custom', path: ['tokenUrl'], message: 'Give the token URL these client credentials belong to' });
    }
  });

function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) (out[issue.path.join('.') || 'form'] ??= []).push(issue.message);
  return out;
}

interface PastedTokens {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date | null;
}

/**
 * A pasted refresh token is proven by refreshing it once: the provider's answer replaces what was pasted.
 * Without a refresh token (or a client to refresh with) the tokens are kept as given.
 */
async function proveByRefresh(client: ResolvedClient | null, pasted: PastedTokens): Promise<PastedTokens & { scopes: string[]; refreshed: boolean }> {
  if (!pasted.refreshToken || !client) return { ...pasted, scopes: [], refreshed: false };
  try {
    const tokens = await requestTokens(client.endpoints.tokenUrl, client, { grant_type: 'refresh_token', refresh_token: pasted.refreshToken });
    const body = tokens.data as Record<string, unknown>;
    return {
      accessToken: tokens.accessToken(),
      refreshToken: tokens.hasRefreshToken() ? tokens.refreshToken() : pasted.refreshToken,
      expiresAt: typeof body.expires_in === 'number' ? tokens.accessTokenExpiresAt() : null,
      scopes: tokens.hasScopes() ? tokens.scopes().filter(Boolean) : [],
      refreshed: true,
    };
  } catch (error) {
    if (!(error instanceof TokenEndpointError)) throw error;
    const message = `${client.label} did not accept the refresh token: ${classifyTokenFailure(error.failure).message}. Nothing was stored.`;
    throw new OAuthError('provider_error', message, { refreshToken: [message] });
  }
}

/** Who the pasted tokens belong to, from the userinfo endpoint when one is known (the app's, or the provider's); else null. */
async function pastedAccount(provider: OAuthProviderId, client: ResolvedClient | null, accessToken: string, allowPrivateHosts: boolean): Promise<string | null> {
  const definition = getProvider(provider);
  const userinfoUrl = client?.endpoints.userinfoUrl ?? (provider === 'custom' ? null : definition.endpoints.userinfoUrl);
  if (!userinfoUrl) return null;
  const profile = await fetchProfile(userinfoUrl, accessToken, { allowPrivateHosts });
  return profile ? definition.account(profile, {}) : null;
}

/** A datetime-local value ("2026-12-03T17:30") is read in the time zone the browser sent, not the server's. */
function withLocalExpiry(input: Record<string, unknown>): Record<string, unknown> {
  const local = typeof input.expiresAt === 'string' ? /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(input.expiresAt) : null;
  if (!local) return input;
  const zone = typeof input.timeZone === 'string' && isIanaTimeZone(input.timeZone) ? input.timeZone : FALLBACK_TIME_ZONE;
  const instant = expiryInstant(local[1]!, local[2]!, zone);
  return { ...input, expiresAt: instant ? instant.toISOString() : 'not a date' };
}

/** Creates an OAuth credential from pasted tokens. Throws OAuthError with field errors or the provider's words. */
export async function createPastedOAuthCredential(actor: CredentialActor, input: Record<string, unknown>): Promise<{ id: string; refreshed: boolean }> {
  const prepared = await preparePastedOAuthCredential(actor, input);
  try {
    const created = await prisma.$transaction((tx) => prepared.write(tx));
    await prepared.afterCommit(created.id);
    return { id: created.id, refreshed: prepared.refreshed };
  } catch (error) {
    if (isNameTaken(error)) throw nameTaken(prepared.name);
    throw error;
  }
}

function isNameTaken(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

function nameTaken(name: string): OAuthError {
  return new OAuthError('validation', `A credential named ${name} already exists`, { name: [`A credential named ${name} already exists`] });
}

/**
 * Checks pasted tokens (a refresh token is proven by refreshing it once, through the egress policy) without
 * storing anything; `write` stores the credential in the caller's transaction.
 */
export async function preparePastedOAuthCredential(actor: CredentialActor, input: Record<string, unknown>): Promise<PreparedCredential & { refreshed: boolean }> {
  if (!allows(actor.role, 'credential.create')) throw new OAuthError('forbidden', deniedMessage(actor.role, 'credential.create'));
  const parsed = pastedTokensSchema.safeParse(withLocalExpiry(input));
  if (!parsed.success) throw new OAuthError('validation', 'Check the highlighted fields', fieldErrors(parsed.error));
  const data = parsed.data;
  const spec = oauthSpecFor(data.service);
  if (!spec) throw new OAuthError('validation', 'This service does not use OAuth', { service: ['Choose a service that supports OAuth'] });
  const taken = await prisma.credential.findFirst({ where: { organizationId: actor.organizationId, name: data.name }, select: { id: true } });
  if (taken) throw nameTaken(data.name);

  const org = await prisma.organization.findUniqueOrThrow({ where: { id: actor.organizationId }, select: { allowPrivateHosts: true } });
  let client: ResolvedClient | null = null;
  if (data.tokenUrl) {
    // The token URL is judged by the egress policy before anything is sent to it (the refresh token and client secret would be).
    const refusal = await urlRefusal(data.tokenUrl, org.allowPrivateHosts);
    if (refusal) throw new OAuthError('validation', 'Check the highlighted fields', { tokenUrl: [refusal] });
    client = {
      ...pastedClient(spec.oauthProvider, { clientId: data.clientId ?? '', clientSecret: data.clientSecret ?? null, clientAuth: data.clientAuth }, data.tokenUrl),
      allowPrivateHosts: org.allowPrivateHosts,
    };
  } else if (data.refreshToken) {
    client = await resolveClientForConnect(actor.organizationId, spec.oauthProvider, data.appId).catch((error: unknown) => {
      if (error instanceof OAuthError && error.code === 'not_configured') {
        throw new OAuthError('validation', `${error.message} Or give the token URL and client ID to refresh with.`, { tokenUrl: ['Needed to refresh these tokens'] });
      }
      throw error;
    });
  }

  const proven = await proveByRefresh(client, { accessToken: data.accessToken, refreshToken: data.refreshToken ?? null, expiresAt: data.expiresAt ?? null });
  const { accessToken, refreshToken, expiresAt, scopes } = proven;
  const account = await pastedAccount(spec.oauthProvider, client, accessToken, org.allowPrivateHosts);

  const secrets: Record<string, string> = { [ACCESS_TOKEN_FIELD]: accessToken };
  if (refreshToken) secrets[REFRESH_TOKEN_FIELD] = refreshToken;
  if (data.tokenUrl && data.clientId) secrets[PASTED_CLIENT_ID_FIELD] = data.clientId;
  if (data.tokenUrl && data.clientSecret) secrets[PASTED_CLIENT_SECRET_FIELD] = data.clientSecret;
  const expired = expiresAt !== null && expiresAt.getTime() <= Date.now();
  return {
    name: data.name,
    refreshed: proven.refreshed,
    async write(tx, audit) {
      const credential = await tx.credential.create({
        data: {
          organizationId: actor.organizationId,
          name: data.name,
          service: data.service,
          type: 'oauth',
          description: data.description,
          status: expired ? 'expired' : 'active',
          expiresAt,
          lastRefreshedAt: proven.refreshed ? new Date() : null,
          createdById: actor.userId,
          oauthProvider: spec.oauthProvider,
          oauthAccount: account,
          oauthScopes: scopes,
          oauthAppId: client?.appId ?? null,
          oauthTokenUrl: data.tokenUrl ?? null,
          settings: data.tokenUrl ? { oauthSource: 'pasted', clientAuth: data.clientAuth } : { oauthSource: 'pasted' },
        },
        select: { id: true },
      });
      await writeCredentialSecrets(tx, { organizationId: actor.organizationId, credentialId: credential.id, secrets });
      await recordAudit(tx, {
        organizationId: actor.organizationId,
        context: credentialAuditContext(actor),
        action: 'credential.create',
        targetType: 'credential',
        targetId: credential.id,
        credentialId: credential.id,
        details: {
          name: data.name,
          service: data.service,
          type: 'oauth',
          source: 'pasted_tokens',
          fields: Object.keys(secrets).sort(),
          validatedByRefresh: proven.refreshed,
          account,
          expiresAt: expiresAt?.toISOString() ?? null,
          ...audit?.details,
        },
      });
      return credential;
    },
    async afterCommit(id) {
      invalidateCredentialCounts(actor.organizationId);
      await scheduleCredentialRefresh(id, expiresAt);
    },
  };
}
