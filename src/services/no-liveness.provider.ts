import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import { assertMayLogin } from './liveness-audit.js';
import type {
  IssuedLivenessChallenge,
  LivenessAnswer,
  LivenessProvider,
  LivenessResult,
} from './liveness-provider.port.js';
import { GuardedService } from './service-context.js';

/**
 * The liveness "provider" of `FACEGATE_LIVENESS_PROVIDER=none`: no liveness check runs on this server, so a
 * challenge is refused (`NOT_SUPPORTED`) before anything is issued or analysed, and face login works only for
 * callers whose liveness mode is `off`. It never hands out a challenge that nothing could check.
 */
export class NoLivenessProvider extends GuardedService implements LivenessProvider {
  readonly kind = 'none';

  async issueChallenge(actor: Actor): Promise<IssuedLivenessChallenge> {
    await assertMayLogin(this.policy, actor);
    throw unsupported();
  }

  async answer(actor: Actor, _answer: LivenessAnswer): Promise<LivenessResult> {
    await assertMayLogin(this.policy, actor);
    throw unsupported();
  }
}

function unsupported(): FacegateError {
  return new FacegateError(
    'NOT_SUPPORTED',
    'No liveness check runs on this server (FACEGATE_LIVENESS_PROVIDER=none): face login needs the liveness mode off for this caller',
    { livenessProvider: 'none' },
  );
}
