// What a credential's detail page says about its connection: base URL (and who last moved its host), key placement, non-secret fields, timeout.
import { CREDENTIAL_AUDIT_ACTIONS, type CredentialView } from '~/credentials/credentials.server';
import {
  connectionSpecFor,
  describeInjection,
  effectiveBaseUrl,
  effectiveInjection,
  nonSecretFieldSpecs,
  type CredentialConnectionView,
} from '~/credentials/connection';
import { parseCredentialSettings } from '~/credentials/settings';
import { prisma } from '~/db.server';


function text(details: unknown, key: string): string | null {
  const value = details && typeof details === 'object' ? (details as Record<string, unknown>)[key] : null;
  return typeof value === 'string' ? value : null;
}

/** The connection card's data; never a secret (settings hold only non-secret values by contract). */
export async function credentialConnectionView(credential: CredentialView): Promise<CredentialConnectionView> {
  const settings = parseCredentialSettings(credential.settings);
  const spec = connectionSpecFor(credential.service, credential.type);
  const stored = settings.fields ?? {};
  // Rows written before settings.fields existed still have their username column.
  const fallback: Record<string, string> = credential.username ? { username: credential.username } : {};
  const fields = nonSecretFieldSpecs(credential.service, credential.type)
    .map((field) => ({ name: field.name, label: field.label, value: stored[field.name] ?? fallback[field.name] ?? '' }))
    .filter((field) => field.value !== '');
  const change = spec.injectable
    ? await prisma.auditEvent.findFirst({
        where: { organizationId: credential.organizationId, credentialId: credential.id, action: CREDENTIAL_AUDIT_ACTIONS.baseUrlChange },
        orderBy: { createdAt: 'desc' },
        select: { createdAt: true, actorLabel: true, details: true },
      })
    : null;
  const baseUrl = effectiveBaseUrl(credential.service, credential.type, settings);
  return {
    injectable: spec.injectable,
    baseUrl,
    baseUrlMissing: spec.injectable && baseUrl === null,
    injection: spec.injectable ? describeInjection(effectiveInjection(credential.service, credential.type, settings), credential.type) : null,
    fields,
    upstreamTimeoutMs: settings.upstreamTimeoutMs ?? null,
    lastHostChange: change
      ? { at: change.createdAt, actorLabel: change.actorLabel, fromHost: text(change.details, 'fromHost'), toHost: text(change.details, 'toHost') }
      : null,
  };
}
