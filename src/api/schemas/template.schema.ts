import { Type } from 'typebox';
import { Uuid } from './common.schema.js';
import { EmployeeRefDto, ReasonDto } from './employee.schema.js';

/** `POST /v1/templates/upgrade` body. */
export const UpgradeTemplatesBody = Type.Object(
  {
    dryRun: Type.Optional(
      Type.Boolean({
        default: true,
        description:
          'Only count stale templates and check their photos exist; change nothing. Defaults to `true`: the ' +
          'real upgrade runs only when `false` is sent.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** A stale face template that could not be rebuilt: its employee must be photographed again. */
const ReEnrollmentDto = Type.Object(
  {
    faceId: Uuid,
    employee: EmployeeRefDto,
    model: Type.String(),
    modelVersion: Type.String(),
    reasons: Type.Array(ReasonDto),
  },
  { title: 'ReEnrollmentNeeded' },
);

/** A rebuilt face resembling another employee at or above the duplicate threshold (accepted; for review). */
const LookAlikeDto = Type.Object(
  {
    faceId: Uuid,
    employee: EmployeeRefDto,
    resembles: EmployeeRefDto,
    score: Type.Number(),
    threshold: Type.Number(),
  },
  { title: 'UpgradeLookAlike' },
);

/** `POST /v1/templates/upgrade` response: counts and the employees that need re-enrollment. */
export const TemplateUpgradeDto = Type.Object(
  {
    dryRun: Type.Boolean(),
    engine: Type.Object({ model: Type.String(), version: Type.String() }),
    stale: Type.Integer({ minimum: 0, description: 'Templates of another model or version found' }),
    employees: Type.Integer({ minimum: 0, description: 'Employees owning stale templates' }),
    withPhoto: Type.Integer({ minimum: 0, description: 'Stale templates whose kept photo exists' }),
    upgraded: Type.Integer({ minimum: 0, description: 'Templates rebuilt with the current model' }),
    needsReEnrollment: Type.Array(ReEnrollmentDto),
    lookAlikes: Type.Array(LookAlikeDto),
    durationMs: Type.Integer({ minimum: 0 }),
  },
  { title: 'TemplateUpgrade' },
);
