// Who and what an audit row is about, by their current names: users, agents, credentials and apps looked up by id ("deleted" only when the row is gone).
import { prisma } from '~/db.server';
import type { AuditEventView } from './audit.server';

/** A name as the audit page shows it. `deleted`: the row it names no longer exists; the recorded name is shown. */
export interface AuditName {
  name: string;
  /** A second line or title (an email, "anyone with the link"). */
  detail: string | null;
  deleted: boolean;
  href: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function recorded(details: unknown, key: string): string | null {
  if (!details || typeof details !== 'object' || Array.isArray(details)) return null;
  const value = (details as Record<string, unknown>)[key];
  return typeof value === 'string' && value.trim() ? value : null;
}

/** "Ada Lovelace <ada@example.com>" → "Ada Lovelace": what was recorded, for rows whose subject is gone. */
function labelName(label: string): string {
  return label.replace(/\s*<[^>]*>$/, '') || label;
}

function uuids(values: Array<string | null | undefined>): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && UUID.test(v)))];
}

/**
 * Names the actor and the target of each event with one query per kind (users, agents, credentials,
 * OAuth apps, the organization), however many events the page holds.
 */
export async function nameAuditEvents(
  organization: { id: string; slug: string },
  events: readonly AuditEventView[],
): Promise<Map<string, { actor: AuditName; target: AuditName | null }>> {
  const byType = (actorType: string, targetType: string) =>
    uuids(events.flatMap((e) => [e.actorType === actorType ? e.actorId : null, e.targetType === targetType ? e.targetId : null]));
  const userIds = byType('user', 'user');
  const agentIds = byType('agent', 'agent');
  const credentialIds = uuids(events.map((e) => e.credentialId));
  const appIds = uuids(events.map((e) => (e.targetType === 'oauth_app' ? e.targetId : null)));
  const [users, agents, credentials, apps, current] = await Promise.all([
    userIds.length ? prisma.user.findMany({ where: { id: { in: userIds } }, select: { id: true, name: true, email: true } }) : [],
    agentIds.length ? prisma.agent.findMany({ where: { organizationId: organization.id, id: { in: agentIds } }, select: { id: true, name: true } }) : [],
    credentialIds.length
      ? prisma.credential.findMany({ where: { organizationId: organization.id, id: { in: credentialIds } }, select: { id: true, name: true } })
      : [],
    appIds.length ? prisma.oAuthApp.findMany({ where: { organizationId: organization.id, id: { in: appIds } }, select: { id: true, name: true } }) : [],
    prisma.organization.findUniqueOrThrow({ where: { id: organization.id }, select: { name: true } }),
  ]);
  const userById = new Map(users.map((u) => [u.id, u]));
  const agentById = new Map(agents.map((a) => [a.id, a]));
  const credentialById = new Map(credentials.map((c) => [c.id, c]));
  const appById = new Map(apps.map((a) => [a.id, a]));
  const base = `/orgs/${organization.slug}`;

  function user(id: string | null, fallback: string): AuditName {
    const found = id ? userById.get(id) : undefined;
    if (found) return { name: found.name || found.email, detail: found.email, deleted: false, href: null };
    return { name: fallback, detail: null, deleted: true, href: null };
  }
  function agent(id: string | null, fallback: string): AuditName {
    const found = id ? agentById.get(id) : undefined;
    if (found) return { name: found.name, detail: null, deleted: false, href: `${base}/agents/${found.id}` };
    return { name: fallback, detail: null, deleted: true, href: null };
  }

  const out = new Map<string, { actor: AuditName; target: AuditName | null }>();
  for (const e of events) {
    const actor =
      e.actorType === 'user'
        ? user(e.actorId, labelName(e.actorLabel))
        : e.actorType === 'agent'
          ? agent(e.actorId, e.actorLabel)
          : { name: e.actorLabel.charAt(0).toUpperCase() + e.actorLabel.slice(1), detail: null, deleted: false, href: null };

    let target: AuditName | null = null;
    const recordedName = recorded(e.details, 'name');
    if (e.credentialId) {
      const found = credentialById.get(e.credentialId);
      target = found
        ? { name: found.name, detail: null, deleted: false, href: `${base}/credentials/${found.id}` }
        : { name: recordedName ?? 'A credential', detail: null, deleted: true, href: null };
    } else if (e.targetType === 'agent') {
      target = agent(e.targetId, recordedName ?? 'An agent');
    } else if (e.targetType === 'user') {
      target = user(e.targetId, recordedName ?? recorded(e.details, 'email') ?? 'A person');
    } else if (e.targetType === 'invitation') {
      target = { name: recorded(e.details, 'email') ?? 'Invitation link', detail: recorded(e.details, 'email') ? null : 'anyone with the link', deleted: false, href: null };
    } else if (e.targetType === 'oauth_app') {
      const found = e.targetId ? appById.get(e.targetId) : undefined;
      target = found
        ? { name: found.name, detail: 'OAuth app', deleted: false, href: `${base}/settings/oauth` }
        : { name: recordedName ?? 'An OAuth app', detail: 'OAuth app', deleted: true, href: null };
    } else if (e.targetType === 'organization') {
      target = { name: current.name, detail: 'Organization', deleted: false, href: `${base}/settings` };
    }
    out.set(e.id, { actor, target });
  }
  return out;
}
