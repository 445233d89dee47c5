import { Type } from 'typebox';
import { type Actor, seesDecisionDetails } from '../../domain/access.js';
import { FacegateError } from '../../domain/errors.js';
import type { LivenessOutcome } from '../../services/liveness.service.js';
import { ANSWER_FRAMES } from '../../services/liveness.service.js';
import type { FaceLoginInput } from '../../services/liveness-login.service.js';
import { at } from '../../util/checked-access.js';
import type { ImageUpload } from '../image-input.js';
import { actorOf } from '../request-auth.js';
import { errorResponses } from '../schemas/common.schema.js';
import { ChallengeBody, ChallengeDto, KeyLivenessBody } from '../schemas/liveness.schema.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

/** Image parts a face-login request may carry: one photo, or the frames of a challenge answer. */
export const MAX_FACE_LOGIN_IMAGES = ANSWER_FRAMES.max;

/**
 * Reads what a face login carries: the answer to a challenge (`challengeId`, `nonce`, `frames`, `timestamps`)
 * when `challengeId` is present, else exactly one photo.
 */
export function faceLoginInputOf(upload: ImageUpload): FaceLoginInput {
  const { images, fields } = upload;
  if (fields.challengeId === undefined) {
    if (images.length !== 1) throw new FacegateError('VALIDATION_FAILED', 'Send one photo');
    return { photo: at(images, 0).bytes };
  }
  let timestamps: unknown;
  try {
    timestamps = JSON.parse(fields.timestamps ?? 'null');
  } catch {
    timestamps = null;
  }
  if (
    !Array.isArray(timestamps) ||
    timestamps.length !== images.length ||
    !timestamps.every((t) => typeof t === 'number' && Number.isFinite(t))
  ) {
    throw new FacegateError('VALIDATION_FAILED', 'timestamps: a JSON array of numbers, one per frame');
  }
  const challengeId = fields.challengeId.trim();
  const nonce = (fields.nonce ?? '').trim();
  if (challengeId === '' || challengeId.length > 64 || nonce === '' || nonce.length > 64) {
    throw new FacegateError('VALIDATION_FAILED', 'challengeId and nonce are required');
  }
  const frames = images.map((image, i) => ({ bytes: image.bytes, timestamp: timestamps[i] as number }));
  return { challenge: { challengeId, nonce, frames } };
}

/** What a kiosk (or the enrolment page) is told to do on a retry, by the verifier's reason. */
export function hintOf(reason: string | undefined): string {
  if (!reason) return 'TRY_AGAIN';
  if (reason === 'no_face' || reason === 'too_few_embeddings') return 'FACE_NOT_FOUND';
  if (reason === 'face_too_small' || reason === 'action_missing:come_closer') return 'COME_CLOSER';
  if (reason === 'action_missing:blink') return 'BLINK';
  if (reason === 'no_motion' || reason.startsWith('action_missing:')) return 'TURN_MORE';
  return 'TRY_AGAIN';
}

/** The liveness part of a decision: kiosks get the outcome and a hint, admins also every check. */
export function toLivenessDto(actor: Actor, liveness: LivenessOutcome) {
  return {
    outcome: liveness.outcome,
    hint: liveness.outcome === 'retry' ? hintOf(liveness.hint) : null,
    ...(seesDecisionDetails(actor)
      ? {
          checks: liveness.checks.map(({ check, passed, value, threshold, reason }) => ({
            check,
            passed,
            value,
            threshold,
            reason,
          })),
        }
      : {}),
  };
}

/** `POST /v1/liveness/challenges` and `PUT /v1/keys/{id}/liveness`. */
export function livenessRoutes(app: TypedApp, { ctx }: RouteDeps): void {
  app.post(
    '/v1/liveness/challenges',
    {
      config: { permission: 'faces:identify' },
      schema: {
        tags: ['face login'],
        summary: 'A single-use liveness challenge: 2–3 random actions, answered within about a minute',
        description:
          'Answer it with `POST /v1/authenticate` or `/v1/verify` (multipart: `challengeId`, `nonce`, `frames` ' +
          'parts in capture order, `timestamps` JSON array of epoch milliseconds).',
        security: SECURED,
        body: Type.Optional(ChallengeBody),
        response: { 201: ChallengeDto, ...errorResponses },
      },
    },
    async (request, reply) => {
      const challenge = await ctx.liveness.issueChallenge(actorOf(request), request.body ?? {});
      reply.code(201);
      return { ...challenge, actions: [...challenge.actions], frames: { ...challenge.frames } };
    },
  );

  app.put(
    '/v1/keys/:id/liveness',
    {
      config: { permission: 'keys:manage' },
      schema: {
        tags: ['access'],
        summary: "An API key's own liveness mode (null: the livenessMode setting applies); off is audited",
        security: SECURED,
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        body: KeyLivenessBody,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await ctx.livenessLogin.setKeyMode(actorOf(request), request.params.id, request.body.mode);
      reply.code(204);
      return null;
    },
  );
}
