import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from './common.schema.js';
import { ReasonDto } from './employee.schema.js';
import { LivenessDto } from './liveness.schema.js';
import { SecondFactorStepDto } from './mfa.schema.js';

/**
 * A face-login decision. Kiosk callers get `decision`, `employee`, `token` and a user-facing `hint` only;
 * `details` (scores, threshold, reasons, timings) is for admins.
 */
export const DecisionDto = Type.Object(
  {
    decision: Type.Union([
      Type.Literal('match'),
      Type.Literal('no_match'),
      Type.Literal('retry'),
      Type.Literal('second_factor_required'),
    ]),
    employee: Type.Optional(
      Type.Object({
        id: Uuid,
        badge: Type.String(),
        firstName: Type.String(),
        lastName: Type.String(),
        photoUrl: Type.Optional(
          Type.String({
            description:
              'With the kiosk.showPhoto setting: the kept photo, readable with the same credentials for a short time',
          }),
        ),
      }),
    ),
    token: Type.Optional(Type.String({ description: 'EdDSA JWT; verify against /v1/.well-known/jwks.json' })),
    tokenExpiresAt: Type.Optional(Timestamp),
    hint: Type.Optional(Type.String({ description: 'What the person should do before trying again' })),
    secondFactor: Type.Optional(SecondFactorStepDto),
    amr: Type.Optional(
      Type.Array(Type.String(), { description: 'Authentication methods of the token, e.g. ["face","otp"]' }),
    ),
    liveness: Type.Optional(LivenessDto),
    details: Type.Optional(
      Type.Object({
        score: Nullable(Type.Number()),
        threshold: Type.Number(),
        preset: Type.String(),
        margin: Type.Number(),
        secondBest: Nullable(Type.Number()),
        reasons: Type.Array(ReasonDto),
        engine: Type.Object({ model: Type.String(), version: Type.String() }),
        timings: Type.Record(Type.String(), Type.Number()),
      }),
    ),
  },
  { title: 'Decision' },
);

/** `POST /v1/verify` query (the claimed employee may also come as a multipart field). */
export const VerifyQuery = Type.Object(
  {
    employee: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Employee id or badge' }),
    ),
  },
  { additionalProperties: false },
);

/** A JSON Web Key Set. */
export const JwksDto = Type.Object({
  keys: Type.Array(Type.Record(Type.String(), Type.Unknown())),
});
