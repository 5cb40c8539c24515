// The role matrix: what each organization role may do, as data (shared by the server checks and the UI; ADR 011).
import { ROLES, type Role } from './roles';

/**
 * How far a role's permission reaches:
 * - `all`: anything in the organization;
 * - `own`: only credentials the person added (Credential.createdById);
 * - `non_owners`: only people who are not (and do not become) owners;
 * - `none`: nothing.
 */
export type Grant = 'all' | 'own' | 'non_owners' | 'none';

interface PermissionSpec {
  /** Verb and object of the sentence a person reads: "Only owners and admins can <verb> <object>." */
  verb: string;
  object: string;
  grants: Record<Role, Grant>;
  /** What a role limited to `non_owners` reads when the target is (or would become) an owner. */
  ownersMessage?: string;
}

const everyone = { owner: 'all', admin: 'all', member: 'all', viewer: 'all' } as const;
const contributors = { owner: 'all', admin: 'all', member: 'all', viewer: 'none' } as const;
const ownForMembers = { owner: 'all', admin: 'all', member: 'own', viewer: 'none' } as const;
const admins = { owner: 'all', admin: 'all', member: 'none', viewer: 'none' } as const;
const adminsExceptOwners = { owner: 'all', admin: 'non_owners', member: 'none', viewer: 'none' } as const;
const owners = { owner: 'all', admin: 'none', member: 'none', viewer: 'none' } as const;

/** The matrix, in the order the README and the invite dialog list it. */
export const PERMISSIONS = {
  'organization.view': { verb: 'see', object: 'credentials, agents and members (never a value)', grants: everyone },
  'audit.view': { verb: 'read', object: 'the audit log', grants: everyone },
  'credential.create': { verb: 'add', object: 'credentials', grants: contributors },
  'credential.edit': { verb: 'edit', object: 'credentials', grants: ownForMembers },
  'credential.replace': { verb: 'replace the value of', object: 'credentials', grants: ownForMembers },
  'credential.connect': { verb: 'reconnect', object: 'credentials', grants: ownForMembers },
  'credential.disconnect': { verb: 'disconnect', object: 'credentials', grants: ownForMembers },
  'credential.delete': { verb: 'delete', object: 'credentials', grants: ownForMembers },
  'credential.reveal': { verb: 'reveal or download', object: 'credential values', grants: admins },
  'agent.manage': { verb: 'create, edit, rotate and delete', object: 'agents', grants: admins },
  'proposal.review': {
    verb: 'approve or reject',
    object: 'agents’ proposals that add credentials (approving grants the agent those credentials)',
    grants: contributors,
  },
  'proposal.approve_sensitive': {
    verb: 'approve',
    object: 'proposals that delete credentials or carry a value the agent supplied',
    grants: admins,
  },
  'api_token.manage': { verb: 'create and revoke', object: 'API tokens (a token’s role is at most its creator’s)', grants: admins },
  'member.invite': {
    verb: 'invite',
    object: 'people and revoke invitations',
    grants: adminsExceptOwners,
    ownersMessage: 'Only owners can invite owners or revoke their invitations.',
  },
  'member.manage': {
    verb: 'change the role of or remove',
    object: 'members',
    grants: adminsExceptOwners,
    ownersMessage: 'Only owners can change or remove owners, or make someone an owner.',
  },
  'settings.manage': { verb: 'change', object: 'the organization’s name and notifications', grants: admins },
  'oauth_app.manage': { verb: 'register and remove', object: 'OAuth apps', grants: admins },
  'network.manage': { verb: 'allow or block', object: 'private hosts (Settings → Network)', grants: owners },
} as const satisfies Record<string, PermissionSpec>;

export type Permission = keyof typeof PERMISSIONS;
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

/** Who is asking: their role in the organization and their user id (for "own"). */
export interface Subject {
  role: Role;
  userId: string;
}

/**
 * What the action is about, for scoped grants: the credential's creator (`own`), or the member's
 * current role and the role they would get (`non_owners`).
 */
export interface Target {
  createdById?: string | null;
  role?: Role;
  newRole?: Role;
}

export function grantOf(role: Role, permission: Permission): Grant {
  // Fails closed for a role or permission the matrix does not know (a caller's bug, never a grant).
  return (PERMISSIONS[permission]?.grants as Record<string, Grant> | undefined)?.[role] ?? 'none';
}

/** True when `role` may do `permission` to at least something (a page gate, a "New" button). */
export function allows(role: Role, permission: Permission): boolean {
  return grantOf(role, permission) !== 'none';
}

/**
 * True when `subject` may do `permission` to `target`. Fails closed: a scoped grant without the
 * target it needs answers false.
 */
export function can(subject: Subject, permission: Permission, target?: Target | null): boolean {
  const grant = grantOf(subject.role, permission);
  switch (grant) {
    case 'all':
      return true;
    case 'none':
      return false;
    case 'own':
      return Boolean(target?.createdById) && target!.createdById === subject.userId;
    case 'non_owners':
      // The member's current role, the role they would get, or both; neither may be owner.
      if (!target || (target.role === undefined && target.newRole === undefined)) return false;
      return target.role !== 'owner' && target.newRole !== 'owner';
  }
}

const PLURAL: Record<Role, string> = { owner: 'owners', admin: 'admins', member: 'members', viewer: 'viewers' };

function joinWords(words: string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** The roles that may do `permission` at all: "owners and admins". */
export function rolesAllowed(permission: Permission): string {
  return joinWords(ROLES.filter((r) => allows(r, permission)).map((r) => PLURAL[r]));
}

/** The sentence shown when `role` is refused `permission` (for a target, when the grant is scoped). */
export function deniedMessage(role: Role, permission: Permission): string {
  const { verb, object } = PERMISSIONS[permission];
  const grant = grantOf(role, permission);
  const plural = PLURAL[role].charAt(0).toUpperCase() + PLURAL[role].slice(1);
  if (grant === 'own') return `${plural} can ${verb} only the ${object} they added.`;
  if (grant === 'non_owners') return (PERMISSIONS[permission] as PermissionSpec).ownersMessage ?? `Only owners can ${verb} owners.`;
  return `Only ${rolesAllowed(permission)} can ${verb} ${object}.`;
}

/** One line of a role's capabilities, for the invite dialog and the README table. */
export interface Capability {
  permissions: Permission[];
  grant: Exclude<Grant, 'none'>;
  text: string;
}

/**
 * What `role` may do, generated from the matrix. Neighbouring permissions on the same object with
 * the same reach share a line: "Edit, replace the value of, reconnect, disconnect and delete credentials they added".
 */
export function capabilities(role: Role): Capability[] {
  const groups: { object: string; grant: Exclude<Grant, 'none'>; verbs: string[]; permissions: Permission[] }[] = [];
  for (const permission of PERMISSION_NAMES) {
    const grant = grantOf(role, permission);
    if (grant === 'none') continue;
    const { verb, object } = PERMISSIONS[permission];
    const last = groups.at(-1);
    if (last && last.object === object && last.grant === grant) {
      last.verbs.push(verb);
      last.permissions.push(permission);
    } else groups.push({ object, grant, verbs: [verb], permissions: [permission] });
  }
  return groups.map(({ object, grant, verbs, permissions }) => {
    const scope = grant === 'own' ? ' they added' : grant === 'non_owners' ? ' (not owners)' : '';
    const text = `${joinWords(verbs)} ${object}${scope}`;
    return { permissions, grant, text: text.charAt(0).toUpperCase() + text.slice(1) };
  });
}
