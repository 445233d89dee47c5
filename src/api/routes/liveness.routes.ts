import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { type Actor, seesDecisionDetails } from '../../domain/access.js';
import { FacegateError } from '../../domain/errors.js';
import type { ChallengeAnswer } from '../../services/liveness.service.js';
import { ANSWER_FRAMES } from '../../services/liveness.service.js';
import type { FaceLoginInput } from '../../services/liveness-login.service.js';
import type { IssuedLivenessChallenge, LivenessResult } from '../../services/liveness-provider.port.js';
import { at } from '../../util/checked-access.js';
import { type ImageUpload, readImages } from '../image-input.js';
import { actorOf } from '../request-auth.js';
import { errorResponses } from '../schemas/common.schema.js';
import { ChallengeBody, KeyLivenessBody, LivenessChallengeDto } from '../schemas/liveness.schema.js';
import { type RouteDeps, SECURED, type TypedApp } from './route-types.js';

/** Image parts a face-login request may carry: one photo, or the frames of a challenge answer. */
export const MAX_FACE_LOGIN_IMAGES = ANSWER_FRAMES.max;

/**
 * Reads what a face login's images carry: the answer to a challenge (`challengeId`, `nonce`, `frames`,
 * `timestamps`) when `challengeId` is present, else exactly one photo.
 */
export function faceLoginInputOf(
  upload: ImageUpload,
): { photo: Uint8Array } | { challenge: ChallengeAnswer } {
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

/** A face login and the claimed employee (for `/v1/verify`), from the request body. */
export interface FaceLoginBody {
  input: FaceLoginInput;
  /** The `employee` field of the multipart form or of the JSON body. */
  employee: string | undefined;
}

/**
 * Reads a face login's body: JSON `{"challengeId", "employee"?}` answers a Face Liveness session (its video went
 * to AWS, so nothing else is sent); a multipart form or raw image is a photo or a local challenge's frames.
 * `sessionAnswers` is whether the liveness provider in force answers sessions at all.
 */
export async function readFaceLogin(
  request: FastifyRequest,
  sessionAnswers: boolean,
): Promise<FaceLoginBody> {
  const { body } = request;
  // Without a session provider a JSON body is just not a photo: the same refusal as before sessions existed.
  if (body === null || typeof body !== 'object' || Buffer.isBuffer(body) || !sessionAnswers) {
    const upload = await readImages(request, MAX_FACE_LOGIN_IMAGES);
    return { input: faceLoginInputOf(upload), employee: upload.fields.employee };
  }
  const { challengeId, employee, ...rest } = body as Record<string, unknown>;
  if (
    Object.keys(rest).length > 0 ||
    typeof challengeId !== 'string' ||
    challengeId.trim() === '' ||
    challengeId.length > 64 ||
    (employee !== undefined && typeof employee !== 'string')
  ) {
    throw new FacegateError(
      'VALIDATION_FAILED',
      'A JSON face login answers a Face Liveness session: {"challengeId": "…"} (and "employee" for /v1/verify)',
    );
  }
  return { input: { challenge: { challengeId: challengeId.trim() } }, employee };
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
export function toLivenessDto(actor: Actor, liveness: LivenessResult) {
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
        summary:
          'A single-use liveness challenge of the provider in force (`provider`: local or rekognition)',
        description:
          '`local`: 2–3 random actions, answered within about a minute with `POST /v1/authenticate` or `/v1/verify` ' +
          '(multipart: `challengeId`, `nonce`, `frames` parts in capture order, `timestamps` JSON array of epoch ' +
          'milliseconds). `rekognition`: a Face Liveness session and credentials that may only stream video to it; ' +
          'the browser runs AWS’s Face Liveness client, then answers with JSON `{"challengeId"}`. ' +
          '`exclude` applies to the local challenge only.',
        security: SECURED,
        body: Type.Optional(ChallengeBody),
        response: { 201: LivenessChallengeDto, ...errorResponses },
      },
    },
    async (request, reply) => {
      const challenge = await ctx.liveness.issueChallenge(actorOf(request), request.body ?? {});
      reply.code(201);
      return toChallengeDto(challenge);
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

/** A challenge as the API answers it (fresh arrays: the response schema serialises them). */
function toChallengeDto(challenge: IssuedLivenessChallenge) {
  if (challenge.provider === 'rekognition')
    return { ...challenge, credentials: { ...challenge.credentials } };
  return { ...challenge, actions: [...challenge.actions], frames: { ...challenge.frames } };
}
