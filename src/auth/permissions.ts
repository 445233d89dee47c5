import type { Role } from '../domain/models.js';
import type { Permission as ServicePermission } from '../services/service-context.js';

/** Every permission a service method may require: the services' own plus the API/security ones. */
export type Permission =
  | ServicePermission
  | 'faces:debug'
  | 'faces:read'
  | 'employees:unlock'
  | 'audit:read'
  | 'settings:read'
  | 'settings:write'
  | 'keys:manage'
  | 'users:manage'
  | 'calibration:read';

/** The one role → permissions table. A permission absent from a role's list is refused. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
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
  ],
  enroller: [
    'employees:read',
    'employees:write',
    'faces:enroll',
    'faces:read',
    'photos:read',
    'settings:read',
  ],
  // Auditors read the log and employee records, never photos or biometric metadata.
  auditor: ['audit:read', 'employees:read', 'settings:read', 'calibration:read'],
  kiosk: ['faces:identify', 'faces:verify'],
};

/** Every role, in display order. */
export const ROLES: readonly Role[] = ['admin', 'enroller', 'auditor', 'kiosk'];

/** True when `role` holds `permission`. */
export function roleHas(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role]?.includes(permission) ?? false;
}

/** Every permission of `role`. */
export function permissionsOf(role: Role): Permission[] {
  return [...(ROLE_PERMISSIONS[role] ?? [])];
}
