import type { Role } from '../../../domain/access.js';
import { apiRequest, setCsrfToken } from '../shared/api.js';
import type { LoginResponse, MeResponse, SetupStatus } from '../shared/api-types.js';

/** Admin roles, as the API names them. */
export type { Role };

/** What a page may show or do. Mirrors the server's checks; the server stays the authority. */
export type Capability =
  | 'employees.read'
  | 'employees.write'
  | 'employees.delete'
  | 'employees.unlock'
  | 'photos.read'
  | 'audit.read'
  | 'settings.read'
  | 'settings.write'
  | 'keys.manage'
  | 'users.manage'
  | 'invitations.manage'
  | 'submissions.review';

const CAPABILITIES: Record<Role, readonly Capability[]> = {
  admin: [
    'employees.read',
    'employees.write',
    'employees.delete',
    'employees.unlock',
    'photos.read',
    'audit.read',
    'settings.read',
    'settings.write',
    'keys.manage',
    'users.manage',
    'invitations.manage',
    'submissions.review',
  ],
  enroller: [
    'employees.read',
    'employees.write',
    'photos.read',
    'settings.read',
    'invitations.manage',
    'submissions.review',
  ],
  // An auditor reads the audit, the employee list and the settings, never photos or templates.
  auditor: ['audit.read', 'employees.read', 'settings.read'],
  kiosk: [],
};

/** True when `role` may use `capability`. */
export function can(role: Role | undefined, capability: Capability): boolean {
  return role !== undefined && CAPABILITIES[role].includes(capability);
}

/** The signed-in user. */
export interface Me {
  id: string;
  username: string;
  role: Role;
  csrfToken: string | null;
}

/** The session of `GET /v1/auth/me` (a user, or the actor of a bearer key). */
function meOf(body: MeResponse): Me {
  return {
    id: body.user?.id ?? body.actor.id,
    username: body.user?.username ?? body.actor.name,
    role: body.actor.role,
    csrfToken: body.csrfToken,
  };
}

const SESSION_HINT = 'facegate.adminSession';

/**
 * Whether this browser probably holds a session cookie. The cookie is HttpOnly, so the app keeps this hint to
 * avoid probing `/v1/auth/me` (a 401 in the console) on every visit of a signed-out browser.
 */
export function hasSessionHint(): boolean {
  try {
    return localStorage.getItem(SESSION_HINT) === '1';
  } catch {
    return true;
  }
}

/** Records or forgets the session hint. */
export function setSessionHint(on: boolean): void {
  try {
    if (on) localStorage.setItem(SESSION_HINT, '1');
    else localStorage.removeItem(SESSION_HINT);
  } catch {
    // Storage disabled: the app then always probes.
  }
}

/** Loads the session from `GET /v1/auth/me` and remembers its CSRF token. */
export async function loadMe(): Promise<Me> {
  const me = meOf(await apiRequest<MeResponse>('/auth/me'));
  setCsrfToken(me.csrfToken);
  return me;
}

/** Signs in with a password (cookie session); returns the session. */
export async function login(username: string, password: string): Promise<Me> {
  const { user, csrfToken } = await apiRequest<LoginResponse>('/auth/login', {
    method: 'POST',
    body: { username, password },
  });
  setSessionHint(true);
  setCsrfToken(csrfToken);
  return { id: user.id, username: user.username, role: user.role, csrfToken };
}

/** Ends the session. */
export async function logout(): Promise<void> {
  try {
    await apiRequest('/auth/logout', { method: 'POST' });
  } finally {
    setCsrfToken(null);
    setSessionHint(false);
  }
}

/** Whether the first-run set-up is still pending. */
export async function setupPending(): Promise<boolean> {
  return (await apiRequest<SetupStatus>('/setup/status')).needsSetup;
}
