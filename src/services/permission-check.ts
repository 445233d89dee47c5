import { isFacegateError } from '../domain/errors.js';
import type { Actor, Permission, Policy } from './service-context.js';

/**
 * Whether the policy grants `permission` to `actor`, for rules that shape an answer rather than refuse it
 * (what a caller may see): a refusal is `false`, any other failure is thrown.
 */
export async function may(policy: Policy, actor: Actor, permission: Permission): Promise<boolean> {
  try {
    await policy.authorize(actor, permission);
    return true;
  } catch (error) {
    const refused =
      isFacegateError(error) && (error.code === 'FORBIDDEN' || error.code === 'UNAUTHENTICATED');
    if (refused) return false;
    throw error;
  }
}
