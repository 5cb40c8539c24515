// The doctor: for each of an agent's requirements, whether the credential exists, is granted to the agent and works now — with the portal page that fixes it.
import { getService } from '~/credentials/catalog';
import { statusNow } from '~/credentials/status';
import { prisma } from '~/db.server';
import { REFRESH_TOKEN_FIELD } from '~/jobs/refresh-schedule.server';
import { matchesAllowlist } from './allowlist';
import { isHealthy, readRequirements, type DoctorEntry, type DoctorReport, type Requirement } from './requirements';

export interface DoctorSubject {
  id: string;
  organizationId: string;
  allowedCredentials: string[];
  requirements: unknown;
}

function addUrl(base: string, requirement: Requirement): string {
  const query = new URLSearchParams({ name: requirement.name });
  if (requirement.type) query.set('type', requirement.type);
  if (requirement.service) query.set('service', requirement.service);
  return `${base}/credentials/new?${query.toString()}`;
}

/** The agent's requirements checked now, in their declared order. `publicUrl` makes the fix links absolute. */
export async function runDoctor(agent: DoctorSubject, publicUrl: string, now = new Date()): Promise<DoctorReport> {
  const requirements = readRequirements(agent.requirements);
  const organization = await prisma.organization.findUniqueOrThrow({ where: { id: agent.organizationId }, select: { slug: true, warningWindowDays: true } });
  const rows = requirements.length
    ? await prisma.credential.findMany({
        where: { organizationId: agent.organizationId, name: { in: requirements.map((r) => r.name) } },
        select: {
          id: true,
          name: true,
          type: true,
          service: true,
          status: true,
          statusCause: true,
          statusReason: true,
          expiresAt: true,
          secrets: { where: { field: REFRESH_TOKEN_FIELD }, select: { field: true } },
        },
      })
    : [];
  const byName = new Map(rows.map((r) => [r.name, r]));
  const base = `${publicUrl.replace(/\/+$/, '')}/orgs/${organization.slug}`;

  const entries = requirements.map((requirement): DoctorEntry => {
    const common = {
      name: requirement.name,
      required: !requirement.optional,
      service: requirement.service ?? null,
      type: requirement.type ?? null,
      description: requirement.description,
    };
    const row = byName.get(requirement.name);
    const serviceName = getService(requirement.service ?? '')?.displayName;
    if (!row) {
      return {
        ...common,
        state: 'missing',
        reason: `No credential named ${requirement.name}${serviceName ? ` (${serviceName})` : ''} yet: add it`,
        fixUrl: addUrl(base, requirement),
        expiresAt: null,
      };
    }
    const expiresAt = row.expiresAt?.toISOString() ?? null;
    if (!matchesAllowlist(agent.allowedCredentials, row.name)) {
      return { ...common, state: 'not_allowed', reason: `${row.name} exists but this agent’s allowlist does not include it`, fixUrl: `${base}/agents/${agent.id}#allowlist`, expiresAt };
    }
    const read = statusNow({ ...row, hasRefreshToken: row.secrets.length > 0 }, { now, warningWindowDays: organization.warningWindowDays });
    const page = `${base}/credentials/${row.id}`;
    switch (read.status) {
      case 'active':
        return { ...common, state: 'ok', reason: null, fixUrl: null, expiresAt };
      case 'expiring':
        return { ...common, state: 'expiring', reason: `${row.name} expires ${expiresAt ? `at ${expiresAt}` : 'soon'}: replace it before then`, fixUrl: `${page}/replace`, expiresAt };
      case 'expired':
        return { ...common, state: 'expired', reason: read.reason ?? `${row.name} has expired: replace its value`, fixUrl: row.type === 'oauth' ? `${page}/connect` : `${page}/replace`, expiresAt };
      case 'disconnected':
        return { ...common, state: 'disconnected', reason: read.reason ?? `${row.name} is disconnected: reconnect it`, fixUrl: `${page}/connect`, expiresAt };
      case 'needs_attention':
        return { ...common, state: 'needs_attention', reason: read.reason ?? `${row.name} needs attention`, fixUrl: row.type === 'oauth' ? `${page}/connect` : page, expiresAt };
    }
  });
  return { ok: isHealthy(entries), checkedAt: now.toISOString(), requirements: entries };
}
