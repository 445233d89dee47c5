import type { DataCipher } from '../../../crypto/data-cipher.js';
import type {
  FactorKind,
  FactorStatus,
  FactorSubject,
  NewSecondFactor,
  SecondFactor,
} from '../../../domain/second-factors.js';
import type { SecondFactorRepository } from '../../store.port.js';
import type { Sql, SqlRunner } from '../sql-runner.js';
import { now, rowById } from './sql-helpers.js';

/** A `second_factors` row as stored. */
interface SecondFactorRow {
  id: string;
  employee_id: string | null;
  user_id: string | null;
  kind: string;
  status: string;
  label: string | null;
  secret_enc: Buffer | null;
  secret_hash: string | null;
  credential_id: string | null;
  public_key: Buffer | null;
  sign_count: number;
  transports: string;
  multi_device: number;
  last_used_step: number | null;
  created_at: string;
  last_used_at: string | null;
}

/** The secret is bound to its factor id: a ciphertext copied onto another row does not decrypt. */
function factorAad(id: string): string {
  return `facegate:second-factor:${id}`;
}

function ownerColumn(subject: FactorSubject): 'employee_id' | 'user_id' {
  return subject.type === 'employee' ? 'employee_id' : 'user_id';
}

/** SQLite second factors; TOTP secrets are encrypted with the data cipher. */
export class SqliteSecondFactorRepository implements SecondFactorRepository {
  constructor(
    private readonly runner: SqlRunner,
    private readonly cipher: DataCipher,
  ) {}

  private decode(row: SecondFactorRow): SecondFactor {
    const subject: FactorSubject = row.employee_id
      ? { type: 'employee', id: row.employee_id }
      : { type: 'user', id: row.user_id ?? '' };
    const secret = row.secret_enc
      ? Buffer.from(this.cipher.decrypt(row.secret_enc, factorAad(row.id))).toString('utf8')
      : null;
    const passkey =
      row.credential_id && row.public_key
        ? {
            credentialId: row.credential_id,
            publicKey: new Uint8Array(row.public_key),
            counter: row.sign_count,
            transports: JSON.parse(row.transports) as string[],
            multiDevice: row.multi_device === 1,
          }
        : null;
    return {
      id: row.id,
      subject,
      kind: row.kind as FactorKind,
      status: row.status as FactorStatus,
      label: row.label,
      secret,
      secretHash: row.secret_hash,
      passkey,
      lastUsedStep: row.last_used_step,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
    };
  }

  async add(factor: NewSecondFactor): Promise<SecondFactor> {
    const secretEnc =
      factor.secret == null
        ? null
        : this.cipher.encrypt(Buffer.from(factor.secret, 'utf8'), factorAad(factor.id));
    const passkey = factor.passkey ?? null;
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO second_factors (id, employee_id, user_id, kind, status, label, secret_enc, secret_hash,
           credential_id, public_key, sign_count, transports, multi_device, last_used_step, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        factor.id,
        factor.subject.type === 'employee' ? factor.subject.id : null,
        factor.subject.type === 'user' ? factor.subject.id : null,
        factor.kind,
        factor.status,
        factor.label ?? null,
        secretEnc,
        factor.secretHash ?? null,
        passkey?.credentialId ?? null,
        passkey ? Buffer.from(passkey.publicKey) : null,
        passkey?.counter ?? 0,
        JSON.stringify(passkey?.transports ?? []),
        passkey?.multiDevice ? 1 : 0,
        factor.lastUsedStep ?? null,
        now(),
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
    const column = ownerColumn(subject);
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
    const column = ownerColumn(subject);
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
