// Pasted tokens, for logins that cannot run in a browser here: a given refresh token is proven at once by refreshing; nothing is stored when that fails.
import { z } from 'zod';
import { recordAudit } from '~/audit/audit.server';
import { oauthSpecFor } from '~/credentials/catalog';
import type { CredentialActor } from '~/credentials/credentials.server';
import { invalidateCredentialCounts } from '~/credentials/query.server';
import { credentialDescriptionSchema, credentialNameSchema } from '~/credentials/schemas';
import { prisma } from '~/db.server';
import { Prisma } from '~/generated/prisma/client';
import { scheduleCredentialRefresh } from '~/jobs/refresh-schedule.server';
import { hasRole } from '~/orgs/roles';
import { writeCredentialSecrets } from '~/vault/vault.server';
import { PASTED_CLIENT_ID_FIELD, PASTED_CLIENT_SECRET_FIELD, resolveClientForConnect, type ResolvedClient } from './apps.server';
import { OAuthError } from './errors';
import { getProvider } from './providers.server';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD } from './refresh.server';
import { classifyTokenFailure, requestTokens, TokenEndpointError } from './token-endpoint.server';

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

/** Creates an OAuth credential from pasted tokens. Throws OAuthError with field errors or the provider's words. */
export async function createPastedOAuthCredential(actor: CredentialActor, input: Record<string, unknown>): Promise<{ id: string; refreshed: boolean }> {
  if (!hasRole(actor.role, 'admin')) throw new OAuthError('forbidden', 'Only owners and admins can add credentials');
  const parsed = pastedTokensSchema.safeParse(input);
  if (!parsed.success) throw new OAuthError('validation', 'Check the highlighted fields', fieldErrors(parsed.error));
  const data = parsed.data;
  const spec = oauthSpecFor(data.service);
  if (!spec) throw new OAuthError('validation', 'This service does not use OAuth', { service: ['Choose a service that supports OAuth'] });
  const taken = await prisma.credential.findFirst({ where: { organizationId: actor.organizationId, name: data.name }, select: { id: true } });
  if (taken) throw new OAuthError('validation', `A credential named ${data.name} already exists`, { name: [`A credential named ${data.name} already exists`] });

  let client: ResolvedClient | null = null;
  if (data.tokenUrl) {
    client = {
      provider: spec.oauthProvider,
      appId: null,
      clientId: data.clientId ?? '',
      clientSecret: data.clientSecret ?? null,
      clientAuth: data.clientAuth,
      endpoints: { authorizationUrl: '', tokenUrl: data.tokenUrl, revocationUrl: null, userinfoUrl: null },
      pkce: true,
      scopes: [],
    };
  } else if (data.refreshToken) {
    client = await resolveClientForConnect(actor.organizationId, spec.oauthProvider).catch((error: unknown) => {
      if (error instanceof OAuthError && error.code === 'not_configured') {
        throw new OAuthError('validation', `${error.message} Or give the token URL and client ID to refresh with.`, { tokenUrl: ['Needed to refresh these tokens'] });
      }
      throw error;
    });
  }

  let accessToken = data.accessToken;
  let refreshToken = data.refreshToken ?? null;
  let expiresAt = data.expiresAt ?? null;
  let scopes: string[] = [];
  if (refreshToken && client) {
    try {
      const tokens = await requestTokens(client.endpoints.tokenUrl, client, { grant_type: 'refresh_token', refresh_token: refreshToken });
      accessToken = tokens.accessToken();
      if (tokens.hasRefreshToken()) refreshToken = tokens.refreshToken();
      const body = tokens.data as Record<string, unknown>;
      expiresAt = typeof body.expires_in === 'number' ? tokens.accessTokenExpiresAt() : null;
      scopes = tokens.hasScopes() ? tokens.scopes().filter(Boolean) : [];
    } catch (error) {
      if (!(error instanceof TokenEndpointError)) throw error;
      const message = `${getProvider(spec.oauthProvider).label} did not accept the refresh token: ${classifyTokenFailure(error.failure).message}. Nothing was stored.`;
      throw new OAuthError('provider_error', message, { refreshToken: [message] });
    }
  }

  const secrets: Record<string, string> = { [ACCESS_TOKEN_FIELD]: accessToken };
  if (refreshToken) secrets[REFRESH_TOKEN_FIELD] = refreshToken;
  if (data.tokenUrl && data.clientId) secrets[PASTED_CLIENT_ID_FIELD] = data.clientId;
  if (data.tokenUrl && data.clientSecret) secrets[PASTED_CLIENT_SECRET_FIELD] = data.clientSecret;
  const expired = expiresAt !== null && expiresAt.getTime() <= Date.now();
  try {
    const created = await prisma.$transaction(async (tx) => {
      const credential = await tx.credential.create({
        data: {
          organizationId: actor.organizationId,
          name: data.name,
          service: data.service,
          type: 'oauth',
          description: data.description,
          status: expired ? 'expired' : 'active',
          expiresAt,
          lastRefreshedAt: refreshToken && client ? new Date() : null,
          createdById: actor.userId,
          oauthProvider: spec.oauthProvider,
          oauthScopes: scopes,
          oauthAppId: client?.appId ?? null,
          oauthTokenUrl: data.tokenUrl ?? null,
          settings: data.tokenUrl ? { clientAuth: data.clientAuth } : Prisma.DbNull,
        },
        select: { id: true },
      });
      await writeCredentialSecrets(tx, { organizationId: actor.organizationId, credentialId: credential.id, secrets });
      await recordAudit(tx, {
        organizationId: actor.organizationId,
        context: { actor: { type: 'user', id: actor.userId, label: actor.userLabel }, ip: actor.ip, userAgent: actor.userAgent },
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
          validatedByRefresh: Boolean(refreshToken && client),
          expiresAt: expiresAt?.toISOString() ?? null,
        },
      });
      return credential;
    });
    invalidateCredentialCounts(actor.organizationId);
    await scheduleCredentialRefresh(created.id, expiresAt);
    return { id: created.id, refreshed: Boolean(refreshToken && client) };
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new OAuthError('validation', `A credential named ${data.name} already exists`, { name: [`A credential named ${data.name} already exists`] });
    }
    throw error;
  }
}
