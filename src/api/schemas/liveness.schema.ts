import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from './common.schema.js';

const Action = Type.Union([
  Type.Literal('turn_left'),
  Type.Literal('turn_right'),
  Type.Literal('look_up'),
  Type.Literal('blink'),
  Type.Literal('come_closer'),
]);

/** `POST /v1/liveness/challenges` body. */
export const ChallengeBody = Type.Object(
  {
    exclude: Type.Optional(
      Type.Array(Action, {
        maxItems: 5,
        description: 'Actions the person could not do on a previous try (the retry gets other random ones)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `POST /v1/liveness/challenges` response. */
export const ChallengeDto = Type.Object(
  {
    id: Uuid,
    nonce: Type.String(),
    actions: Type.Array(Action, { description: 'Prompts, in order, in the person’s own frame' }),
    expiresAt: Timestamp,
    frames: Type.Object({ min: Type.Integer(), max: Type.Integer(), maxWidth: Type.Integer() }),
  },
  { title: 'LivenessChallenge' },
);

/** `POST /v1/liveness/challenges` response with the local provider: the local challenge, named. */
export const LocalChallengeDto = Type.Object(
  { provider: Type.Literal('local'), ...ChallengeDto.properties },
  { title: 'LocalLivenessChallenge' },
);

/** `POST /v1/liveness/challenges` response with Rekognition Face Liveness: the session and its stream credentials. */
export const SessionChallengeDto = Type.Object(
  {
    provider: Type.Literal('rekognition'),
    challengeId: Uuid,
    sessionId: Type.String({ description: 'Rekognition Face Liveness session id, for the streaming client' }),
    region: Type.String({
      description: 'Region of the streaming endpoint (streaming-rekognition.<region>.amazonaws.com)',
    }),
    expiresAt: Timestamp,
    credentials: Type.Object(
      {
        accessKeyId: Type.String(),
        secretAccessKey: Type.String(),
        sessionToken: Type.String(),
        expiration: Timestamp,
      },
      { description: 'Short-lived AWS credentials allowed only rekognition:StartFaceLivenessSession' },
    ),
  },
  { title: 'SessionLivenessChallenge' },
);

/** `POST /v1/liveness/challenges` response: a challenge of the provider in force, told apart by `provider`. */
export const LivenessChallengeDto = Type.Union([LocalChallengeDto, SessionChallengeDto]);

/** One liveness check as admins see it. */
export const LivenessCheckDto = Type.Object({
  check: Type.String(),
  passed: Type.Boolean(),
  value: Type.Number(),
  threshold: Type.Number(),
  reason: Type.String(),
});

/** The liveness part of a decision: kiosks see the outcome and a hint, admins also every check. */
export const LivenessDto = Type.Object({
  outcome: Type.Union([Type.Literal('pass'), Type.Literal('retry'), Type.Literal('refused')]),
  hint: Nullable(
    Type.String({ description: 'For retry: TURN_MORE, BLINK, COME_CLOSER, FACE_NOT_FOUND, TRY_AGAIN' }),
  ),
  checks: Type.Optional(Type.Array(LivenessCheckDto)),
});

/** `PUT /v1/keys/{id}/liveness` body: the key's own mode, or null to follow the `livenessMode` setting. */
export const KeyLivenessBody = Type.Object(
  { mode: Nullable(Type.Union([Type.Literal('off'), Type.Literal('challenge')])) },
  { additionalProperties: false },
);
