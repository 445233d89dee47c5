import type {
  EnrolmentSubmission,
  NewEnrolmentSubmission,
  SubmissionDecision,
  SubmissionStatus,
} from '../../domain/enrolment.js';
import {
  photoKeysOf,
  SUBMISSION_COLUMNS,
  type SubmissionRow,
  submissionValues,
  toSubmission,
} from '../sqlite/repositories/enrolment-submission.repository.js';
import type { EnrolmentSubmissionRepository } from '../store.port.js';
import { changes, type PgRunner, rowOf, rowsOf } from './pg-runner.js';

/** PostgreSQL self-service enrolment submissions. */
export class PgEnrolmentSubmissionRepository implements EnrolmentSubmissionRepository {
  constructor(private readonly runner: PgRunner) {}

  async create(submission: NewEnrolmentSubmission): Promise<EnrolmentSubmission> {
    const row = await rowOf<SubmissionRow>(
      this.runner,
      `INSERT INTO enrolment_submissions (${SUBMISSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      submissionValues(submission),
    );
    if (!row) throw new Error('INSERT … RETURNING gave no row');
    return toSubmission(row);
  }

  async get(id: string): Promise<EnrolmentSubmission | undefined> {
    const row = await rowOf<SubmissionRow>(this.runner, 'SELECT * FROM enrolment_submissions WHERE id = $1', [
      id,
    ]);
    return row && toSubmission(row);
  }

  async getByInvitation(invitationId: string): Promise<EnrolmentSubmission | undefined> {
    const row = await rowOf<SubmissionRow>(
      this.runner,
      'SELECT * FROM enrolment_submissions WHERE invitation_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1',
      [invitationId],
    );
    return row && toSubmission(row);
  }

  async list(query: {
    statuses?: readonly SubmissionStatus[];
    limit: number;
    offset: number;
  }): Promise<EnrolmentSubmission[]> {
    const statuses = query.statuses ?? [];
    const rows = statuses.length
      ? await rowsOf<SubmissionRow>(
          this.runner,
          'SELECT * FROM enrolment_submissions WHERE status = ANY($1) ORDER BY created_at, id LIMIT $2 OFFSET $3',
          [[...statuses], query.limit, query.offset],
        )
      : await rowsOf<SubmissionRow>(
          this.runner,
          'SELECT * FROM enrolment_submissions ORDER BY created_at, id LIMIT $1 OFFSET $2',
          [query.limit, query.offset],
        );
    return rows.map(toSubmission);
  }

  async decide(id: string, d: SubmissionDecision): Promise<boolean> {
    return (
      (await changes(
        this.runner,
        `UPDATE enrolment_submissions SET status = $1, reviewer_id = $2, reason = $3, decided_at = $4,
           photo_keys = '[]'
         WHERE id = $5 AND status IN ('pending', 'held')`,
        [d.status, d.reviewerId, d.reason, d.decidedAt, id],
      )) === 1
    );
  }

  async listPhotoKeys(employeeId?: string): Promise<string[]> {
    const rows = employeeId
      ? await rowsOf<{ photo_keys: string }>(
          this.runner,
          `SELECT photo_keys FROM enrolment_submissions WHERE employee_id = $1 AND photo_keys <> '[]'`,
          [employeeId],
        )
      : await rowsOf<{ photo_keys: string }>(
          this.runner,
          `SELECT photo_keys FROM enrolment_submissions WHERE photo_keys <> '[]'`,
        );
    return photoKeysOf(rows);
  }
}
