import type { DataCipher } from '../crypto/data-cipher.js';
import type {
  FactorKind,
  FactorStatus,
  FactorSubject,
  NewSecondFactor,
  SecondFactor,
} from '../domain/second-factors.js';

// The `second_factors` row and its mapping, shared by the SQLite and PostgreSQL repositories: one schema, one
// encoding, so a row written by either store reads the same in the other.

/** A `second_factors` row as either driver returns it (bytes as Buffers). */
export interface SecondFactorRow {
  id: string;
  employee_id: string | null;
  user_id: string | null;
  kind: string;
  status: string;
  label: string | null;
  secret_enc: Uint8Array | null;
  secret_hash: string | null;
  credential_id: string | null;
  public_key: Uint8Array | null;
  sign_count: number;
  transports: string;
  multi_device: number;
  last_used_step: number | null;
  created_at: string;
  last_used_at: string | null;
}

/** The columns an insert writes, in the order of {@link secondFactorValues}. */
export const SECOND_FACTOR_INSERT_COLUMNS =
  'id, employee_id, user_id, kind, status, label, secret_enc, secret_hash, credential_id, public_key, sign_count, ' +
  'transports, multi_device, last_used_step, created_at';

/** The secret is bound to its factor id: a ciphertext copied onto another row does not decrypt. */
export function factorAad(id: string): string {
  return `facegate:second-factor:${id}`;
}

/** The column naming the factor's owner. */
export function factorOwnerColumn(subject: FactorSubject): 'employee_id' | 'user_id' {
  return subject.type === 'employee' ? 'employee_id' : 'user_id';
}

/** The values of a new factor's row, TOTP secret encrypted, in {@link SECOND_FACTOR_INSERT_COLUMNS} order. */
export function secondFactorValues(
  factor: NewSecondFactor,
  cipher: DataCipher,
  createdAt: string,
): unknown[] {
  const secretEnc =
    factor.secret == null
      ? null
      : Buffer.from(cipher.encrypt(Buffer.from(factor.secret, 'utf8'), factorAad(factor.id)));
  const passkey = factor.passkey ?? null;
  return [
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
    createdAt,
  ];
}

/** A stored row as a factor, its TOTP secret decrypted. */
export function toSecondFactor(row: SecondFactorRow, cipher: DataCipher): SecondFactor {
  const subject: FactorSubject = row.employee_id
    ? { type: 'employee', id: row.employee_id }
    : { type: 'user', id: row.user_id ?? '' };
  const secret = row.secret_enc
    ? Buffer.from(cipher.decrypt(row.secret_enc, factorAad(row.id))).toString('utf8')
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
