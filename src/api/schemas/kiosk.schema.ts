import { Type } from 'typebox';

/** `POST /v1/kiosk/pairings` body. */
export const StartPairingBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'Name of the kiosk key the pairing creates',
    }),
    allowPhotoUpload: Type.Optional(
      Type.Boolean({ description: 'Offer "Use a photo instead" on this kiosk (off by default)' }),
    ),
  },
  { additionalProperties: false },
);

/** `POST /v1/kiosk/pairings` response: the one-time code, valid ten minutes. */
export const StartedPairingDto = Type.Object({
  code: Type.String({ description: 'One-time code (XXXX-XXXX): typed at the kiosk or carried by /?pair=' }),
  expiresAt: Type.String({ format: 'date-time' }),
});

/** `POST /v1/kiosk/pair` body. */
export const RedeemPairingBody = Type.Object(
  { code: Type.String({ minLength: 4, maxLength: 32 }) },
  { additionalProperties: false },
);

/** `POST /v1/kiosk/pair` response: the new kiosk key, handed to the kiosk only. */
export const RedeemedPairingDto = Type.Object({
  secret: Type.String({ description: 'The kiosk key (fg_…): stored by the kiosk, never shown' }),
  name: Type.String(),
});

/** `GET /v1/kiosk/config` response: what a kiosk reads about itself with its key. */
export const KioskConfigDto = Type.Object({
  name: Type.String(),
  allowPhotoUpload: Type.Boolean(),
  setupPinSet: Type.Boolean(),
  livenessMode: Type.Union([Type.Literal('off'), Type.Literal('challenge')], {
    description: '`challenge`: answer a liveness challenge with frames; `off`: one photo',
  }),
  livenessProvider: Type.Union(
    [Type.Literal('local'), Type.Literal('rekognition'), Type.Literal('none'), Type.Null()],
    {
      description:
        "Where this kiosk's challenges come from: `local` (prompts answered with frames), `rekognition` (AWS Face " +
        "Liveness: the session's video is streamed by AWS's client), `none` (no liveness check runs: challenges are " +
        'refused with `NOT_SUPPORTED`); `null` under `livenessMode: off`. A kiosk that cannot run the provider ' +
        'should refuse before asking for a challenge.',
    },
  ),
});

/** `POST /v1/kiosk/setup-check` body. */
export const SetupPinBody = Type.Object(
  { pin: Type.String({ minLength: 1, maxLength: 32 }) },
  { additionalProperties: false },
);

/** `PUT /v1/kiosk/setup-pin` body: 4 to 12 digits, or null to remove the PIN. */
export const SetSetupPinBody = Type.Object(
  { pin: Type.Union([Type.String({ pattern: '^\\d{4,12}$' }), Type.Null()]) },
  { additionalProperties: false },
);

/** `PUT /v1/keys/{id}/kiosk` body. */
export const KioskKeySettingsBody = Type.Object(
  { allowPhotoUpload: Type.Boolean() },
  { additionalProperties: false },
);

/** `GET /v1/kiosk/overview` response. */
export const KioskOverviewDto = Type.Object({
  setupPinSet: Type.Boolean(),
  photoUploadKeys: Type.Array(Type.String(), {
    description: 'Ids of kiosk keys offering the photo fallback',
  }),
});
