import type { Invitation, NewInvitation } from '../../../domain/enrolment.js';
import type { InvitationRepository } from '../../store.port.js';
import type { SqlRunner } from '../sql-runner.js';
import { rowById } from './sql-helpers.js';

/** An invitations row, as the SQLite and PostgreSQL stores read it. */
export interface InvitationRow {
  id: string;
  employee_id: string;
  token_hash: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  used_at: string | null;
  consent_version: string | null;
  consented_at: string | null;
}

/** The invitation of a row. */
export function toInvitation(row: InvitationRow): Invitation {
  return {
    id: row.id,
    employeeId: row.employee_id,
    tokenHash: row.token_hash,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    usedAt: row.used_at,
    consentVersion: row.consent_version,
    consentedAt: row.consented_at,
  };
}

/** The columns and values of a new invitation, in the order both stores insert them. */
export function invitationValues(i: NewInvitation): unknown[] {
  return [i.id, i.employeeId, i.tokenHash, i.createdBy, i.createdAt, i.expiresAt];
}

/** Column list of {@link invitationValues}. */
export const INVITATION_COLUMNS = 'id, employee_id, token_hash, created_by, created_at, expires_at';

/** SQLite self-service enrolment invitations. */
export class SqliteInvitationRepository implements InvitationRepository {
  constructor(private readonly runner: SqlRunner) {}

  async create(invitation: NewInvitation): Promise<Invitation> {
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO invitations (${INVITATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`,
        ...invitationValues(invitation),
      );
      return toInvitation(rowById<InvitationRow>(sql, 'invitations', invitation.id));
    });
  }

  async get(id: string): Promise<Invitation | undefined> {
    const row = await this.runner.run((sql) =>
      sql.get<InvitationRow>('SELECT * FROM invitations WHERE id = ?', id),
    );
    return row && toInvitation(row);
  }

  async getByTokenHash(tokenHash: string): Promise<Invitation | undefined> {
    const row = await this.runner.run((sql) =>
      sql.get<InvitationRow>('SELECT * FROM invitations WHERE token_hash = ?', tokenHash),
    );
    return row && toInvitation(row);
  }

  async list(query: { employeeId?: string; limit: number; offset: number }): Promise<Invitation[]> {
    const rows = await this.runner.run((sql) =>
      query.employeeId
        ? sql.all<InvitationRow>(
            'SELECT * FROM invitations WHERE employee_id = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?',
            query.employeeId,
            query.limit,
            query.offset,
          )
        : sql.all<InvitationRow>(
            'SELECT * FROM invitations ORDER BY created_at DESC, id LIMIT ? OFFSET ?',
            query.limit,
            query.offset,
          ),
    );
    return rows.map(toInvitation);
  }

  async revoke(id: string, at: string): Promise<boolean> {
    return this.runner.run(
      (sql) =>
        sql.run(
          'UPDATE invitations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND used_at IS NULL',
          at,
          id,
        ).changes === 1,
    );
  }

  async markUsed(id: string, at: string): Promise<boolean> {
    return this.runner.run(
      (sql) =>
        sql.run(
          `UPDATE invitations SET used_at = ?
           WHERE id = ? AND revoked_at IS NULL AND used_at IS NULL AND expires_at > ?`,
          at,
          id,
          at,
        ).changes === 1,
    );
  }

  async recordConsent(id: string, version: string, at: string): Promise<boolean> {
    return this.runner.run(
      (sql) =>
        sql.run('UPDATE invitations SET consent_version = ?, consented_at = ? WHERE id = ?', version, at, id)
          .changes === 1,
    );
  }
}
