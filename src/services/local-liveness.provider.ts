import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { LivenessService } from './liveness.service.js';
import {
  carriesFrames,
  type LivenessAnswer,
  type LivenessProvider,
  type LivenessResult,
  type LocalIssuedChallenge,
} from './liveness-provider.port.js';

/**
 * The `local` liveness provider: the head-movement challenge of {@link LivenessService}, unchanged, behind the
 * liveness port. Its answers carry frames; an answer without them is malformed.
 */
export class LocalLivenessProvider implements LivenessProvider {
  readonly kind = 'local';

  constructor(private readonly service: Pick<LivenessService, 'issueChallenge' | 'answer'>) {}

  async issueChallenge(actor: Actor, input?: { exclude?: readonly string[] }): Promise<LocalIssuedChallenge> {
    return { provider: 'local', ...(await this.service.issueChallenge(actor, input)) };
  }

  async answer(actor: Actor, answer: LivenessAnswer, auditAction?: string): Promise<LivenessResult> {
    if (!carriesFrames(answer)) {
      throw new FacegateError(
        'VALIDATION_FAILED',
        'This server runs the local liveness challenge: answer it with challengeId, nonce, frames and timestamps',
      );
    }
    return this.service.answer(actor, answer, auditAction);
  }
}
