// Disconnect (revoke at the provider, delete the tokens, status disconnected) and the revocation that precedes a delete.
import { credentialAuditContext } from '~/credentials/actor.server';
import { z } from 'zod';
import { recordAudit, type AuditContext } from '~/audit/audit.server';
import type { CredentialActor } from '~/credentials/credentials.server';
import { invalidateCredentialCounts } from '~/credentials/query.server';
import { notifyStatusChange, setCredentialStatus } from '~/credentials/status.server';
import { prisma } from '~/db.server';
import { scheduleCredentialRefresh } from '~/jobs/refresh-schedule.server';
import { agentsDependingOn } from '~/agents/agents.server';
import { logger } from '~/logger.server';
import { allows, can, deniedMessage } from '~/orgs/permissions';
import { isVaultError, readCredentialSecret } from '~/vault/vault.server';
import { resolveClientForCredential, revocationFor } from './apps.server';
import { OAuthError } from './errors';
import { OAUTH_AUDIT_ACTIONS } from './flow.server';
import type { RevocationMethod } from './providers.server';
import { ACCESS_TOKEN_FIELD, REFRESH_TOKEN_FIELD } from './refresh.server';
import { canRevoke, RevocationError, revokeTokens } from './revocation.server';

export interface RevocationOutcome {
  /** The provider confirmed the revocation. */
  revoked: boolean;
  /** Why it was not revoked there (no revocation API, or the provider's error), for the person to finish by hand. */
  problem: string | null;
  /** The person chose to remove without revoking (another credential shares the grant). */
  skipped?: boolean;
}

export interface RemoveOptions {
  /** Revoke at the provider first (default). False: only delete the tokens here, so a shared grant stays alive. */
  revoke?: boolean;
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
  status?: string;
  oauthProvider: string | null;
  oauthAccount?: string | null;
  oauthAppId: string | null;
  oauthTokenUrl: string | null;
  settings: import('~/generated/prisma/client').Prisma.JsonValue | null;
};

/** What a person must do where the provider offers apps no revocation: the words of the dialogs, the toast and the status reason. */
function manualRemoval(label: string, method: RevocationMethod): string {
  const where = method.kind === 'none' && method.removeAccessAt ? method.removeAccessAt.where : `${label}’s settings`;
  return `${label} offers no way for apps to revoke tokens; to end the grant there, remove the app’s access at ${where}`;
}

/** Revokes the credential's tokens at the provider, by its own method. Never throws for provider trouble. */
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
  if (!canRevoke(client.revocation)) return { revoked: false, problem: manualRemoval(client.label, client.revocation) };
  try {
    await revokeTokens(client, { accessToken, refreshToken });
    return { revoked: true, problem: null };
  } catch (error) {
    if (!(error instanceof RevocationError)) throw error;
    logger.warn({ credentialId: credential.id, reason: error.message }, 'OAuth revocation failed');
    return { revoked: false, problem: `${client.label} did not confirm the revocation: ${error.message}` };
  }
}

/** Another credential connected with the same account and app: revoking one grant can end both. */
export interface SharedGrantCredential {
  id: string;
  name: string;
  agents: { id: string; name: string }[];
}

/**
 * The organization's other live OAuth credentials on the same account, provider and app (the same OAuth app row,
 * or both on the platform's app, or both pasted against the same token URL). Without a known account nothing matches.
 */
export async function credentialsSharingGrant(credential: OAuthCredential): Promise<SharedGrantCredential[]> {
  if (!credential.oauthAccount || !credential.oauthProvider) return [];
  const rows = await prisma.credential.findMany({
    where: {
      organizationId: credential.organizationId,
      id: { not: credential.id },
      type: 'oauth',
      status: { not: 'disconnected' },
      oauthProvider: credential.oauthProvider,
      oauthAccount: credential.oauthAccount,
      oauthAppId: credential.oauthAppId,
      oauthTokenUrl: credential.oauthTokenUrl,
    },
    select: { id: true, name: true },
    orderBy: { name: 'asc' },
  });
  return Promise.all(
    rows.map(async (row) => ({
      ...row,
      agents: (await agentsDependingOn({ organizationId: credential.organizationId, name: row.name })).map(({ id, name }) => ({ id, name })),
    })),
  );
}

/** What Disconnect and Delete will do at the provider, for their dialogs (no secret is opened to say it). */
export interface RevocationPlan {
  /** Who is asked: "GitHub", or a Custom app's name. */
  at: string;
  /** The provider has a revocation API Latchkey calls. */
  revokes: boolean;
  /** Where the provider has none: what the person does instead. */
  manual: string | null;
  manualUrl: string | null;
  /** Credentials on the same account and app. */
  shared: SharedGrantCredential[];
  /** Revoking ends the shared credentials' access too (the provider revokes the whole grant). */
  sharedLoseAccess: boolean;
}

export async function revocationPlan(credential: OAuthCredential): Promise<RevocationPlan | null> {
  // A disconnected credential holds no tokens: nothing to revoke.
  if (credential.status === 'disconnected') return null;
  const [how, shared] = await Promise.all([revocationFor(credential), credentialsSharingGrant(credential)]);
  const revokes = canRevoke(how.revocation);
  return {
    at: how.label,
    revokes,
    manual: revokes ? null : manualRemoval(how.label, how.revocation),
    manualUrl: how.revocation.kind === 'none' ? (how.revocation.removeAccessAt?.url ?? null) : null,
    shared,
    sharedLoseAccess: revokes && how.revocationEndsGrant && shared.length > 0,
  };
}

/** The plan for a credential of this organization by id (null: not OAuth, not found, or nothing to revoke). */
export async function revocationPlanFor(organizationId: string, credentialId: string): Promise<RevocationPlan | null> {
  const credential = await prisma.credential.findFirst({ where: { id: credentialId, organizationId, type: 'oauth' }, select });
  return credential ? revocationPlan(credential) : null;
}

const select = {
  id: true,
  organizationId: true,
  name: true,
  type: true,
  status: true,
  oauthProvider: true,
  oauthAccount: true,
  oauthAppId: true,
  oauthTokenUrl: true,
  settings: true,
  createdById: true,
} as const;

async function findOAuthCredential(actor: CredentialActor, credentialId: string) {
  if (!allows(actor.role, 'credential.disconnect')) throw new OAuthError('forbidden', deniedMessage(actor.role, 'credential.disconnect'));
  // An id from the URL that is not a uuid names no credential (PostgreSQL would refuse to compare it: a 500).
  const credential = z.guid().safeParse(credentialId).success
    ? await prisma.credential.findFirst({ where: { id: credentialId, organizationId: actor.organizationId }, select })
    : null;
  if (!credential) throw new OAuthError('not_found', 'Credential not found');
  if (!can({ role: actor.role, userId: actor.userId }, 'credential.disconnect', credential)) {
    throw new OAuthError('forbidden', deniedMessage(actor.role, 'credential.disconnect'));
  }
  if (credential.type !== 'oauth') throw new OAuthError('validation', 'Only OAuth credentials can be disconnected');
  return credential;
}

/**
 * Revokes at the provider, deletes the sealed tokens and sets the status to disconnected; the
 * credential stays so it can be reconnected. A provider that does not confirm still loses its
 * tokens here — the outcome says what the person should finish at the provider.
 */
export async function disconnectCredential(actor: CredentialActor, credentialId: string, options: RemoveOptions = {}): Promise<RevocationOutcome> {
  const credential = await findOAuthCredential(actor, credentialId);
  const outcome: RevocationOutcome = options.revoke === false ? { revoked: false, problem: null, skipped: true } : await revokeAtProvider(credential);
  const context = credentialAuditContext(actor);
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
      cause: 'disconnected',
      reason: outcome.problem ? `Disconnected by ${actor.userLabel}; ${outcome.problem}` : `Disconnected by ${actor.userLabel}`,
      context,
    });
    await recordAudit(tx, {
      organizationId: credential.organizationId,
      context,
      action: OAUTH_AUDIT_ACTIONS.disconnect,
      targetType: 'credential',
      targetId: credential.id,
      credentialId: credential.id,
      details: { name: credential.name, provider: credential.oauthProvider, revokedAtProvider: outcome.revoked, keptGrant: outcome.skipped === true, problem: outcome.problem },
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
export async function revokeBeforeDelete(actor: CredentialActor, credentialId: string, options: RemoveOptions = {}): Promise<RevocationOutcome> {
  if (!allows(actor.role, 'credential.delete')) throw new OAuthError('forbidden', deniedMessage(actor.role, 'credential.delete'));
  // An id from the URL that is not a uuid names no credential (PostgreSQL would refuse to compare it: a 500).
  const credential = z.guid().safeParse(credentialId).success
    ? await prisma.credential.findFirst({ where: { id: credentialId, organizationId: actor.organizationId }, select })
    : null;
  if (!credential) throw new OAuthError('not_found', 'Credential not found');
  if (!can({ role: actor.role, userId: actor.userId }, 'credential.delete', credential)) {
    throw new OAuthError('forbidden', deniedMessage(actor.role, 'credential.delete'));
  }
  if (credential.type !== 'oauth') return { revoked: true, problem: null };
  if (options.revoke === false) return { revoked: false, problem: null, skipped: true };
  const outcome = await revokeAtProvider(credential);
  await prisma.$transaction(async (tx) => {
    await recordAudit(tx, {
      organizationId: credential.organizationId,
      context: credentialAuditContext(actor),
      action: OAUTH_AUDIT_ACTIONS.revoke,
      targetType: 'credential',
      targetId: credential.id,
      credentialId: credential.id,
      details: { name: credential.name, provider: credential.oauthProvider, reason: 'delete', revokedAtProvider: outcome.revoked, problem: outcome.problem },
    });
  });
  return outcome;
}
