import { FacegateError } from './errors.js';

// The one authorization model: roles, actors, permissions, the role table and the check every service runs.
// No Node imports here: the web client imports its types from this module.

/** Admin roles of users and API keys. */
export type Role = 'admin' | 'enroller' | 'auditor' | 'kiosk';

/** Every role, in display order. */
export const ROLES: readonly Role[] = ['admin', 'enroller', 'auditor', 'kiosk'];

/** Kinds of callers. `cli` and `system` act for the owner of the data directory. */
export type ActorType = 'user' | 'api_key' | 'cli' | 'system';

/** Who asks: recorded in the audit and checked by the policy. */
export interface Actor {
  type: ActorType;
  /** User id, API key id, OS user name for the CLI, or a component name for `system`. */
  id: string;
  /** Role of a user or API key; absent for `cli` and `system`. */
  role?: Role;
  /** Username or key name, for logs and audit details. */
  name?: string;
  /** Client address when the call came over HTTP. */
  ip?: string | null;
}

/** A caller that proved a credential over HTTP (session or API key): always with a role, name and address. */
export type AuthenticatedActor = Actor & {
  role: Role;
  name: string;
  ip: string | null;
};

/** Every permission a service method may ask for. */
export type Permission =
  | 'employees:read'
  | 'employees:write'
  | 'employees:delete'
  | 'employees:unlock'
  | 'faces:enroll'
  | 'faces:identify'
  | 'faces:verify'
  | 'faces:debug'
  | 'faces:read'
  | 'photos:read'
  | 'templates:upgrade'
  | 'audit:read'
  | 'settings:read'
  | 'settings:write'
  | 'keys:manage'
  | 'users:manage'
  | 'calibration:read'
  | 'invitations:manage'
  | 'submissions:review';

/** The role → permissions table of a policy. A permission absent from a role's list is refused. */
export type RoleTable = Readonly<Record<Role, readonly Permission[]>>;

/** The one role → permissions table of facegate. */
export const ROLE_PERMISSIONS: RoleTable = {
  admin: [
    'faces:identify',
    'faces:verify',
    'faces:debug',
    'employees:read',
    'employees:write',
    'employees:delete',
    'employees:unlock',
    'faces:enroll',
    'faces:read',
    'photos:read',
    'audit:read',
    'settings:read',
    'settings:write',
    'keys:manage',
    'users:manage',
    'calibration:read',
    'templates:upgrade',
    'invitations:manage',
    'submissions:review',
  ],
  enroller: [
    'employees:read',
    'employees:write',
    'faces:enroll',
    'faces:read',
    'photos:read',
    'settings:read',
    'invitations:manage',
    'submissions:review',
  ],
  // Auditors read the log and employee records, never photos or biometric metadata.
  auditor: ['audit:read', 'employees:read', 'settings:read', 'calibration:read'],
  kiosk: ['faces:identify', 'faces:verify'],
};

/** No role holds anything: only `cli` and `system` actors pass. */
const NO_ROLES: RoleTable = { admin: [], enroller: [], auditor: [], kiosk: [] };

/** True when `role` holds `permission` in `table`. */
export function roleHas(role: Role, permission: Permission, table: RoleTable = ROLE_PERMISSIONS): boolean {
  return table[role]?.includes(permission) ?? false;
}

/** Every permission of `role`. */
export function permissionsOf(role: Role, table: RoleTable = ROLE_PERMISSIONS): Permission[] {
  return [...(table[role] ?? [])];
}

/**
 * Whether `actor` may do what `permission` guards. The operator's CLI and internal system tasks may do
 * everything (like the owner of the data directory); users and API keys only what their role holds.
 */
export function can(actor: Actor, permission: Permission, table: RoleTable = ROLE_PERMISSIONS): boolean {
  if (actor.type === 'cli' || actor.type === 'system') return true;
  return actor.role !== undefined && roleHas(actor.role, permission, table);
}

/**
 * The check every service method runs first: throws `UNAUTHENTICATED` for a user or key without a role,
 * `FORBIDDEN` when the role lacks the permission.
 */
export function authorize(actor: Actor, permission: Permission, table: RoleTable = ROLE_PERMISSIONS): void {
  if (can(actor, permission, table)) return;
  if (!actor.role) throw new FacegateError('UNAUTHENTICATED', 'Authentication required');
  throw new FacegateError('FORBIDDEN', 'You do not have permission to do this', { permission });
}

/**
 * The single place where access rules plug into the services: every service method calls `authorize` before
 * doing anything. Throws `FORBIDDEN` (or `UNAUTHENTICATED`) to refuse.
 */
export interface Policy {
  authorize(actor: Actor, permission: Permission): void | Promise<void>;
}

/** A policy over a role table. */
export function tablePolicy(table: RoleTable): Policy {
  return { authorize: (actor, permission) => authorize(actor, permission, table) };
}

/** The role policy the composition root injects into every service. */
export const rolePolicy: Policy = tablePolicy(ROLE_PERMISSIONS);

/**
 * Default of a service built without a policy: only `cli` and `system` actors pass, so a service wired without
 * the role policy fails closed.
 */
export const localOnlyPolicy: Policy = tablePolicy(NO_ROLES);

/** The actor of CLI commands run by an operator on the machine, named after the OS user. */
export function cliActor(user?: string): Actor {
  const name = user || 'cli';
  return { type: 'cli', id: name, name, ip: null };
}

/** The actor of an internal task (lockout hard cap, watch folder, retention sweeps), named after it. */
export function systemActor(component: string): Actor {
  return Object.freeze({ type: 'system', id: component, name: 'system', ip: null });
}

/** True when the actor may see scores, thresholds and reasons of face decisions. */
export function seesDecisionDetails(actor: Actor): boolean {
  return can(actor, 'faces:debug');
}
