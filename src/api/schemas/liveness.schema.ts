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
