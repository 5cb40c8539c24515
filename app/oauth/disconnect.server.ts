// Disconnect (revoke at the provider, delete the tokens, status disconnected) and the revocation that precedes a delete.
import { recordAudit, type AuditContext } from '~/audit/audit.server';
import type { CredentialActor } from '~/credentials/credentials.server';
import { invalidateCredentialCounts } from '~/credentials/query.server';
import { notifyStatusChange, setCredentialStatus } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { scheduleCredentialRefresh } from '~/jobs/refresh-schedule.server';
import { logger } from '~/logger.server';
import { hasRole } from '~/orgs/roles';
import { isVaultError, readCredentialSecret } from '~/vault/vault.server';
import { resolveClientForCredential } from './apps.server';
import { OAuthError } from './errors';
import { OAUTH_AUDIT_ACTIONS } from './flow.server';
import { getProvider } from './providers.server';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD } from './refresh.server';
import { revokeAtEndpoint, TOKEN_REQUEST_TIMEOUT_MS, TokenEndpointError } from './token-endpoint.server';

export interface RevocationOutcome {
  /** The provider confirmed the revocation. */
  revoked: boolean;
  /** Why it was not revoked there (no revocation endpoint, or the provider's error), for the person to finish by hand. */
  problem: string | null;
}

function userContext(actor: CredentialActor): AuditContext {
  return { actor: { type: 'user', id: actor.userId, label: actor.userLabel }, ip: actor.ip, userAgent: actor.userAgent };
}

async function secret(organizationId: string, credentialId: string, field: string): Promise<string | null> {
  try {
    const bytes = await readCredentialSecret(organizationId, credentialId, field);
    const value = bytes.toString('utf8');
    bytes.fill(0);
    return value;
  } catch (error) {
    if (isVaultError(error, 'not_found')) return null;
    throw error;
  }
}

type OAuthCredential = {
  id: string;
  organizationId: string;
  name: string;
  oauthProvider: string | null;
  oauthAppId: string | null;
  oauthTokenUrl: string | null;
  settings: import('~/generated/prisma/client').Prisma.JsonValue | null;
};

/** Revokes the credential's tokens at the provider (RFC 7009 or its own API). Never throws for provider trouble. */
export async function revokeAtProvider(credential: OAuthCredential): Promise<RevocationOutcome> {
  const refreshToken = await secret(credential.organizationId, credential.id, REFRESH_TOKEN_FIELD);
  const accessToken = await secret(credential.organizationId, credential.id, ACCESS_TOKEN_FIELD);
  if (!refreshToken && !accessToken) return { revoked: true, problem: null };
  let client;
  try {
    client = await resolveClientForCredential(credential);
  } catch (error) {
    return { revoked: false, problem: error instanceof OAuthError ? error.message : 'the OAuth app could not be loaded' };
  }
  const definition = getProvider(client.provider);
  try {
    if (client.endpoints.revocationUrl) {
      // Revoking the refresh token ends the grant at RFC 7009 providers; the access token too where it is separate.
      if (refreshToken) await revokeAtEndpoint(client.endpoints.revocationUrl, client, refreshToken, 'refresh_token');
      if (accessToken) await revokeAtEndpoint(client.endpoints.revocationUrl, client, accessToken, 'access_token');
      return { revoked: true, problem: null };
    }
    if (definition.revokeGrant && accessToken) {
      await definition.revokeGrant(client, accessToken, TOKEN_REQUEST_TIMEOUT_MS);
      return { revoked: true, problem: null };
    }
    return { revoked: false, problem: `${definition.label} offers no revocation endpoint; remove Latchkey's access in ${definition.label}'s settings` };
  } catch (error) {
    const words = error instanceof TokenEndpointError ? error.message : 'the provider could not be reached';
    logger.warn({ credentialId: credential.id, reason: words }, 'OAuth revocation failed');
    return { revoked: false, problem: `${definition.label} did not confirm the revocation: ${words}` };
  }
}

const select = {
  id: true,
  organizationId: true,
  name: true,
  type: true,
  oauthProvider: true,
  oauthAppId: true,
  oauthTokenUrl: true,
  settings: true,
} as const;

async function findOAuthCredential(actor: CredentialActor, credentialId: string) {
  if (!hasRole(actor.role, 'admin')) throw new OAuthError('forbidden', 'Only owners and admins can disconnect credentials');
  const credential = await prisma.credential.findFirst({ where: { id: credentialId, organizationId: actor.organizationId }, select });
  if (!credential) throw new OAuthError('not_found', 'Credential not found');
  if (credential.type !== 'oauth') throw new OAuthError('validation', 'Only OAuth credentials can be disconnected');
  return credential;
}

/**
 * Revokes at the provider, deletes the sealed tokens and sets the status to disconnected; the
 * credential stays so it can be reconnected. A provider that does not confirm still loses its
 * tokens here — the outcome says what the person should finish at the provider.
 */
export async function disconnectCredential(actor: CredentialActor, credentialId: string): Promise<RevocationOutcome> {
  const credential = await findOAuthCredential(actor, credentialId);
  const outcome = await revokeAtProvider(credential);
  const context = userContext(actor);
  const changed = await prisma.$transaction(async (tx) => {
    await tx.credentialSecret.deleteMany({ where: { credentialId: credential.id, field: { in: [ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD] } } });
    // The version bump makes any refresh in flight lose its compare-and-set.
    await tx.credential.update({
      where: { id: credential.id },
      data: { version: { increment: 1 }, expiresAt: null, nextRefreshAt: null, refreshFailingSince: null },
    });
    const status = await setCredentialStatus(tx, {
      credentialId: credential.id,
      organizationId: credential.organizationId,
      status: 'disconnected',
      reason: outcome.revoked ? `Disconnected by ${actor.userLabel}` : `Disconnected by ${actor.userLabel}; ${outcome.problem}`,
      context,
    });
    await recordAudit(tx, {
      organizationId: credential.organizationId,
      context,
      action: OAUTH_AUDIT_ACTIONS.disconnect,
      targetType: 'credential',
      targetId: credential.id,
      credentialId: credential.id,
      details: { name: credential.name, provider: credential.oauthProvider, revokedAtProvider: outcome.revoked, problem: outcome.problem },
    });
    return status.changed;
  });
  if (changed) await notifyStatusChange(credential.id);
  invalidateCredentialCounts(credential.organizationId);
  await scheduleCredentialRefresh(credential.id, null);
  return outcome;
}

/**
 * "Delete revokes first": call before deleteCredential for an OAuth credential. Revokes at the
 * provider and writes a `credential.revoke` audit row; other credential types are a no-op.
 */
export async function revokeBeforeDelete(actor: CredentialActor, credentialId: string): Promise<RevocationOutcome> {
  if (!hasRole(actor.role, 'admin')) throw new OAuthError('forbidden', 'Only owners and admins can delete credentials');
  const credential = await prisma.credential.findFirst({ where: { id: credentialId, organizationId: actor.organizationId }, select });
  if (!credential) throw new OAuthError('not_found', 'Credential not found');
  if (credential.type !== 'oauth') return { revoked: true, problem: null };
  const outcome = await revokeAtProvider(credential);
  await prisma.$transaction(async (tx) => {
    await recordAudit(tx, {
      organizationId: credential.organizationId,
      context: userContext(actor),
      action: OAUTH_AUDIT_ACTIONS.revoke,
      targetType: 'credential',
      targetId: credential.id,
      credentialId: credential.id,
      details: { name: credential.name, provider: credential.oauthProvider, reason: 'delete', revokedAtProvider: outcome.revoked, problem: outcome.problem },
    });
  });
  return outcome;
}
