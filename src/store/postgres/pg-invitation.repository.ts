import type { Invitation, NewInvitation } from '../../domain/enrolment.js';
import {
  INVITATION_COLUMNS,
  type InvitationRow,
  invitationValues,
  toInvitation,
} from '../sqlite/repositories/invitation.repository.js';
import type { InvitationRepository } from '../store.port.js';
import { changes, type PgRunner, rowOf, rowsOf } from './pg-runner.js';

/** PostgreSQL self-service enrolment invitations. */
export class PgInvitationRepository implements InvitationRepository {
  constructor(private readonly runner: PgRunner) {}

  async create(invitation: NewInvitation): Promise<Invitation> {
    const row = await rowOf<InvitationRow>(
      this.runner,
      `INSERT INTO invitations (${INVITATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      invitationValues(invitation),
    );
    if (!row) throw new Error('INSERT … RETURNING gave no row');
    return toInvitation(row);
  }

  async get(id: string): Promise<Invitation | undefined> {
    const row = await rowOf<InvitationRow>(this.runner, 'SELECT * FROM invitations WHERE id = $1', [id]);
    return row && toInvitation(row);
  }

  async getByTokenHash(tokenHash: string): Promise<Invitation | undefined> {
    const row = await rowOf<InvitationRow>(this.runner, 'SELECT * FROM invitations WHERE token_hash = $1', [
      tokenHash,
    ]);
    return row && toInvitation(row);
  }

  async list(query: { employeeId?: string; limit: number; offset: number }): Promise<Invitation[]> {
    const rows = query.employeeId
      ? await rowsOf<InvitationRow>(
          this.runner,
          'SELECT * FROM invitations WHERE employee_id = $1 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3',
          [query.employeeId, query.limit, query.offset],
        )
      : await rowsOf<InvitationRow>(
          this.runner,
          'SELECT * FROM invitations ORDER BY created_at DESC, id LIMIT $1 OFFSET $2',
          [query.limit, query.offset],
        );
    return rows.map(toInvitation);
  }

  async revoke(id: string, at: string): Promise<boolean> {
    return (
      (await changes(
        this.runner,
        'UPDATE invitations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL AND used_at IS NULL',
        [at, id],
      )) === 1
    );
  }

  async markUsed(id: string, at: string): Promise<boolean> {
    return (
      (await changes(
        this.runner,
        `UPDATE invitations SET used_at = $1
         WHERE id = $2 AND revoked_at IS NULL AND used_at IS NULL AND expires_at > $1`,
        [at, id],
      )) === 1
    );
  }

  async recordConsent(id: string, version: string, at: string): Promise<boolean> {
    return (
      (await changes(
        this.runner,
        'UPDATE invitations SET consent_version = $1, consented_at = $2 WHERE id = $3',
        [version, at, id],
      )) === 1
    );
  }
}
