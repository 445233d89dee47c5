import type { Role } from '../../../domain/access.js';
import { api, ok, setCsrfToken } from '../shared/api.js';
import type { LoginResponse, MeResponse } from '../shared/api-types.js';

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
  const me = meOf(await ok(api.GET('/v1/auth/me')));
  setCsrfToken(me.csrfToken);
  return me;
}

/** The second-factor step a password login answers for an account that has one. */
export type SecondFactorStep = Extract<LoginResponse, { secondFactor: unknown }>['secondFactor'];

/** A password login that needs a second factor before it makes a session. */
export class SecondFactorRequired extends Error {
  readonly step: SecondFactorStep;

  constructor(step: SecondFactorStep) {
    super('This account needs a second factor to sign in.');
    this.name = 'SecondFactorRequired';
    this.step = step;
  }
}

/**
 * Signs in with a password (cookie session); returns the session, or throws {@link SecondFactorRequired} with
 * the step to complete at `POST /v1/auth/login/second-factor`.
 */
export async function login(username: string, password: string): Promise<Me> {
  const answer = await ok(api.POST('/v1/auth/login', { body: { username, password } }));
  if ('secondFactor' in answer) throw new SecondFactorRequired(answer.secondFactor);
  const { user, csrfToken } = answer;
  setSessionHint(true);
  setCsrfToken(csrfToken);
  return { id: user.id, username: user.username, role: user.role, csrfToken };
}

/** Ends the session. */
export async function logout(): Promise<void> {
  try {
    await ok(api.POST('/v1/auth/logout'));
  } finally {
    setCsrfToken(null);
    setSessionHint(false);
  }
}

/** Whether the first-run set-up is still pending. */
export async function setupPending(): Promise<boolean> {
  return (await ok(api.GET('/v1/setup/status'))).needsSetup;
}
