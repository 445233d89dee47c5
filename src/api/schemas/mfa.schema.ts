import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from './common.schema.js';

const FactorKindDto = Type.Union([
  Type.Literal('totp'),
  Type.Literal('webauthn'),
  Type.Literal('pin'),
  Type.Literal('recovery'),
]);

/** One second-factor rule: none, any one (of `kinds`), or one specific kind. */
export const FactorRuleDto = Type.Object({
  require: Type.Union([Type.Literal('none'), Type.Literal('any'), Type.Literal('one')]),
  kind: Type.Optional(Type.String()),
  kinds: Type.Optional(Type.Array(Type.String())),
  ifEnrolled: Type.Optional(Type.Boolean()),
});

/** The second-factor policy in force (setting `mfa`). */
export const SecondFactorSettingsDto = Type.Object(
  {
    employeeDefault: FactorRuleDto,
    employeeRoles: Type.Record(Type.String(), FactorRuleDto),
    userRoles: Type.Record(Type.String(), FactorRuleDto),
    userVerification: Type.Union([Type.Literal('required'), Type.Literal('preferred')]),
  },
  { title: 'SecondFactorSettings' },
);

/** The `mfa` field of `PUT /v1/settings`: the whole policy (missing fields take their defaults). */
export const SecondFactorSettingsBody = Type.Object(
  {
    employeeDefault: Type.Optional(Type.Unknown()),
    employeeRoles: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    userRoles: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    userVerification: Type.Optional(Type.String()),
  },
  {
    additionalProperties: false,
    description:
      'Rules are `{require:"none"}`, `{require:"any", kinds?, ifEnrolled?}` or `{require:"one", kind, ifEnrolled?}`',
  },
);

/** A second-factor step to complete (face login or console sign-in). */
export const SecondFactorStepDto = Type.Object(
  {
    stepToken: Type.String({ description: 'Single use, bound to the caller, about two minutes' }),
    expiresAt: Timestamp,
    allowed: Type.Array(FactorKindDto),
    passkeyOptions: Nullable(
      Type.Unknown({ description: 'Options for navigator.credentials.get when a passkey is allowed' }),
    ),
  },
  { title: 'SecondFactorStep' },
);

/** What completes a step: a code (`otp`/`totp`, `recovery`, `pin`) or a WebAuthn assertion. */
export const SecondFactorBody = Type.Object(
  {
    stepToken: Type.String({ minLength: 1, maxLength: 256 }),
    kind: Type.Union([
      Type.Literal('otp'),
      Type.Literal('totp'),
      Type.Literal('recovery'),
      Type.Literal('pin'),
      Type.Literal('webauthn'),
    ]),
    code: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    assertion: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

/** `POST /v1/auth/login/second-factor` body: the step answer, and how the session is carried. */
export const ConsoleSecondFactorBody = Type.Object(
  {
    ...SecondFactorBody.properties,
    session: Type.Optional(Type.Union([Type.Literal('cookie'), Type.Literal('bearer')])),
  },
  { additionalProperties: false },
);

/** `{ stepToken }`. */
export const StepTokenBody = Type.Object(
  { stepToken: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);

/** A factor as people see it (no secrets). */
export const FactorDto = Type.Object({
  id: Uuid,
  kind: Type.Union([Type.Literal('totp'), Type.Literal('webauthn'), Type.Literal('pin')]),
  label: Nullable(Type.String()),
  status: Type.Union([Type.Literal('pending'), Type.Literal('active')]),
  createdAt: Timestamp,
  lastUsedAt: Nullable(Timestamp),
});

/** A subject's factors. */
export const FactorListDto = Type.Object(
  { factors: Type.Array(FactorDto), recoveryCodesLeft: Type.Integer() },
  { title: 'FactorList' },
);

/** A TOTP enrolment waiting for its first code. */
export const TotpEnrolmentDto = Type.Object({
  factorId: Uuid,
  secret: Type.String({ description: 'base32, for typing in by hand' }),
  uri: Type.String({ description: 'otpauth:// URI' }),
  qrCode: Type.String({ description: 'data:image/svg+xml;base64 QR code of the URI' }),
});

/** Recovery codes, shown this once. */
export const RecoveryCodesDto = Type.Object({
  recoveryCodes: Type.Array(Type.String()),
});

/** `POST …/factors/totp` body. */
export const TotpEnrolBody = Type.Object(
  { label: Type.Optional(Type.String({ maxLength: 64 })) },
  { additionalProperties: false },
);

/** `POST …/factors/totp/{factorId}/confirm` body. */
export const TotpConfirmBody = Type.Object(
  { code: Type.String({ minLength: 6, maxLength: 10 }) },
  { additionalProperties: false },
);

/** `PUT …/factors/pin` body. */
export const PinBody = Type.Object(
  { pin: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

/** `POST …/factors/passkey` body: the browser's registration response. */
export const PasskeyRegisterBody = Type.Object(
  {
    response: Type.Record(Type.String(), Type.Unknown()),
    label: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** A registered passkey, with recovery codes when it was the subject's first strong factor. */
export const PasskeyRegisteredDto = Type.Object({
  factorId: Uuid,
  recoveryCodes: Nullable(Type.Array(Type.String())),
});

/** `DELETE …/factors` query: only these kinds (comma-separated), else all. */
export const ResetFactorsQuery = Type.Object(
  {
    kinds: Type.Optional(
      Type.String({ pattern: '^(totp|webauthn|pin|recovery)(,(totp|webauthn|pin|recovery))*$' }),
    ),
  },
  { additionalProperties: false },
);
