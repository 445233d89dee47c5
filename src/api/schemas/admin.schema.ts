import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from './common.schema.js';
import { SecondFactorSettingsBody, SecondFactorSettingsDto } from './mfa.schema.js';

/** An audit event as returned to auditors (never images or embeddings). */
/** Who or what an audit record names, for people: username, key name and prefix, employee name and badge. */
export const AuditParty = Type.Object({
  id: Type.String(),
  label: Type.String(),
  badge: Type.Optional(Type.String()),
  exists: Type.Boolean({ description: 'False when the user, key or employee no longer exists' }),
});

export const AuditEventDto = Type.Object(
  {
    id: Type.String(),
    at: Timestamp,
    action: Type.String(),
    outcome: Type.String(),
    reason: Nullable(Type.String()),
    actorType: Type.String(),
    actorId: Nullable(Type.String()),
    employeeId: Nullable(Type.String()),
    score: Nullable(Type.Number()),
    threshold: Nullable(Type.Number()),
    engine: Nullable(Type.String()),
    ip: Nullable(Type.String()),
    durationMs: Nullable(Type.Number()),
    details: Type.Record(Type.String(), Type.Unknown()),
    actor: Type.Optional(Nullable(AuditParty)),
    employee: Type.Optional(Nullable(AuditParty)),
  },
  { title: 'AuditEvent' },
);

const Filter = Type.String({ minLength: 1, maxLength: 100 });

/** `GET /v1/audit` query. */
export const AuditQuerySchema = Type.Object(
  {
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    employee: Type.Optional(Uuid),
    actor: Type.Optional(Filter),
    employeeName: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Badge or name' })),
    actorName: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Username, key name or fg_ prefix' }),
    ),
    action: Type.Optional(Filter),
    outcome: Type.Optional(Filter),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** `GET /v1/audit/export` query. */
export const AuditExportQuery = Type.Object(
  {
    format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('jsonl')], { default: 'csv' })),
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    employee: Type.Optional(Uuid),
    actor: Type.Optional(Filter),
    action: Type.Optional(Filter),
    outcome: Type.Optional(Filter),
  },
  { additionalProperties: false },
);

/** A page of audit events. */
export const AuditPage = Type.Object({
  items: Type.Array(AuditEventDto),
  nextCursor: Nullable(Type.String()),
  actions: Type.Optional(Type.Array(Type.String(), { description: 'Every action present in the log' })),
});

const Preset = Type.Union([Type.Literal('strict'), Type.Literal('balanced'), Type.Literal('lenient')]);
const Liveness = Type.Union([Type.Literal('off'), Type.Literal('challenge')]);
const Lockout = Type.Object(
  {
    threshold: Type.Integer({ minimum: 1, maximum: 1000 }),
    baseDelaySeconds: Type.Integer({ minimum: 1, maximum: 86_400 }),
    hardCap: Type.Integer({ minimum: 2, maximum: 100_000 }),
  },
  { additionalProperties: false },
);

/** Run-time settings. */
export const SettingsDto = Type.Object(
  {
    thresholdPreset: Preset,
    identifyPreset: Preset,
    livenessMode: Liveness,
    lockout: Lockout,
    keepPhotos: Type.Boolean(),
    auditRetentionDays: Type.Integer({ minimum: 1, maximum: 36_500 }),
    kioskShowPhoto: Type.Boolean({
      description: "Kiosk welcome shows the employee's kept photo (short-lived link bound to that kiosk)",
    }),
    mfa: SecondFactorSettingsDto,
  },
  { title: 'Settings' },
);

/** `PUT /v1/settings` body: any subset. */
export const UpdateSettingsBody = Type.Object(
  {
    thresholdPreset: Type.Optional(Preset),
    identifyPreset: Type.Optional(Preset),
    livenessMode: Type.Optional(Liveness),
    lockout: Type.Optional(Type.Partial(Lockout)),
    keepPhotos: Type.Optional(Type.Boolean()),
    auditRetentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
    kioskShowPhoto: Type.Optional(Type.Boolean()),
    mfa: Type.Optional(SecondFactorSettingsBody),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** `GET /v1/calibration` response. */
export const CalibrationDto = Type.Object({
  available: Type.Boolean(),
  calibration: Nullable(Type.Record(Type.String(), Type.Unknown())),
  rocSvg: Nullable(Type.String()),
});
