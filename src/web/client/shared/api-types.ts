/**
 * Names for the API's request and response shapes, all taken from the types generated from the server's OpenAPI
 * document (`api-schema.gen.ts`): nothing here is written by hand, so a change of the document fails the
 * client's type-check instead of drifting from a copy.
 */
import type { paths } from './api-schema.gen.js';

type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON answer of an operation for `status` (its success answer, 200 or 201, by default). */
export type JsonAnswer<P extends keyof paths, M extends Method, S extends number = 200 | 201> =
  Operation<P, M> extends { responses: infer R } ? JsonOf<R[S & keyof R]> : never;

/** The JSON request body of an operation. */
export type JsonBody<P extends keyof paths, M extends Method> =
  Operation<P, M> extends {
    requestBody?: infer B;
  }
    ? JsonOf<NonNullable<B>>
    : never;

/** The query parameters of an operation. */
export type QueryOf<P extends keyof paths, M extends Method> =
  Operation<P, M> extends {
    parameters: { query?: infer Q };
  }
    ? NonNullable<Q>
    : never;

/** The body of every failed request. */
export type ErrorBody = JsonAnswer<'/v1/auth/me', 'get', 401>;

/** `POST /v1/authenticate`, `/v1/identify`, `/v1/verify` response. */
export type DecisionDto = JsonAnswer<'/v1/authenticate', 'post'>;

/** An employee. */
export type EmployeeDto = JsonAnswer<'/v1/employees/{id}', 'get'>;
/** `POST /v1/employees` body. */
export type CreateEmployeeBody = JsonBody<'/v1/employees', 'post'>;
/** `PATCH /v1/employees/{id}` body. */
export type UpdateEmployeeBody = JsonBody<'/v1/employees/{id}', 'patch'>;
/** `GET /v1/employees` query. */
export type ListEmployeesQuery = QueryOf<'/v1/employees', 'get'>;
/** `GET /v1/employees` response. */
export type EmployeePage = JsonAnswer<'/v1/employees', 'get'>;
/** A face template's metadata. */
export type FaceDto = JsonAnswer<'/v1/employees/{id}/faces', 'get'>['items'][number];
/** `POST /v1/employees/{id}/faces` response. */
export type EnrollResultDto = JsonAnswer<'/v1/employees/{id}/faces', 'post'>;
/** `POST /v1/employees/enroll` response. */
export type EnrollNewResultDto = JsonAnswer<'/v1/employees/enroll', 'post'>;
/** The outcome of one uploaded photo. */
export type PhotoResultDto = EnrollResultDto['photos'][number];

/** An audit event. */
export type AuditEventDto = AuditPage['items'][number];
/** `GET /v1/audit` query. */
export type AuditQuery = QueryOf<'/v1/audit', 'get'>;
/** `GET /v1/audit` response. */
export type AuditPage = JsonAnswer<'/v1/audit', 'get'>;
/** Run-time settings. */
export type SettingsDto = JsonAnswer<'/v1/settings', 'get'>;
/** `PUT /v1/settings` body. */
export type UpdateSettingsBody = JsonBody<'/v1/settings', 'put'>;
/** `GET /v1/calibration` response. */
export type CalibrationResponse = JsonAnswer<'/v1/calibration', 'get'>;

/** A user of the admin pages. */
export type UserDto = JsonAnswer<'/v1/users', 'get'>['items'][number];
/** `POST /v1/users` body. */
export type CreateUserBody = JsonBody<'/v1/users', 'post'>;
/** `PATCH /v1/users/{id}` body. */
export type UpdateUserBody = JsonBody<'/v1/users/{id}', 'patch'>;
/** An API key (never its secret). */
export type ApiKeyDto = JsonAnswer<'/v1/keys', 'get'>['items'][number];
/** `POST /v1/keys` response. */
export type CreatedKeyResponse = JsonAnswer<'/v1/keys', 'post'>;
/** `POST /v1/auth/login` response. */
export type LoginResponse = JsonAnswer<'/v1/auth/login', 'post'>;
/** `GET /v1/auth/me` response. */
export type MeResponse = JsonAnswer<'/v1/auth/me', 'get'>;
/** `GET /v1/setup/status` response. */
export type SetupStatus = JsonAnswer<'/v1/setup/status', 'get'>;

/** `POST /v1/kiosk/pairings` response. */
export type StartedPairingDto = JsonAnswer<'/v1/kiosk/pairings', 'post'>;
/** `POST /v1/kiosk/pair` response. */
export type RedeemedPairingDto = JsonAnswer<'/v1/kiosk/pair', 'post'>;
/** `GET /v1/kiosk/config` response. */
export type KioskConfigDto = JsonAnswer<'/v1/kiosk/config', 'get'>;
/** `GET /v1/kiosk/overview` response. */
export type KioskOverviewDto = JsonAnswer<'/v1/kiosk/overview', 'get'>;

/** `POST /v1/liveness/challenges` body. */
export type ChallengeRequest = JsonBody<'/v1/liveness/challenges', 'post'>;
/** `POST /v1/liveness/challenges` response (201): a challenge of the provider in force, told apart by `provider`. */
export type LivenessChallengeDto = JsonAnswer<'/v1/liveness/challenges', 'post'>;
/** The local challenge (prompts answered with frames), as the enrolment page receives it. */
export type ChallengeDto = JsonAnswer<'/v1/enrol/{token}/challenge', 'post'>;
