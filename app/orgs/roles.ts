// Organization roles and their order (shared by client and server).
import { z } from 'zod';

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = z.enum(ROLES, { error: 'Choose a role.' });

const RANK: Record<Role, number> = { owner: 4, admin: 3, member: 2, viewer: 1 };

/** True when `role` is at least `minimum` (owner > admin > member > viewer). */
export function hasRole(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

export const ROLE_LABELS: Record<Role, string> = {
  owner: 'Owner',
  admin: 'Admin',
  member: 'Member',
  viewer: 'Viewer',
};

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  owner: 'Full control, including billing-level changes and other owners.',
  admin: 'Manages members, credentials and settings.',
  member: 'Adds and uses credentials.',
  viewer: 'Sees credentials and the audit log, changes nothing.',
};

/** The roles `actor` may hand out: only owners grant owner. */
export function assignableRoles(actor: Role): Role[] {
  return actor === 'owner' ? [...ROLES] : ROLES.filter((r) => r !== 'owner');
}
