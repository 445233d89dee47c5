import type { DataCipher } from '../../crypto/data-cipher.js';
import type {
  FactorKind,
  FactorStatus,
  FactorSubject,
  NewSecondFactor,
  SecondFactor,
} from '../../domain/second-factors.js';
import { now } from '../sqlite/repositories/sql-helpers.js';
import type { SecondFactorRepository } from '../store.port.js';
import { changes, type PgRunner, rowOf, rowsOf } from './pg-runner.js';

/** A `second_factors` row as PostgreSQL returns it. */
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

/** The secret is bound to its factor id (same as SQLite): a ciphertext copied onto another row does not decrypt. */
function factorAad(id: string): string {
  return `facegate:second-factor:${id}`;
}

function ownerColumn(subject: FactorSubject): 'employee_id' | 'user_id' {
  return subject.type === 'employee' ? 'employee_id' : 'user_id';
}

/** PostgreSQL second factors; TOTP secrets are encrypted with the data cipher. */
export class PgSecondFactorRepository implements SecondFactorRepository {
  constructor(
    private readonly runner: PgRunner,
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
        : Buffer.from(this.cipher.encrypt(Buffer.from(factor.secret, 'utf8'), factorAad(factor.id)));
    const passkey = factor.passkey ?? null;
    const row = await rowOf<SecondFactorRow>(
      this.runner,
      `INSERT INTO second_factors (id, employee_id, user_id, kind, status, label, secret_enc, secret_hash,
         credential_id, public_key, sign_count, transports, multi_device, last_used_step, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       RETURNING *`,
      [
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
      ],
    );
    if (!row) throw new Error('second factor insert returned no row');
    return this.decode(row);
  }

  async get(id: string): Promise<SecondFactor | undefined> {
    const row = await rowOf<SecondFactorRow>(this.runner, 'SELECT * FROM second_factors WHERE id = $1', [id]);
    return row && this.decode(row);
  }

  async listBySubject(subject: FactorSubject, kind?: FactorKind): Promise<SecondFactor[]> {
    const column = ownerColumn(subject);
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
    const column = ownerColumn(subject);
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
