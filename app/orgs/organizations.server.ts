// Creating, finding and renaming organizations, and their network setting; every change is audited.
import crypto from 'node:crypto';
import { recordAudit, type AuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import type { Prisma } from '~/generated/prisma/client';
import { createOrganizationDataKey } from '~/vault/keyring.server';
import { OrgError } from './errors';
import type { OrgActor } from './membership.server';
import { can, deniedMessage } from './permissions';

type Tx = Prisma.TransactionClient;

/** The audit actions of organization-level changes (labels in app/audit/labels.ts). */
export const ORGANIZATION_AUDIT_ACTIONS = {
  create: 'organization.create',
  rename: 'organization.rename',
  network: 'organization.network_update',
} as const;

/** Slugs that would collide with fixed routes under /orgs/. */
const RESERVED_SLUGS = new Set(['new', 'api', 'admin', 'settings']);
const MAX_SLUG_LENGTH = 40;

/** "Acme Corp." → "acme-corp"; never empty. */
export function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/g, '');
  return slug.length >= 2 ? slug : `org${slug ? `-${slug}` : ''}`;
}

async function uniqueSlug(tx: Tx, name: string): Promise<string> {
  const base = slugify(name);
  const taken = new Set(
    (await tx.organization.findMany({ where: { slug: { startsWith: base } }, select: { slug: true } })).map((o) => o.slug),
  );
  if (!taken.has(base) && !RESERVED_SLUGS.has(base)) return base;
  for (let n = 2; n < 100; n++) {
    const candidate = `${base}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
  return `${base}-${crypto.randomBytes(3).toString('hex')}`;
}

/**
 * Creates an organization with `ownerId` as its first owner; its audit chain starts with the
 * creation. Must run inside the caller's transaction so the organization, its owner, its data key
 * and that first row appear together or not at all.
 */
export async function createOrganization(tx: Tx, input: { name: string; ownerId: string; context: AuditContext }) {
  const organization = await tx.organization.create({
    data: { name: input.name.trim(), slug: await uniqueSlug(tx, input.name) },
  });
  await tx.membership.create({ data: { organizationId: organization.id, userId: input.ownerId, role: 'owner' } });
  // Every organization gets its data key in this same transaction: neither exists without the other.
  await createOrganizationDataKey(tx, organization.id);
  await recordAudit(tx, {
    organizationId: organization.id,
    context: input.context,
    action: ORGANIZATION_AUDIT_ACTIONS.create,
    targetType: 'organization',
    targetId: organization.id,
    details: { name: organization.name, slug: organization.slug },
  });
  return organization;
}

/** Creates an organization for an existing user (the "Create organization" page). */
export async function createOrganizationForUser(userId: string, name: string, context: AuditContext) {
  return prisma.$transaction((tx) => createOrganization(tx, { name, ownerId: userId, context }));
}

/** The organizations a user belongs to, oldest membership first. */
export async function listUserOrganizations(userId: string) {
  const memberships = await prisma.membership.findMany({
    where: { userId },
    orderBy: { createdAt: 'asc' },
    select: { role: true, organization: { select: { id: true, slug: true, name: true } } },
  });
  return memberships.map((m) => ({ ...m.organization, role: m.role }));
}

/** Renames the organization (its slug, and so every link, stays). Audited; a no-op when the name is unchanged. */
export async function renameOrganization(organizationId: string, actor: OrgActor, name: string) {
  if (!can(actor, 'settings.manage')) throw new OrgError(deniedMessage(actor.role, 'settings.manage'), 403);
  const to = name.trim();
  return prisma.$transaction(async (tx) => {
    const current = await tx.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { id: true, name: true, slug: true } });
    if (current.name === to) return current;
    const renamed = await tx.organization.update({ where: { id: organizationId }, data: { name: to }, select: { id: true, name: true, slug: true } });
    await recordAudit(tx, {
      organizationId,
      context: actor.context,
      action: ORGANIZATION_AUDIT_ACTIONS.rename,
      targetType: 'organization',
      targetId: organizationId,
      details: { from: current.name, to },
    });
    return renamed;
  });
}

/**
 * Lets the organization's proxy requests and webhooks reach private, loopback and link-local
 * addresses (internal services), or stops that. Audited; a no-op when nothing changes.
 */
export async function setAllowPrivateHosts(organizationId: string, allow: boolean, actor: OrgActor): Promise<boolean> {
  if (!can(actor, 'network.manage')) throw new OrgError(deniedMessage(actor.role, 'network.manage'), 403);
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.organization.updateMany({
      where: { id: organizationId, allowPrivateHosts: !allow },
      data: { allowPrivateHosts: allow },
    });
    if (count === 0) return false;
    await recordAudit(tx, {
      organizationId,
      context: actor.context,
      action: ORGANIZATION_AUDIT_ACTIONS.network,
      targetType: 'organization',
      targetId: organizationId,
      details: { allowPrivateHosts: allow },
    });
    return true;
  });
}
