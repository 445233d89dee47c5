import type { FaceLoginResult } from '../../auth/face-login.service.js';
import { type Actor, seesDecisionDetails } from '../../domain/access.js';
import { toReasonDto } from './employee.dto.js';

/** User-facing hints for a `retry`, by reason code. Deliberately vague: nothing that helps tune a photo. */
const HINTS: Record<string, string> = {
  NO_FACE: 'Face the camera',
  SMALL_FACE: 'Move closer',
  MULTIPLE_FACES: 'One person at a time',
  EXTREME_POSE: 'Face the camera',
  FACE_CUT_OFF: 'Center your face in the frame',
  LOW_SHARPNESS: 'Hold still',
  LOW_BRIGHTNESS: 'Find more light',
  OVEREXPOSED: 'Too much light behind or on you',
};

/** The user-facing hint of a retry. */
export function hintFor(reasonCode: string | undefined): string {
  return (reasonCode && HINTS[reasonCode]) || 'Try again';
}

/**
 * Maps a face-login result to what this caller may see: kiosks get the decision, the employee's names (and a
 * short-lived photo link when offered), the token and a hint; admins also get score, threshold, reasons and timings.
 */
export function toDecisionDto(actor: Actor, login: FaceLoginResult, options: { photoUrl?: string } = {}) {
  const { result } = login;
  return {
    decision: login.secondFactor ? ('second_factor_required' as const) : result.decision,
    ...(login.employee
      ? {
          employee: {
            id: login.employee.id,
            badge: login.employee.badge,
            firstName: login.employee.firstName,
            lastName: login.employee.lastName,
            ...(options.photoUrl ? { photoUrl: options.photoUrl } : {}),
          },
        }
      : {}),
    ...(login.token ? { token: login.token.token, tokenExpiresAt: login.token.expiresAt } : {}),
    ...(login.secondFactor ? { secondFactor: login.secondFactor } : {}),
    ...(result.decision === 'retry' ? { hint: hintFor(result.reasons?.[0]?.code) } : {}),
    ...(seesDecisionDetails(actor)
      ? {
          details: {
            score: result.score,
            threshold: result.threshold,
            preset: result.preset,
            margin: result.margin,
            secondBest: result.secondBest,
            reasons: (result.reasons ?? []).map(toReasonDto),
            engine: { model: result.engine.model, version: result.engine.version },
            timings: Object.fromEntries(
              Object.entries(result.timings).filter((e): e is [string, number] => typeof e[1] === 'number'),
            ),
          },
        }
      : {}),
  };
}
