import type { DataCipher } from '../../crypto/data-cipher.js';
import type {
  FactorKind,
  FactorSubject,
  NewSecondFactor,
  SecondFactor,
} from '../../domain/second-factors.js';
import {
  factorAad,
  factorOwnerColumn,
  SECOND_FACTOR_INSERT_COLUMNS,
  type SecondFactorRow,
  secondFactorValues,
  toSecondFactor,
} from '../second-factor-codec.js';
import { now } from '../sqlite/repositories/sql-helpers.js';
import type { SecondFactorRepository } from '../store.port.js';
import { changes, type PgRunner, rowOf, rowsOf } from './pg-runner.js';

/** PostgreSQL second factors; TOTP secrets are encrypted with the data cipher. */
export class PgSecondFactorRepository implements SecondFactorRepository {
  constructor(
    private readonly runner: PgRunner,
    private readonly cipher: DataCipher,
  ) {}

  private decode(row: SecondFactorRow): SecondFactor {
    return toSecondFactor(row, this.cipher);
  }

  async add(factor: NewSecondFactor): Promise<SecondFactor> {
    const values = secondFactorValues(factor, this.cipher, now());
    const row = await rowOf<SecondFactorRow>(
      this.runner,
      `INSERT INTO second_factors (${SECOND_FACTOR_INSERT_COLUMNS})
       VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING *`,
      values,
    );
    if (!row) throw new Error('second factor insert returned no row');
    return this.decode(row);
  }

  async get(id: string): Promise<SecondFactor | undefined> {
    const row = await rowOf<SecondFactorRow>(this.runner, 'SELECT * FROM second_factors WHERE id = $1', [id]);
    return row && this.decode(row);
  }

  async listBySubject(subject: FactorSubject, kind?: FactorKind): Promise<SecondFactor[]> {
    const column = factorOwnerColumn(subject);
    const rows =
      kind === undefined
        ? await rowsOf<SecondFactorRow>(
            this.runner,
            `SELECT * FROM second_factors WHERE ${column} = $1 ORDER BY created_at, id`,
            [subject.id],
          )
        : await rowsOf<SecondFactorRow>(
            this.runner,
            `SELECT * FROM second_factors WHERE ${column} = $1 AND kind = $2 ORDER BY created_at, id`,
            [subject.id, kind],
          );
    return rows.map((row) => this.decode(row));
  }

  async findByCredentialId(credentialId: string): Promise<SecondFactor | undefined> {
    const row = await rowOf<SecondFactorRow>(
      this.runner,
      'SELECT * FROM second_factors WHERE credential_id = $1',
      [credentialId],
    );
    return row && this.decode(row);
  }

  async activate(id: string, at: string): Promise<boolean> {
    return this.change(
      `UPDATE second_factors SET status = 'active', last_used_at = $1 WHERE id = $2 AND status = 'pending'`,
      [at, id],
    );
  }

  async useTotpStep(id: string, step: number, at: string): Promise<boolean> {
    // One conditional UPDATE: of two concurrent uses of one step, the second finds the row changed.
    return this.change(
      `UPDATE second_factors SET last_used_step = $1, last_used_at = $2
       WHERE id = $3 AND kind = 'totp' AND (last_used_step IS NULL OR last_used_step < $1)`,
      [step, at, id],
    );
  }

  async useCounter(id: string, counter: number, at: string): Promise<boolean> {
    return this.change(
      `UPDATE second_factors SET sign_count = $1, last_used_at = $2
       WHERE id = $3 AND kind = 'webauthn' AND (sign_count < $1 OR (sign_count = 0 AND $1 = 0))`,
      [counter, at, id],
    );
  }

  async touch(id: string, at: string): Promise<void> {
    await this.change('UPDATE second_factors SET last_used_at = $1 WHERE id = $2', [at, id]);
  }

  async delete(id: string): Promise<boolean> {
    return this.change('DELETE FROM second_factors WHERE id = $1', [id]);
  }

  async deleteBySubject(subject: FactorSubject, kinds?: readonly FactorKind[]): Promise<number> {
    const column = factorOwnerColumn(subject);
    if (kinds === undefined) {
      return changes(this.runner, `DELETE FROM second_factors WHERE ${column} = $1`, [subject.id]);
    }
    return changes(
      this.runner,
      `DELETE FROM second_factors WHERE ${column} = $1 AND kind = ANY($2::text[])`,
      [subject.id, [...kinds]],
    );
  }

  /** Re-encrypts TOTP secrets not under the current data key; returns how many were rewritten. */
  async reencrypt(): Promise<number> {
    let rewritten = 0;
    const rows = await rowsOf<{ id: string; secret_enc: Buffer }>(
      this.runner,
      'SELECT id, secret_enc FROM second_factors WHERE secret_enc IS NOT NULL',
    );
    for (const row of rows) {
      if (!this.cipher.needsRotation(row.secret_enc)) continue;
      const fresh = Buffer.from(this.cipher.rotate(row.secret_enc, factorAad(row.id)));
      rewritten += await changes(
        this.runner,
        'UPDATE second_factors SET secret_enc = $1 WHERE id = $2 AND secret_enc = $3',
        [fresh, row.id, row.secret_enc],
      );
    }
    return rewritten;
  }

  private async change(text: string, params: unknown[]): Promise<boolean> {
    return (await changes(this.runner, text, params)) > 0;
  }
}
