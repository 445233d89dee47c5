import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from './common.schema.js';

/** The token of an invitation link (`/enrol/{token}`). */
export const TokenParams = Type.Object(
  { token: Type.String({ minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) },
  { additionalProperties: false },
);

/** `{ id, index }` of a submission photo. */
export const SubmissionPhotoParams = Type.Object(
  { id: Uuid, index: Type.Integer({ minimum: 0, maximum: 4 }) },
  { additionalProperties: false },
);

const InvitationStatus = Type.Union([
  Type.Literal('open'),
  Type.Literal('used'),
  Type.Literal('revoked'),
  Type.Literal('expired'),
]);
const SubmissionStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('held'),
  Type.Literal('approved'),
  Type.Literal('rejected'),
]);

const EmployeeRef = Type.Object({
  id: Uuid,
  badge: Type.String(),
  firstName: Type.String(),
  lastName: Type.String(),
});

/** `POST /v1/invitations` body. */
export const CreateInvitationsBody = Type.Object(
  {
    employees: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      minItems: 1,
      maxItems: 500,
      description: 'Employee ids or badges; one invitation each',
    }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 30, description: 'Default 7' })),
    sendEmail: Type.Optional(
      Type.Boolean({
        description:
          'Also e-mail each link to its employee (needs FACEGATE_SMTP_URL, else 409 MAIL_NOT_CONFIGURED)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** `GET /v1/invitations` query. */
export const InvitationQuery = Type.Object(
  {
    employee: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Employee id or badge' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

/** An invitation as inviters see it (never its token, which is not stored). */
export const InvitationDto = Type.Object(
  {
    id: Uuid,
    status: InvitationStatus,
    employee: Type.Object({ ...EmployeeRef.properties, email: Nullable(Type.String()) }),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    revokedAt: Nullable(Timestamp),
    usedAt: Nullable(Timestamp),
    consentVersion: Nullable(Type.String()),
  },
  { title: 'Invitation' },
);

/** A new invitation: the only answer that holds its link. */
export const CreatedInvitationDto = Type.Object(
  {
    ...InvitationDto.properties,
    link: Type.String({ description: '`/enrol/<token>`, relative to this server; shown once' }),
    email: Type.Optional(
      Type.Object(
        {
          sent: Type.Boolean(),
          reason: Nullable(
            Type.Union([Type.Literal('no_address'), Type.Literal('smtp_error')], {
              description:
                'Why it was not sent: the employee has no e-mail address, or the SMTP server failed',
            }),
          ),
        },
        { description: 'Only with `sendEmail`: whether the link was e-mailed' },
      ),
    ),
  },
  { title: 'CreatedInvitation' },
);

/** `POST /v1/invitations` answer. */
export const CreatedInvitationsDto = Type.Object({ items: Type.Array(CreatedInvitationDto) });
/** `GET /v1/invitations` answer. */
export const InvitationListDto = Type.Object({ items: Type.Array(InvitationDto) });

/** `GET /v1/enrolment/submissions` query. */
export const SubmissionQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Literal('waiting'), SubmissionStatus], { description: 'waiting = pending or held' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

const ChecksDto = Type.Object({
  liveness: Type.Object({
    outcome: Type.String(),
    checks: Type.Array(Type.Object({ check: Type.String(), passed: Type.Boolean(), reason: Type.String() })),
  }),
  photos: Type.Array(
    Type.Object({
      accepted: Type.Boolean(),
      reasons: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })),
    }),
  ),
  duplicate: Nullable(
    Type.Object({
      employeeId: Type.String(),
      badge: Nullable(Type.String()),
      score: Type.Number(),
      threshold: Type.Number(),
    }),
  ),
  consistency: Nullable(
    Type.Object({ score: Type.Number(), threshold: Type.Number(), passed: Type.Boolean() }),
  ),
});

/** A submission as reviewers see it. */
export const SubmissionDto = Type.Object(
  {
    id: Uuid,
    status: SubmissionStatus,
    employee: EmployeeRef,
    invitation: Type.Object({ id: Uuid, createdAt: Timestamp, invitedBy: Type.String() }),
    checks: ChecksDto,
    consentVersion: Type.String(),
    photoCount: Type.Integer({ description: 'Photos still kept (0 once decided)' }),
    reviewer: Nullable(Type.String({ description: 'Who decided: a username, key name or system task' })),
    reason: Nullable(Type.String()),
    createdAt: Timestamp,
    decidedAt: Nullable(Timestamp),
  },
  { title: 'EnrolmentSubmission' },
);

/** `GET /v1/enrolment/submissions` answer. */
export const SubmissionListDto = Type.Object({ items: Type.Array(SubmissionDto) });

/** Approve body (reason optional). */
export const ApproveBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
/** Reject body (reason required: the employee sees it). */
export const RejectBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, description: 'Shown to the employee' }) },
  { additionalProperties: false },
);

/** Self-service enrolment settings. */
export const EnrolmentSettingsDto = Type.Object(
  {
    consent: Type.Object({ version: Type.String(), text: Type.String() }),
    autoApprove: Type.Boolean(),
    captureAvailable: Type.Boolean({
      description:
        'Read-only: whether this deployment can run the capture step (the liveness challenge and the photos need ' +
        'the local face engine). When false, new invitations are refused with `NOT_SUPPORTED`',
    }),
  },
  { title: 'EnrolmentSettings' },
);
/** `PUT /v1/enrolment/settings` body. */
export const EnrolmentSettingsBody = Type.Object(
  {
    consentText: Type.Optional(
      Type.String({ minLength: 20, maxLength: 10_000, description: 'A changed text gets a new version' }),
    ),
    autoApprove: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** `GET /v1/enrol/{token}` answer: what the enrolment page shows. */
export const EnrolmentPageDto = Type.Object(
  {
    firstName: Type.String(),
    status: InvitationStatus,
    expiresAt: Timestamp,
    consent: Type.Object({ version: Type.String(), text: Type.String() }),
    consentAccepted: Type.Boolean(),
    livenessPassed: Type.Boolean({ description: 'A passed challenge waits for the photos' }),
    captureAvailable: Type.Boolean({
      description:
        'False where this deployment cannot run the capture step (no local face engine): consent, the challenge ' +
        'and the photos are refused with `NOT_SUPPORTED`, and the page says so before anything is asked',
    }),
    submission: Nullable(
      Type.Object({
        status: SubmissionStatus,
        reason: Nullable(Type.String()),
        createdAt: Timestamp,
        decidedAt: Nullable(Timestamp),
      }),
    ),
  },
  { title: 'EnrolmentPage' },
);

/** `POST /v1/enrol/{token}/consent` body. */
export const ConsentBody = Type.Object(
  { version: Type.String({ minLength: 1, maxLength: 32 }) },
  { additionalProperties: false },
);

/** `POST /v1/enrol/{token}/liveness` answer. */
export const EnrolmentLivenessDto = Type.Object({
  outcome: Type.Union([Type.Literal('pass'), Type.Literal('retry'), Type.Literal('refused')]),
  hint: Nullable(
    Type.String({ description: 'For retry: TURN_MORE, BLINK, COME_CLOSER, FACE_NOT_FOUND, TRY_AGAIN' }),
  ),
  code: Nullable(Type.String({ description: 'For refused: LIVENESS_FAILED, CHALLENGE_EXPIRED…' })),
});

/** `POST /v1/enrol/{token}/submission` answer. */
export const SubmitResultDto = Type.Object({
  outcome: Type.Union([Type.Literal('submitted'), Type.Literal('retake')]),
  status: Nullable(SubmissionStatus),
  photos: Type.Array(
    Type.Object({
      accepted: Type.Boolean(),
      reasons: Type.Array(Type.Object({ code: Type.String(), hint: Type.String() })),
    }),
  ),
});
