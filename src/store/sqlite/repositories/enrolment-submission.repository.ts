import type {
  EnrolmentSubmission,
  NewEnrolmentSubmission,
  SubmissionChecks,
  SubmissionDecision,
  SubmissionStatus,
} from '../../../domain/enrolment.js';
import type { EnrolmentSubmissionRepository } from '../../store.port.js';
import type { SqlRunner } from '../sql-runner.js';
import { rowById } from './sql-helpers.js';

/** An enrolment_submissions row, as the SQLite and PostgreSQL stores read it. */
export interface SubmissionRow {
  id: string;
  invitation_id: string;
  employee_id: string;
  status: string;
  checks: string;
  consent_version: string;
  photo_keys: string;
  reviewer_id: string | null;
  reason: string | null;
  created_at: string;
  decided_at: string | null;
}

/** The submission of a row. */
export function toSubmission(row: SubmissionRow): EnrolmentSubmission {
  return {
    id: row.id,
    invitationId: row.invitation_id,
    employeeId: row.employee_id,
    status: row.status as SubmissionStatus,
    checks: JSON.parse(row.checks) as SubmissionChecks,
    consentVersion: row.consent_version,
    photoKeys: JSON.parse(row.photo_keys) as string[],
    reviewerId: row.reviewer_id,
    reason: row.reason,
    createdAt: row.created_at,
    decidedAt: row.decided_at,
  };
}

/** Column list of {@link submissionValues}. */
export const SUBMISSION_COLUMNS =
  'id, invitation_id, employee_id, status, checks, consent_version, photo_keys, created_at';

/** The values of a new submission, in the order of {@link SUBMISSION_COLUMNS}. */
export function submissionValues(s: NewEnrolmentSubmission): unknown[] {
  return [
    s.id,
    s.invitationId,
    s.employeeId,
    s.status,
    JSON.stringify(s.checks),
    s.consentVersion,
    JSON.stringify(s.photoKeys),
    s.createdAt,
  ];
}

/** The distinct photo keys of some rows. */
export function photoKeysOf(rows: ReadonlyArray<{ photo_keys: string }>): string[] {
  return [...new Set(rows.flatMap((r) => JSON.parse(r.photo_keys) as string[]))];
}

/** SQLite self-service enrolment submissions. */
export class SqliteEnrolmentSubmissionRepository implements EnrolmentSubmissionRepository {
  constructor(private readonly runner: SqlRunner) {}

  async create(submission: NewEnrolmentSubmission): Promise<EnrolmentSubmission> {
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO enrolment_submissions (${SUBMISSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ...submissionValues(submission),
      );
      return toSubmission(rowById<SubmissionRow>(sql, 'enrolment_submissions', submission.id));
    });
  }

  async get(id: string): Promise<EnrolmentSubmission | undefined> {
    const row = await this.runner.run((sql) =>
      sql.get<SubmissionRow>('SELECT * FROM enrolment_submissions WHERE id = ?', id),
    );
    return row && toSubmission(row);
  }

  async getByInvitation(invitationId: string): Promise<EnrolmentSubmission | undefined> {
    const row = await this.runner.run((sql) =>
      sql.get<SubmissionRow>(
        'SELECT * FROM enrolment_submissions WHERE invitation_id = ? ORDER BY created_at DESC, id DESC LIMIT 1',
        invitationId,
      ),
    );
    return row && toSubmission(row);
  }

  async list(query: {
    statuses?: readonly SubmissionStatus[];
    limit: number;
    offset: number;
  }): Promise<EnrolmentSubmission[]> {
    const statuses = query.statuses ?? [];
    const where = statuses.length ? `WHERE status IN (${statuses.map(() => '?').join(', ')})` : '';
    const rows = await this.runner.run((sql) =>
      sql.all<SubmissionRow>(
        `SELECT * FROM enrolment_submissions ${where} ORDER BY created_at, id LIMIT ? OFFSET ?`,
        ...statuses,
        query.limit,
        query.offset,
      ),
    );
    return rows.map(toSubmission);
  }

  async decide(id: string, d: SubmissionDecision): Promise<boolean> {
    return this.runner.run(
      (sql) =>
        sql.run(
          `UPDATE enrolment_submissions SET status = ?, reviewer_id = ?, reason = ?, decided_at = ?, photo_keys = '[]'
           WHERE id = ? AND status IN ('pending', 'held')`,
          d.status,
          d.reviewerId,
          d.reason,
          d.decidedAt,
          id,
        ).changes === 1,
    );
  }

  async listPhotoKeys(employeeId?: string): Promise<string[]> {
    const rows = await this.runner.run((sql) =>
      employeeId
        ? sql.all<{ photo_keys: string }>(
            `SELECT photo_keys FROM enrolment_submissions WHERE employee_id = ? AND photo_keys <> '[]'`,
            employeeId,
          )
        : sql.all<{ photo_keys: string }>(
            `SELECT photo_keys FROM enrolment_submissions WHERE photo_keys <> '[]'`,
          ),
    );
    return photoKeysOf(rows);
  }
}
