import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from './common.schema.js';
import { SecondFactorStepDto } from './mfa.schema.js';

const RoleSchema = Type.Union([
  Type.Literal('admin'),
  Type.Literal('enroller'),
  Type.Literal('auditor'),
  Type.Literal('kiosk'),
]);
const Username = Type.String({ minLength: 3, maxLength: 64, pattern: '^[A-Za-z0-9._@-]+$' });
const Password = Type.String({ minLength: 1, maxLength: 256 });
/** A password being set: the policy's length limits (in characters). */
const NewPassword = Type.String({ minLength: 12, maxLength: 256 });

/** A user as admins see it (never the password hash or TOTP secret). */
export const UserDto = Type.Object(
  {
    id: Uuid,
    username: Type.String(),
    role: RoleSchema,
    disabled: Type.Boolean(),
    createdAt: Timestamp,
    lastLoginAt: Nullable(Timestamp),
  },
  { title: 'User' },
);

/** `POST /v1/auth/login` body. */
export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Password,
    session: Type.Optional(
      Type.Union([Type.Literal('cookie'), Type.Literal('bearer')], {
        description: '`cookie` (browsers, default) or `bearer` (scripts: the token is returned in the body)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `POST /v1/auth/login` response. */
export const LoginResponse = Type.Object({
  user: UserDto,
  csrfToken: Type.String(),
  expiresAt: Timestamp,
  token: Type.Optional(Type.String({ description: 'Only with session=bearer' })),
});

/** `POST /v1/auth/login` response: a session, or the second-factor step to complete first. */
export const LoginOrStepResponse = Type.Union([
  LoginResponse,
  Type.Object({ secondFactor: SecondFactorStepDto }, { title: 'LoginSecondFactorRequired' }),
]);

/** `GET /v1/auth/me` response. */
export const MeResponse = Type.Object({
  actor: Type.Object({
    type: Type.String(),
    id: Type.String(),
    name: Type.String(),
    role: RoleSchema,
  }),
  permissions: Type.Array(Type.String()),
  user: Type.Optional(UserDto),
  csrfToken: Nullable(Type.String()),
});

/** `POST /v1/auth/password` body. */
export const ChangePasswordBody = Type.Object(
  { currentPassword: Password, newPassword: NewPassword },
  { additionalProperties: false },
);

/** `GET /v1/setup/status` response. */
export const SetupStatus = Type.Object({ needsSetup: Type.Boolean() });

/** `POST /v1/setup` body. */
export const SetupBody = Type.Object(
  { setupToken: Type.String({ minLength: 1, maxLength: 200 }), username: Username, password: NewPassword },
  { additionalProperties: false },
);

/** `POST /v1/users` body. */
export const CreateUserBody = Type.Object(
  { username: Username, password: NewPassword, role: RoleSchema },
  { additionalProperties: false },
);

/** `PATCH /v1/users/{id}` body. */
export const UpdateUserBody = Type.Object(
  { role: Type.Optional(RoleSchema), disabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1 },
);

/** An API key as admins see it (never the secret or its hash). */
export const ApiKeyDto = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    prefix: Type.String(),
    role: RoleSchema,
    createdAt: Timestamp,
    lastUsedAt: Nullable(Timestamp),
    revokedAt: Nullable(Timestamp),
  },
  { title: 'ApiKey' },
);

/** `POST /v1/keys` body. */
export const CreateKeyBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }), role: RoleSchema },
  { additionalProperties: false },
);

/** `POST /v1/keys` response: the secret is shown here and never again. */
export const CreatedKeyResponse = Type.Object({
  key: ApiKeyDto,
  secret: Type.String({ description: 'fg_<prefix>_<secret>: shown once, store it now' }),
});
