/**
 * The API's request and response shapes for the web client, taken from the server's TypeBox schemas. Type-only
 * imports: they vanish from the bundle, and a change to a schema fails the client's type-check instead of
 * drifting from a hand-written copy.
 */
import type { Static } from 'typebox';
import type * as Admin from '../../../api/schemas/admin.schema.js';
import type * as Auth from '../../../api/schemas/auth.schema.js';
import type * as Common from '../../../api/schemas/common.schema.js';
import type * as Employee from '../../../api/schemas/employee.schema.js';
import type * as Face from '../../../api/schemas/face.schema.js';
import type * as Kiosk from '../../../api/schemas/kiosk.schema.js';

/** The body of every failed request. */
export type ErrorBody = Static<typeof Common.ErrorBody>;

/** `POST /v1/authenticate`, `/v1/identify`, `/v1/verify` response. */
export type DecisionDto = Static<typeof Face.DecisionDto>;

/** An employee. */
export type EmployeeDto = Static<typeof Employee.EmployeeDto>;
/** `POST /v1/employees` body. */
export type CreateEmployeeBody = Static<typeof Employee.CreateEmployeeBody>;
/** `PATCH /v1/employees/{id}` body. */
export type UpdateEmployeeBody = Static<typeof Employee.UpdateEmployeeBody>;
/** `GET /v1/employees` query. */
export type ListEmployeesQuery = Static<typeof Employee.ListEmployeesQuery>;
/** `GET /v1/employees` response. */
export type EmployeePage = Static<typeof Employee.EmployeePage>;
/** A face template's metadata. */
export type FaceDto = Static<typeof Employee.FaceDto>;
/** `POST /v1/employees/{id}/faces` response. */
export type EnrollResultDto = Static<typeof Employee.EnrollResultDto>;
/** `POST /v1/employees/enroll` response. */
export type EnrollNewResultDto = Static<typeof Employee.EnrollNewResultDto>;
/** The outcome of one uploaded photo. */
export type PhotoResultDto = EnrollResultDto['photos'][number];

/** An audit event. */
export type AuditEventDto = Static<typeof Admin.AuditEventDto>;
/** `GET /v1/audit` query. */
export type AuditQuery = Static<typeof Admin.AuditQuerySchema>;
/** `GET /v1/audit` response. */
export type AuditPage = Static<typeof Admin.AuditPage>;
/** Run-time settings. */
export type SettingsDto = Static<typeof Admin.SettingsDto>;
/** `PUT /v1/settings` body. */
export type UpdateSettingsBody = Static<typeof Admin.UpdateSettingsBody>;
/** `GET /v1/calibration` response. */
export type CalibrationResponse = Static<typeof Admin.CalibrationDto>;

/** A user of the admin pages. */
export type UserDto = Static<typeof Auth.UserDto>;
/** `POST /v1/users` body. */
export type CreateUserBody = Static<typeof Auth.CreateUserBody>;
/** `PATCH /v1/users/{id}` body. */
export type UpdateUserBody = Static<typeof Auth.UpdateUserBody>;
/** An API key (never its secret). */
export type ApiKeyDto = Static<typeof Auth.ApiKeyDto>;
/** `POST /v1/keys` response. */
export type CreatedKeyResponse = Static<typeof Auth.CreatedKeyResponse>;
/** `POST /v1/auth/login` response. */
export type LoginResponse = Static<typeof Auth.LoginResponse>;
/** `GET /v1/auth/me` response. */
export type MeResponse = Static<typeof Auth.MeResponse>;
/** `GET /v1/setup/status` response. */
export type SetupStatus = Static<typeof Auth.SetupStatus>;

/** `POST /v1/kiosk/pairings` response. */
export type StartedPairingDto = Static<typeof Kiosk.StartedPairingDto>;
/** `POST /v1/kiosk/pair` response. */
export type RedeemedPairingDto = Static<typeof Kiosk.RedeemedPairingDto>;
/** `GET /v1/kiosk/config` response. */
export type KioskConfigDto = Static<typeof Kiosk.KioskConfigDto>;
/** `GET /v1/kiosk/overview` response. */
export type KioskOverviewDto = Static<typeof Kiosk.KioskOverviewDto>;
