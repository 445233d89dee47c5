import type { DataCipher } from '../../../crypto/data-cipher.js';
import type {
  FactorKind,
  FactorSubject,
  NewSecondFactor,
  SecondFactor,
} from '../../../domain/second-factors.js';
import {
  factorAad,
  factorOwnerColumn,
  SECOND_FACTOR_INSERT_COLUMNS,
  type SecondFactorRow,
  secondFactorValues,
  toSecondFactor,
} from '../../second-factor-codec.js';
import type { SecondFactorRepository } from '../../store.port.js';
import type { Sql, SqlRunner } from '../sql-runner.js';
import { now, rowById } from './sql-helpers.js';

/** SQLite second factors; TOTP secrets are encrypted with the data cipher. */
export class SqliteSecondFactorRepository implements SecondFactorRepository {
  constructor(
    private readonly runner: SqlRunner,
    private readonly cipher: DataCipher,
  ) {}

  private decode(row: SecondFactorRow): SecondFactor {
    return toSecondFactor(row, this.cipher);
  }

  async add(factor: NewSecondFactor): Promise<SecondFactor> {
    const values = secondFactorValues(factor, this.cipher, now());
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO second_factors (${SECOND_FACTOR_INSERT_COLUMNS}) VALUES (${values.map(() => '?').join(', ')})`,
        ...values,
      );
      return this.decode(rowById<SecondFactorRow>(sql, 'second_factors', factor.id));
    });
  }

  async get(id: string): Promise<SecondFactor | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<SecondFactorRow>('SELECT * FROM second_factors WHERE id = ?', id);
      return row && this.decode(row);
    });
  }

  async listBySubject(subject: FactorSubject, kind?: FactorKind): Promise<SecondFactor[]> {
    const column = factorOwnerColumn(subject);
    return this.runner.run((sql) => {
      const rows =
        kind === undefined
          ? sql.all<SecondFactorRow>(
              `SELECT * FROM second_factors WHERE ${column} = ? ORDER BY created_at, id`,
              subject.id,
            )
          : sql.all<SecondFactorRow>(
              `SELECT * FROM second_factors WHERE ${column} = ? AND kind = ? ORDER BY created_at, id`,
              subject.id,
              kind,
            );
      return rows.map((row) => this.decode(row));
    });
  }

  async findByCredentialId(credentialId: string): Promise<SecondFactor | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<SecondFactorRow>(
        'SELECT * FROM second_factors WHERE credential_id = ?',
        credentialId,
      );
      return row && this.decode(row);
    });
  }

  async activate(id: string, at: string): Promise<boolean> {
    return this.change(
      `UPDATE second_factors SET status = 'active', last_used_at = ? WHERE id = ? AND status = 'pending'`,
      at,
      id,
    );
  }

  async useTotpStep(id: string, step: number, at: string): Promise<boolean> {
    return this.change(
      `UPDATE second_factors SET last_used_step = ?, last_used_at = ?
       WHERE id = ? AND kind = 'totp' AND (last_used_step IS NULL OR last_used_step < ?)`,
      step,
      at,
      id,
      step,
    );
  }

  async useCounter(id: string, counter: number, at: string): Promise<boolean> {
    return this.change(
      `UPDATE second_factors SET sign_count = ?, last_used_at = ?
       WHERE id = ? AND kind = 'webauthn' AND (sign_count < ? OR (sign_count = 0 AND ? = 0))`,
      counter,
      at,
      id,
      counter,
      counter,
    );
  }

  async touch(id: string, at: string): Promise<void> {
    await this.change('UPDATE second_factors SET last_used_at = ? WHERE id = ?', at, id);
  }

  async delete(id: string): Promise<boolean> {
    return this.change('DELETE FROM second_factors WHERE id = ?', id);
  }

  async deleteBySubject(subject: FactorSubject, kinds?: readonly FactorKind[]): Promise<number> {
    const column = factorOwnerColumn(subject);
    return this.runner.run((sql) => {
      if (kinds === undefined) {
        return sql.run(`DELETE FROM second_factors WHERE ${column} = ?`, subject.id).changes;
      }
      let deleted = 0;
      for (const kind of kinds) {
        deleted += sql.run(
          `DELETE FROM second_factors WHERE ${column} = ? AND kind = ?`,
          subject.id,
          kind,
        ).changes;
      }
      return deleted;
    });
  }

  /** Re-encrypts TOTP secrets not under the current data key; returns how many were rewritten. */
  async reencrypt(): Promise<number> {
    return this.runner.run((sql) => {
      let rewritten = 0;
      const rows = sql.all<{ id: string; secret_enc: Buffer }>(
        'SELECT id, secret_enc FROM second_factors WHERE secret_enc IS NOT NULL',
      );
      for (const row of rows) {
        if (!this.cipher.needsRotation(row.secret_enc)) continue;
        const fresh = this.cipher.rotate(row.secret_enc, factorAad(row.id));
        sql.run('UPDATE second_factors SET secret_enc = ? WHERE id = ?', fresh, row.id);
        rewritten++;
      }
      return rewritten;
    });
  }

  private change(statement: string, ...params: unknown[]): Promise<boolean> {
    return this.runner.run((sql: Sql) => sql.run(statement, ...params).changes > 0);
  }
}
