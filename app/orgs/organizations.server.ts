// Creating, finding and renaming organizations, and their network setting.
import crypto from 'node:crypto';
import { recordAudit, type AuditContext } from '~/audit/audit.server';
import { prisma } from '~/db.server';
import type { Prisma } from '~/generated/prisma/client';
import { createOrganizationDataKey } from '~/vault/keyring.server';

type Tx = Prisma.TransactionClient;

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
 * Creates an organization with `ownerId` as its first owner. Must run inside the caller's
 * transaction so the organization, its owner and its data key appear together or not at all.
 */
export async function createOrganization(tx: Tx, input: { name: string; ownerId: string }) {
  const organization = await tx.organization.create({
    data: { name: input.name.trim(), slug: await uniqueSlug(tx, input.name) },
  });
  await tx.membership.create({ data: { organizationId: organization.id, userId: input.ownerId, role: 'owner' } });
  // Every organization gets its data key in this same transaction: neither exists without the other.
  await createOrganizationDataKey(tx, organization.id);
  return organization;
}

/** Creates an organization for an existing user (the "Create organization" page). */
export async function createOrganizationForUser(userId: string, name: string) {
  return prisma.$transaction((tx) => createOrganization(tx, { name, ownerId: userId }));
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

export async function renameOrganization(organizationId: string, name: string) {
  return prisma.organization.update({ where: { id: organizationId }, data: { name: name.trim() }, select: { id: true, name: true, slug: true } });
}

/**
 * Lets the organization's proxy requests and webhooks reach private, loopback and link-local
 * addresses (internal services), or stops that. Audited; a no-op when nothing changes.
 */
export async function setAllowPrivateHosts(organizationId: string, allow: boolean, context: AuditContext): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    const { count } = await tx.organization.updateMany({
      where: { id: organizationId, allowPrivateHosts: !allow },
      data: { allowPrivateHosts: allow },
    });
    if (count === 0) return false;
    await recordAudit(tx, {
      organizationId,
      context,
      action: 'organization.network_update',
      targetType: 'organization',
      targetId: organizationId,
      details: { allowPrivateHosts: allow },
    });
    return true;
  });
}
