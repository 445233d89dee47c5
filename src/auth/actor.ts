import { FacegateError } from '../domain/errors.js';
import type { Role } from '../domain/models.js';
import type { Policy, Actor as ServiceActor } from '../services/service-context.js';
import { type Permission, roleHas } from './permissions.js';

/**
 * An authenticated caller as the API and auth services see it: the services' actor, always with a role,
 * plus a display name and the client address.
 */
export interface Actor extends ServiceActor {
  role: Role;
  /** Username or key name, for logs and audit details. */
  name: string;
  /** Client address when the call came over HTTP. */
  ip: string | null;
}

/** The actor of CLI commands run by an operator on the machine (full rights, like the owner of the data dir). */
export function cliActor(): Actor {
  const name = process.env.USER ?? process.env.USERNAME ?? 'cli';
  return { type: 'cli', id: name, role: 'admin', name, ip: null };
}

/** The actor of background work (lockout hard cap, retention sweeps). */
export const SYSTEM_ACTOR: Actor = Object.freeze({
  type: 'system',
  id: 'auth',
  role: 'admin',
  name: 'system',
  ip: null,
});

/**
 * The authorization check every service method runs first: `cli` and `system` actors may do everything,
 * users and API keys only what their role holds. Throws `UNAUTHENTICATED` without a role, `FORBIDDEN` otherwise.
 */
export function authorize(actor: ServiceActor, permission: Permission): void {
  if (actor.type === 'cli' || actor.type === 'system') return;
  if (!actor.role) throw new FacegateError('UNAUTHENTICATED', 'Authentication required');
  if (!roleHas(actor.role, permission)) {
    throw new FacegateError('FORBIDDEN', 'You do not have permission to do this', { permission });
  }
}

/** The role policy to inject into the services (`ServiceDeps.policy`). */
export const rolePolicy: Policy = { authorize };

/** True when the actor may see scores, thresholds and reasons of face decisions. */
export function seesDecisionDetails(actor: ServiceActor): boolean {
  return (
    actor.type === 'cli' ||
    actor.type === 'system' ||
    (actor.role !== undefined && roleHas(actor.role, 'faces:debug'))
  );
}
