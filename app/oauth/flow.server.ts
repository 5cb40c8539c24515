// Connect and Reconnect: authorization code with PKCE S256, a single-use state bound to session, organization and credential, and the callback that stores sealed tokens.
import { credentialAuditContext } from '~/credentials/actor.server';
import crypto from 'node:crypto';
import { generateCodeVerifier, generateState } from 'arctic';
import { z } from 'zod';
import { recordAudit, type AuditContext } from '~/audit/audit.server';
import { getService, oauthSpecFor } from '~/credentials/catalog';
import type { CredentialActor, PreparedCredential } from '~/credentials/credentials.server';
import { stageProposalTokens } from '~/proposals/staging.server';
import { invalidateCredentialCounts } from '~/credentials/query.server';
import { credentialDescriptionSchema, credentialNameSchema } from '~/credentials/schemas';
import { parseCredentialSettings } from '~/credentials/settings';
import { notifyStatusChange, setCredentialStatus } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { redactorFor } from '~/egress/redact';
import { Prisma } from '~/generated/prisma/client';
import { scheduleCredentialRefresh } from '~/jobs/refresh-schedule.server';
import { allows, can, deniedMessage, type Permission } from '~/orgs/permissions';
import type { Role } from '~/orgs/roles';
import { openSecret, sealSecret, writeCredentialSecrets } from '~/vault/vault.server';
import { oauthRedirectUri, PLATFORM_APP_ID, resolveClientForConnect, type ResolvedClient } from './apps.server';
import { OAuthError } from './errors';
import { getProvider, isOAuthProviderId, withOfflineAccess } from './providers.server';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD } from './refresh.server';
import { classifyTokenFailure, fetchProfile, requestTokens, TokenEndpointError } from './token-endpoint.server';

/** A pending authorization lives this long. */
export const STATE_TTL_MS = 10 * 60_000;

export const OAUTH_AUDIT_ACTIONS = {
  connect: 'credential.connect',
  reconnect: 'credential.reconnect',
  disconnect: 'credential.disconnect',
  revoke: 'credential.revoke',
} as const;

function hashState(state: string): string {
  return crypto.createHash('sha256').update(state).digest('hex');
}

/** The verifier is sealed under the organization's key, bound to this one state. */
function verifierLocation(organizationId: string, stateId: string) {
  return { organizationId, credentialId: organizationId, field: `code_verifier:${stateId}` };
}


/** The role matrix: without a target, may the role do this at all; with the credential, may this person ("own"). */
function requirePermission(actor: CredentialActor, permission: Permission, target?: { createdById: string | null }): void {
  const allowed = target ? can({ role: actor.role, userId: actor.userId }, permission, target) : allows(actor.role, permission);
  if (!allowed) throw new OAuthError('forbidden', deniedMessage(actor.role, permission));
}

export const connectSchema = z.object({
  service: z.string({ error: 'Choose a service' }).trim().min(1, 'Choose a service'),
  name: credentialNameSchema,
  description: credentialDescriptionSchema.default(''),
  /** Space- or comma-separated; empty = the catalog's defaults. */
  scopes: z.preprocess(
    (v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : v),
    z.array(z.string().max(200)).max(50).optional(),
  ),
  /** Which app to connect with (an OAuthApp id, or "platform"); may be left out when there is only one. */
  appId: z.preprocess((v) => (v === '' ? undefined : v), z.union([z.uuid(), z.literal(PLATFORM_APP_ID)], { error: 'Choose an OAuth app' }).optional()),
});

const reconnectSchema = z.object({ appId: connectSchema.shape.appId });

function fieldErrors(error: z.ZodError): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of error.issues) (out[issue.path.join('.') || 'form'] ??= []).push(issue.message);
  return out;
}

interface PendingAuthorization {
  organizationId: string;
  sessionId: string;
  credentialId: string | null;
  client: ResolvedClient;
  scopes: string[];
  intent: Record<string, string>;
}

/** Stores the state (hashed) and sealed verifier, and returns the provider's authorization URL. */
async function beginAuthorization(pending: PendingAuthorization): Promise<string> {
  const { client } = pending;
  if (!client.endpoints.authorizationUrl || !client.endpoints.tokenUrl) {
    throw new OAuthError('not_configured', 'This OAuth app has no authorization or token URL');
  }
  const state = generateState();
  const stateId = hashState(state);
  const codeVerifier = client.pkce ? generateCodeVerifier() : null;
  const redirectUri = oauthRedirectUri();
  // What the provider needs to issue a refresh token (its scopes and parameters), from the provider's data.
  const offline = withOfflineAccess(pending.scopes, client.offlineAccess);
  await prisma.$transaction(async (tx) => {
    const sealed = codeVerifier ? await sealSecret({ ...verifierLocation(pending.organizationId, stateId), plaintext: codeVerifier }, tx) : null;
    await tx.oAuthState.create({
      data: {
        id: stateId,
        sessionId: pending.sessionId,
        organizationId: pending.organizationId,
        credentialId: pending.credentialId,
        oauthAppId: client.appId,
        provider: client.provider,
        codeVerifier: sealed ? new Uint8Array(sealed.ciphertext) : null,
        codeVerifierKeyVersion: sealed?.keyVersion ?? null,
        redirectUri,
        scopes: offline.scopes,
        intent: pending.intent,
        expiresAt: new Date(Date.now() + STATE_TTL_MS),
      },
    });
  });
  // Expired states are useless; drop them now and then so the table stays small.
  if (Math.random() < 0.05) await prisma.oAuthState.deleteMany({ where: { expiresAt: { lt: new Date(Date.now() - STATE_TTL_MS) } } });
  const url = getProvider(client.provider).authorizationUrl(
    { clientId: client.clientId, clientSecret: client.clientSecret, redirectUri, state, codeVerifier, scopes: offline.scopes },
    client.endpoints,
  );
  for (const [name, value] of Object.entries(offline.params)) url.searchParams.set(name, value);
  return url.toString();
}

/** Connect from "Add credential": validates the name and service, then sends the person to the provider. */
export async function startConnect(actor: CredentialActor, sessionId: string, input: Record<string, unknown>): Promise<{ authorizationUrl: string }> {
  requirePermission(actor, 'credential.create');
  const parsed = connectSchema.safeParse(input);
  if (!parsed.success) throw new OAuthError('validation', 'Check the highlighted fields', fieldErrors(parsed.error));
  const data = parsed.data;
  const spec = oauthSpecFor(data.service);
  if (!spec) throw new OAuthError('validation', 'This service does not connect with OAuth', { service: ['Choose a service that supports OAuth'] });
  const existing = await prisma.credential.findFirst({ where: { organizationId: actor.organizationId, name: data.name }, select: { id: true } });
  if (existing) throw new OAuthError('validation', `A credential named ${data.name} already exists`, { name: [`A credential named ${data.name} already exists`] });
  const client = await resolveClientForConnect(actor.organizationId, spec.oauthProvider, data.appId);
  const scopes = data.scopes && data.scopes.length > 0 ? data.scopes : spec.scopes.length > 0 ? [...spec.scopes] : client.scopes;
  const authorizationUrl = await beginAuthorization({
    organizationId: actor.organizationId,
    sessionId,
    credentialId: null,
    client,
    scopes,
    intent: { kind: 'connect', name: data.name, service: data.service, description: data.description },
  });
  return { authorizationUrl };
}

/** Reconnect an existing OAuth credential: same id and name, new tokens; with the app it used unless the person picks another. */
export async function startReconnect(
  actor: CredentialActor,
  sessionId: string,
  credentialId: string,
  input: Record<string, unknown> = {},
): Promise<{ authorizationUrl: string }> {
  requirePermission(actor, 'credential.connect');
  // An id from the URL that is not a uuid names no credential (PostgreSQL would refuse to compare it: a 500).
  if (!z.guid().safeParse(credentialId).success) throw new OAuthError('not_found', 'Credential not found');
  const credential = await prisma.credential.findFirst({
    where: { id: credentialId, organizationId: actor.organizationId },
    select: { id: true, type: true, service: true, oauthProvider: true, oauthAppId: true, oauthTokenUrl: true, oauthScopes: true, createdById: true },
  });
  if (!credential) throw new OAuthError('not_found', 'Credential not found');
  requirePermission(actor, 'credential.connect', credential);
  if (credential.type !== 'oauth') throw new OAuthError('validation', 'Only OAuth credentials can be reconnected');
  const spec = oauthSpecFor(credential.service);
  const provider = credential.oauthProvider && isOAuthProviderId(credential.oauthProvider) ? credential.oauthProvider : spec?.oauthProvider;
  if (!provider) throw new OAuthError('validation', 'This credential has no OAuth provider');
  const choice = reconnectSchema.safeParse(input);
  if (!choice.success) throw new OAuthError('validation', 'Check the highlighted fields', fieldErrors(choice.error));
  // Tokens without an app row came from the platform's app, unless they were pasted with their own token URL.
  const previous = credential.oauthAppId ?? (credential.oauthTokenUrl ? null : PLATFORM_APP_ID);
  const chosen = choice.data.appId ?? previous;
  const client = await resolveClientForConnect(actor.organizationId, provider, chosen).catch((error: unknown) => {
    // The app it was issued to is gone: the only one left, or the person is asked to choose.
    if (!choice.data.appId && chosen && error instanceof OAuthError && error.code === 'not_found') return resolveClientForConnect(actor.organizationId, provider);
    throw error;
  });
  const scopes = credential.oauthScopes.length > 0 ? credential.oauthScopes : spec?.scopes.length ? [...spec.scopes] : client.scopes;
  const authorizationUrl = await beginAuthorization({
    organizationId: actor.organizationId,
    sessionId,
    credentialId: credential.id,
    client,
    scopes,
    intent: { kind: 'reconnect' },
  });
  return { authorizationUrl };
}

export interface CallbackResult {
  organizationSlug: string;
  credentialId: string;
  /** A Connect from a proposal's approval page: the proposal to go back to (the tokens wait on its slot). */
  proposalId?: string;
  reconnected: boolean;
  account: string | null;
  /** Reconnect signed in as someone else than before. */
  previousAccount: string | null;
  accountChanged: boolean;
}

type CallbackCode = 'state_invalid' | 'provider_denied' | 'provider_error' | 'exchange_failed';

/** Where to send the person after a failed callback (null when the state told us nothing trustworthy). */
export class CallbackError extends OAuthError {
  constructor(
    message: string,
    public readonly organizationSlug: string | null,
    public readonly credentialId: string | null,
    code: CallbackCode = 'state_invalid',
    /** A failed Connect: the service, so the person lands back on its add step. */
    public readonly service: string | null = null,
    /** A failed Connect of a proposal's slot: the approval page to go back to. */
    public readonly proposalId: string | null = null,
  ) {
    super(code, message);
  }
}

function issuerMatches(expectedAuthorizationUrl: string, iss: string): boolean {
  // An issuer we do not know as one string (Microsoft's names the tenant): at least the server we sent the person to.
  try {
    const origin = new URL(expectedAuthorizationUrl).origin;
    const normalized = iss.replace(/\/+$/, '');
    return normalized === origin || normalized.startsWith(`${origin}/`);
  } catch {
    return false;
  }
}

/**
 * The redirect back from the provider. The state must exist, be unused, unexpired and belong to this
 * session; it is consumed before anything else, so a replay finds nothing. Provider errors, a
 * mismatched `iss`, or a failed exchange store nothing.
 */
export async function completeAuthorization(input: {
  params: URLSearchParams;
  sessionId: string;
  userId: string;
  userLabel: string;
  ip: string | null;
  userAgent: string | null;
}): Promise<CallbackResult> {
  const { params } = input;
  const state = params.get('state');
  if (!state) throw new CallbackError('The sign-in came back without its state. Start again from Latchkey.', null, null);
  const stateId = hashState(state);
  const consumed = await prisma.oAuthState.updateManyAndReturn({
    where: { id: stateId, sessionId: input.sessionId, usedAt: null, expiresAt: { gt: new Date() } },
    data: { usedAt: new Date() },
  });
  const before = consumed[0] ? null : await prisma.oAuthState.findUnique({ where: { id: stateId }, select: { sessionId: true, usedAt: true, expiresAt: true } });
  const row = consumed[0];
  if (!row) {
    let message = 'This sign-in link is not valid. Start again from Latchkey.';
    if (before?.sessionId === input.sessionId) {
      message = before.usedAt ? 'This sign-in was already used. Start again from Latchkey.' : 'This sign-in took longer than 10 minutes. Start again from Latchkey.';
    } else if (before) {
      message = 'This sign-in was started in another browser session. Start again from Latchkey.';
    }
    throw new CallbackError(message, null, null);
  }
  // Single use: the sealed verifier leaves the database now (this request holds its copy), whatever happens next.
  await prisma.oAuthState.update({ where: { id: row.id }, data: { codeVerifier: null, codeVerifierKeyVersion: null } });
  const org = await prisma.organization.findUnique({ where: { id: row.organizationId }, select: { slug: true } });
  const membership = await prisma.membership.findFirst({ where: { organizationId: row.organizationId, userId: input.userId }, select: { role: true } });
  // The role may have changed while the person was at the provider: check the matrix again.
  const reconnecting = row.credentialId
    ? await prisma.credential.findFirst({ where: { id: row.credentialId, organizationId: row.organizationId }, select: { createdById: true } })
    : null;
  const subject = membership ? { role: membership.role as Role, userId: input.userId } : null;
  const permitted = subject && (row.credentialId ? can(subject, 'credential.connect', reconnecting) : can(subject, 'credential.create'));
  if (!org || !permitted) {
    throw new CallbackError('You can no longer connect credentials in this organization.', null, null);
  }
  const slug = org.slug;
  const intent = (row.intent ?? {}) as Record<string, string>;
  const fail = (message: string, code: CallbackCode) =>
    new CallbackError(message, slug, row.credentialId, code, intent.service ?? null, intent.kind === 'proposal' ? (intent.proposalId ?? null) : null);

  if (!isOAuthProviderId(row.provider)) throw fail('Unknown provider.', 'state_invalid');
  const provider = getProvider(row.provider);
  // The app the sign-in was sent with (a null app id is the platform's); it names the provider in every message.
  const client = await resolveClientForConnect(row.organizationId, row.provider, row.oauthAppId ?? PLATFORM_APP_ID).catch(() => {
    throw fail('The OAuth app used for this sign-in was removed. Nothing was changed.', 'state_invalid');
  });
  const providerError = params.get('error');
  if (providerError) {
    // The provider's words, without the state we sent it (the only secret the authorization request carried).
    const redactor = redactorFor({ secrets: [state] });
    const description = params.get('error_description');
    const words = providerError === 'access_denied' ? 'access was denied' : redactor.redactShort(providerError, 80);
    throw fail(`${client.label} did not connect: ${words}${description ? ` — ${redactor.redactShort(description, 200)}` : ''}. Nothing was changed.`, 'provider_denied');
  }
  // RFC 9207: an `iss` must name the server the person was sent to; a server that always sends it must have sent it.
  const iss = params.get('iss');
  const expected = client.issuerIdentification;
  if (iss === null) {
    if (expected.issParameterRequired) {
      throw fail(`${client.label} always names itself on the way back (iss, RFC 9207), but this sign-in came back without it. Nothing was changed.`, 'state_invalid');
    }
  } else if (expected.issuer !== null ? iss !== expected.issuer : !issuerMatches(client.endpoints.authorizationUrl, iss)) {
    throw fail('The sign-in came back from a different server than it was sent to. Nothing was changed.', 'state_invalid');
  }
  const code = params.get('code');
  if (!code) throw fail(`${client.label} sent no authorization code. Nothing was changed.`, 'provider_error');

  const codeVerifier = await openVerifier(row);
  if (client.pkce && !codeVerifier) throw fail('The sign-in lost its PKCE verifier. Start again.', 'state_invalid');

  let tokens;
  try {
    tokens = await requestTokens(client.endpoints.tokenUrl, client, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: row.redirectUri,
      ...(codeVerifier ? { code_verifier: codeVerifier } : {}),
    });
  } catch (error) {
    if (!(error instanceof TokenEndpointError)) throw error;
    const verdict = classifyTokenFailure(error.failure);
    throw fail(`${client.label} rejected the sign-in: ${verdict.message}. Nothing was changed.`, 'exchange_failed');
  }
  const data = tokens.data as Record<string, unknown>;
  const accessToken = tokens.accessToken();
  const refreshToken = tokens.hasRefreshToken() ? tokens.refreshToken() : null;
  const expiresAt = typeof data.expires_in === 'number' ? tokens.accessTokenExpiresAt() : null;
  const granted = tokens.hasScopes() ? tokens.scopes().filter(Boolean) : row.scopes;
  const profile = client.endpoints.userinfoUrl ? await fetchProfile(client.endpoints.userinfoUrl, accessToken, { allowPrivateHosts: client.allowPrivateHosts ?? false }) : null;
  const account = provider.account(profile, data);
  const context: AuditContext = { actor: { type: 'user', id: input.userId, label: input.userLabel }, ip: input.ip, userAgent: input.userAgent };
  const secrets: Record<string, string> = { [ACCESS_TOKEN_FIELD]: accessToken, ...(refreshToken ? { [REFRESH_TOKEN_FIELD]: refreshToken } : {}) };

  const connected: ConnectedTokens = {
    provider: row.provider,
    appId: client.appId,
    accessToken,
    refreshToken,
    expiresAt: expiresAt?.toISOString() ?? null,
    scopes: granted,
    account,
  };
  if (intent.kind === 'proposal') {
    // Approval page: the tokens wait, sealed on the proposal's slot, until the proposal is approved (or not).
    const staged = await stageProposalTokens({
      organizationId: row.organizationId,
      proposalId: intent.proposalId ?? '',
      position: Number(intent.position),
      tokens: connected,
      context,
    });
    if (!staged) throw fail('The proposal was decided or expired meanwhile. Nothing was stored.', 'state_invalid');
    return { organizationSlug: slug, credentialId: '', proposalId: staged.proposalId, reconnected: false, account, previousAccount: null, accountChanged: false };
  }
  if (!row.credentialId) {
    const prepared = prepareConnectedOAuthCredential(
      { organizationId: row.organizationId, userId: input.userId, context },
      { name: intent.name ?? '', service: intent.service ?? 'custom', description: intent.description ?? '' },
      connected,
    );
    try {
      const created = await prisma.$transaction((tx) => prepared.write(tx));
      await prepared.afterCommit(created.id);
      return { organizationSlug: slug, credentialId: created.id, reconnected: false, account, previousAccount: null, accountChanged: false };
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw fail(`A credential named ${intent.name} was created meanwhile. Nothing was stored; connect again under another name.`, 'state_invalid');
      }
      throw error;
    }
  }

  const credentialId = row.credentialId;
  const outcome = await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ oauthAccount: string | null; type: string; settings: Prisma.JsonValue | null }>>`
      SELECT "oauthAccount", type, settings FROM "Credential" WHERE id = ${credentialId}::uuid AND "organizationId" = ${row.organizationId}::uuid FOR UPDATE`;
    const current = rows[0];
    if (!current || current.type !== 'oauth') return null;
    await tx.credential.update({
      where: { id: credentialId },
      data: {
        version: { increment: 1 },
        expiresAt,
        lastRefreshedAt: new Date(),
        refreshFailingSince: null,
        oauthProvider: row.provider,
        oauthAccount: account,
        oauthScopes: granted,
        oauthAppId: client.appId,
        oauthTokenUrl: null,
        settings: signedInSettings(current.settings),
      },
    });
    // The old grant's refresh token must not outlive it.
    if (!refreshToken) await tx.credentialSecret.deleteMany({ where: { credentialId, field: REFRESH_TOKEN_FIELD } });
    await writeCredentialSecrets(tx, { organizationId: row.organizationId, credentialId, secrets });
    const status = await setCredentialStatus(tx, { credentialId, organizationId: row.organizationId, status: 'active', reason: null, context });
    const accountChanged = current.oauthAccount !== null && account !== null && current.oauthAccount !== account;
    await recordAudit(tx, {
      organizationId: row.organizationId,
      context,
      action: OAUTH_AUDIT_ACTIONS.reconnect,
      targetType: 'credential',
      targetId: credentialId,
      credentialId,
      details: { provider: row.provider, account, previousAccount: current.oauthAccount, accountChanged, scopes: granted },
    });
    return { previousAccount: current.oauthAccount, accountChanged, statusChanged: status.changed };
  });
  if (!outcome) throw fail('The credential was deleted meanwhile. Nothing was stored.', 'state_invalid');
  if (outcome.statusChanged) await notifyStatusChange(credentialId);
  invalidateCredentialCounts(row.organizationId);
  await scheduleCredentialRefresh(credentialId, expiresAt);
  return { organizationSlug: slug, credentialId, reconnected: true, account, previousAccount: outcome.previousAccount, accountChanged: outcome.accountChanged };
}

/** After a sign-in the tokens are no longer pasted ones: their token URL's client settings go, the rest (base URL, timeouts) stays. */
function signedInSettings(stored: Prisma.JsonValue | null): Prisma.InputJsonValue | typeof Prisma.DbNull {
  const { clientAuth: _a, revocationUrl: _r, oauthSource: _s, ...rest } = parseCredentialSettings(stored);
  return Object.keys(rest).length > 0 ? (rest as Prisma.InputJsonValue) : Prisma.DbNull;
}

async function openVerifier(row: { id: string; organizationId: string; codeVerifier: Uint8Array | null; codeVerifierKeyVersion: number | null }): Promise<string | null> {
  if (!row.codeVerifier || row.codeVerifierKeyVersion === null) return null;
  const bytes = await openSecret({ ...verifierLocation(row.organizationId, row.id), ciphertext: row.codeVerifier, keyVersion: row.codeVerifierKeyVersion });
  const value = bytes.toString('utf8');
  bytes.fill(0);
  return value;
}

/** Tokens a sign-in returned, before they belong to a credential. */
export interface ConnectedTokens {
  provider: string;
  appId: string | null;
  accessToken: string;
  refreshToken: string | null;
  expiresAt: string | null;
  scopes: string[];
  account: string | null;
}

/** A new OAuth credential from a completed sign-in, written in the caller's transaction (Connect, or a proposal's approval). */
export function prepareConnectedOAuthCredential(
  actor: { organizationId: string; userId: string; context: AuditContext },
  intent: { name: string; service: string; description: string },
  tokens: ConnectedTokens,
): PreparedCredential {
  const expiresAt = tokens.expiresAt ? new Date(tokens.expiresAt) : null;
  const secrets: Record<string, string> = { [ACCESS_TOKEN_FIELD]: tokens.accessToken, ...(tokens.refreshToken ? { [REFRESH_TOKEN_FIELD]: tokens.refreshToken } : {}) };
  return {
    name: intent.name,
    async write(tx, audit) {
      const credential = await tx.credential.create({
        data: {
          organizationId: actor.organizationId,
          name: intent.name,
          service: intent.service,
          type: 'oauth',
          description: intent.description,
          status: 'active',
          expiresAt,
          lastRefreshedAt: new Date(),
          createdById: actor.userId,
          oauthProvider: tokens.provider,
          oauthAccount: tokens.account,
          oauthScopes: tokens.scopes,
          oauthAppId: tokens.appId,
        },
        select: { id: true },
      });
      await writeCredentialSecrets(tx, { organizationId: actor.organizationId, credentialId: credential.id, secrets });
      await recordAudit(tx, {
        organizationId: actor.organizationId,
        context: actor.context,
        action: OAUTH_AUDIT_ACTIONS.connect,
        targetType: 'credential',
        targetId: credential.id,
        credentialId: credential.id,
        details: {
          name: intent.name,
          service: intent.service,
          provider: tokens.provider,
          account: tokens.account,
          scopes: tokens.scopes,
          refreshable: tokens.refreshToken !== null,
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

/**
 * Connect for a proposal's OAuth slot: the service's provider (through the organization's or the platform's
 * app), or for a Custom slot the organization's registered app with the slot's token URL. The callback
 * seals the tokens on the slot instead of creating a credential.
 */
export async function startSlotConnect(
  actor: CredentialActor,
  sessionId: string,
  slot: { proposalId: string; position: number; name: string; service: string | null; tokenUrl: string | null; scopes: string[]; appId?: string | null },
): Promise<{ authorizationUrl: string }> {
  requirePermission(actor, 'credential.create');
  const spec = slot.service ? oauthSpecFor(slot.service) : undefined;
  let client: ResolvedClient;
  if (spec && spec.oauthProvider !== 'custom') {
    client = await resolveClientForConnect(actor.organizationId, spec.oauthProvider, slot.appId);
  } else {
    const app = slot.tokenUrl
      ? await prisma.oAuthApp.findFirst({ where: { organizationId: actor.organizationId, provider: 'custom', tokenUrl: slot.tokenUrl }, select: { id: true } })
      : null;
    if (!app) {
      throw new OAuthError(
        'not_configured',
        `No OAuth app of this organization uses ${slot.tokenUrl ?? 'this token URL'}: register one under Settings → OAuth apps, or paste tokens instead`,
      );
    }
    client = await resolveClientForConnect(actor.organizationId, 'custom', app.id);
  }
  const scopes = slot.scopes.length > 0 ? slot.scopes : spec?.scopes.length ? [...spec.scopes] : client.scopes;
  const authorizationUrl = await beginAuthorization({
    organizationId: actor.organizationId,
    sessionId,
    credentialId: null,
    client,
    scopes,
    intent: { kind: 'proposal', proposalId: slot.proposalId, position: String(slot.position), name: slot.name, service: slot.service ?? 'custom' },
  });
  return { authorizationUrl };
}

/** For the connect page: a service's provider, default scopes and whether an app is set up. */
export function describeService(serviceId: string) {
  const service = getService(serviceId);
  const spec = oauthSpecFor(serviceId);
  if (!service || !spec) return null;
  return { id: service.id, displayName: service.displayName, provider: spec.oauthProvider, providerLabel: getProvider(spec.oauthProvider).label, scopes: [...spec.scopes] };
}
