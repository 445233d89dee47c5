import type { Actor, Policy } from '../domain/access.js';
import { isFacegateError } from '../domain/errors.js';
import type { NewAuditEvent } from '../domain/models.js';
import type { LivenessResult } from './liveness-provider.port.js';

/**
 * The audit record of an answered challenge, whichever provider checked it: `<action>.liveness`, the outcome, the
 * challenge's own refusal code or else the first failed check's reason, and every check (values rounded).
 */
export function livenessAuditEvent(
  actor: Actor,
  action: string,
  outcome: LivenessResult,
  at: string,
  extra: Record<string, unknown> = {},
): NewAuditEvent {
  const failed = outcome.checks.find((c) => !c.passed);
  return {
    action: `${action}.liveness`,
    outcome: outcome.outcome === 'pass' ? 'success' : outcome.outcome,
    // The challenge's own refusal code, else the first failed check's reason (`planar`, `two_faces`...).
    reason: outcome.code && outcome.code !== 'LIVENESS_FAILED' ? outcome.code : (failed?.reason ?? null),
    actorType: actor.type,
    actorId: actor.id,
    ip: actor.ip ?? null,
    at,
    details: {
      ...extra,
      checks: outcome.checks.map((c) => ({
        check: c.check,
        passed: c.passed,
        value: Math.round(c.value * 1e4) / 1e4,
        threshold: c.threshold,
        reason: c.reason,
      })),
    },
  };
}

/** Anyone who may log in with a face (1:N or 1:1) may ask for a challenge and answer it. */
export async function assertMayLogin(policy: Policy, actor: Actor): Promise<void> {
  try {
    await policy.authorize(actor, 'faces:identify');
  } catch (error) {
    if (!isFacegateError(error, 'FORBIDDEN')) throw error;
    await policy.authorize(actor, 'faces:verify');
  }
}
