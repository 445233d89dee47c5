import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from './common.schema.js';

const Name = Type.String({ minLength: 1, maxLength: 100 });
/** Letters, digits, `.`, `-`, `_`, starting with a letter or digit (surrounding blanks are trimmed). */
const Badge = Type.String({ minLength: 1, maxLength: 64, pattern: '^\\s*[A-Za-z0-9][A-Za-z0-9._-]*\\s*$' });
const OptionalText = (max: number) => Type.Optional(Nullable(Type.String({ maxLength: max })));
/** An e-mail address; blank means none. */
const OptionalEmail = Type.Optional(
  Nullable(
    Type.String({
      maxLength: 254,
      pattern: '^\\s*$|^\\s*[^\\s@]+@[^\\s@]+\\.[^\\s@]+\\s*$',
      description: 'E-mail address (`name@domain.tld`); blank or null for none',
    }),
  ),
);

/** An employee as clients see it. */
export const EmployeeDto = Type.Object(
  {
    id: Uuid,
    badge: Type.String(),
    firstName: Type.String(),
    lastName: Type.String(),
    email: Nullable(Type.String()),
    department: Nullable(Type.String()),
    role: Nullable(Type.String()),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]),
    faceLoginLocked: Type.Boolean(),
    templateCount: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Number of face templates (for roles that may list templates: admin, enroller)',
      }),
    ),
    photoId: Type.Optional(
      Type.Union([Uuid, Type.Null()], {
        description:
          'First kept photo (GET /v1/employees/{id}/photos/{photoId}), for roles that may view photos',
      }),
    ),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { title: 'Employee' },
);

/** The employee fields a match result discloses. */
export const EmployeeRefDto = Type.Object(
  { id: Uuid, badge: Type.String(), firstName: Type.String(), lastName: Type.String() },
  { title: 'EmployeeRef' },
);

/** `POST /v1/employees` body. */
export const CreateEmployeeBody = Type.Object(
  {
    badge: Badge,
    firstName: Name,
    lastName: Name,
    email: OptionalEmail,
    department: OptionalText(100),
    role: OptionalText(64),
  },
  { additionalProperties: false },
);

/** `PATCH /v1/employees/{id}` body. */
export const UpdateEmployeeBody = Type.Object(
  {
    badge: Type.Optional(Badge),
    firstName: Type.Optional(Name),
    lastName: Type.Optional(Name),
    email: OptionalEmail,
    department: OptionalText(100),
    role: OptionalText(64),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** `GET /v1/employees` query. */
export const ListEmployeesQuery = Type.Object(
  {
    search: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('suspended')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000, default: 0 })),
  },
  { additionalProperties: false },
);

/** A page of employees. */
export const EmployeePage = Type.Object({
  items: Type.Array(EmployeeDto),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

/** Template metadata (never the embedding). */
export const FaceDto = Type.Object(
  {
    id: Uuid,
    photoId: Nullable(Uuid),
    engine: Type.String(),
    model: Type.String(),
    modelVersion: Type.String(),
    quality: Type.Object({
      faceSize: Type.Number(),
      sharpness: Type.Number(),
      brightness: Type.Number(),
      yaw: Type.Number(),
      pitch: Type.Number(),
      roll: Type.Number(),
      detectorScore: Type.Number(),
    }),
    createdAt: Timestamp,
  },
  { title: 'Face' },
);

/** Why a photo was refused (or a note on an accepted one). */
export const ReasonDto = Type.Object({
  code: Type.String(),
  message: Type.String(),
  value: Type.Optional(Type.Number()),
  threshold: Type.Optional(Type.Number()),
  employee: Type.Optional(EmployeeRefDto),
});

const PhotoResults = Type.Array(
  Type.Object({
    file: Type.Optional(Type.String()),
    accepted: Type.Boolean(),
    faceId: Type.Optional(Uuid),
    alreadyEnrolled: Type.Optional(Type.Boolean()),
    reasons: Type.Array(ReasonDto),
  }),
);

/** `POST /v1/employees/{id}/faces` response. */
export const EnrollResultDto = Type.Object({
  employee: EmployeeDto,
  added: Type.Integer(),
  photos: PhotoResults,
});

/** `POST /v1/employees/enroll` response: `employee` is null when a new badge got no accepted photo. */
export const EnrollNewResultDto = Type.Object({
  employee: Nullable(EmployeeDto),
  created: Type.Boolean({ description: 'True when this request created the employee' }),
  added: Type.Integer(),
  photos: PhotoResults,
});

/** `POST /v1/employees/{id}/faces` query. */
export const EnrollQuery = Type.Object(
  {
    force: Type.Optional(Type.Boolean({ description: 'Accept photos matching another employee' })),
    confirmMismatch: Type.Optional(
      Type.Boolean({
        description:
          "Accept photos refused with FACE_MISMATCH (the face does not match the employee's enrolled faces): " +
          'the enroller confirmed it is the same person. Audited.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `DELETE /v1/employees/{id}/faces/{faceId}` params. */
export const FaceParams = Type.Object({ id: Uuid, faceId: Uuid }, { additionalProperties: false });

/** `DELETE /v1/employees/{id}/faces/{faceId}` response. */
export const FaceDeletionDto = Type.Object(
  {
    employeeId: Uuid,
    faceId: Uuid,
    photoDeleted: Type.Boolean({ description: 'The kept photo was removed (false when none was kept)' }),
  },
  { title: 'FaceDeletion' },
);

/** `DELETE /v1/employees/{id}` response. */
export const ErasureDto = Type.Object({
  employeeId: Uuid,
  badge: Type.String(),
  templatesDeleted: Type.Integer(),
  photosDeleted: Type.Integer(),
  erasedAt: Timestamp,
  verified: Type.Boolean(),
});

/** `GET /v1/employees/{id}/photos/{photoId}` params. */
export const PhotoParams = Type.Object({ id: Uuid, photoId: Uuid }, { additionalProperties: false });
