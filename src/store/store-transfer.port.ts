/**
 * Moving a whole store to another one (`facegate export` / `facegate import`): every table's rows exactly as
 * stored, ciphertexts included, in one canonical form that both dialects read and write. It is the store's own
 * view of its tables (never the database file), so an export reads a running store of any supported kind.
 */

/** How a column's values travel: text, a whole number, a float, or bytes (ciphertexts, public keys). */
export type TransferColumnType = 'text' | 'int' | 'real' | 'bytes';

/** A value of a transferred row. */
export type TransferValue = string | number | Uint8Array | null;

/** One row: the values of its table's columns, in {@link TransferTable.columns} order. */
export type TransferRow = TransferValue[];

/** A table that moves with the data, with the columns of the current schema. */
export interface TransferTable {
  name: string;
  /** Primary-key column: rows are read in its order (bytewise for text), which fixes the content hash. */
  key: string;
  columns: ReadonlyArray<readonly [name: string, type: TransferColumnType]>;
  /**
   * The text column that names photo objects, when the table has one: one key (`key`), or a JSON array of keys
   * (`list`). An export copies exactly the objects its rows name.
   */
  photos?: { column: string; form: 'key' | 'list' };
}

const text = (name: string) => [name, 'text'] as const;
const int = (name: string) => [name, 'int'] as const;
const real = (name: string) => [name, 'real'] as const;
const bytes = (name: string) => [name, 'bytes'] as const;

/**
 * Every table of schema version 6 that holds data, parents before children. Left out: `schema_migrations` (the
 * target migrates itself) and the gallery change log (a node's feed position, rebuilt on the target).
 * A migration that adds a column or a table must add it here too (a medium test compares this with the schema).
 */
export const TRANSFER_TABLES: readonly TransferTable[] = [
  {
    name: 'employees',
    key: 'id',
    columns: [
      text('id'),
      text('badge'),
      text('first_name'),
      text('last_name'),
      text('email'),
      text('department'),
      text('role'),
      text('status'),
      int('face_login_locked'),
      text('created_at'),
      text('updated_at'),
    ],
  },
  {
    name: 'face_templates',
    key: 'id',
    columns: [
      text('id'),
      text('employee_id'),
      bytes('embedding_enc'),
      int('dimension'),
      text('engine'),
      text('model'),
      text('model_version'),
      text('quality'),
      text('source_hash'),
      text('photo_key'),
      text('photo_content_type'),
      text('created_at'),
      bytes('source_digest_enc'),
    ],
    photos: { column: 'photo_key', form: 'key' },
  },
  {
    name: 'users',
    key: 'id',
    columns: [
      text('id'),
      text('username'),
      text('password_hash'),
      text('role'),
      int('disabled'),
      bytes('totp_secret_enc'),
      text('created_at'),
      text('updated_at'),
      text('last_login_at'),
    ],
  },
  {
    name: 'api_keys',
    key: 'id',
    columns: [
      text('id'),
      text('name'),
      text('prefix'),
      text('secret_hash'),
      text('role'),
      text('created_by'),
      text('created_at'),
      text('last_used_at'),
      text('revoked_at'),
    ],
  },
  {
    name: 'sessions',
    key: 'id',
    columns: [text('id'), text('user_id'), text('csrf_token'), text('created_at'), text('expires_at')],
  },
  {
    name: 'second_factors',
    key: 'id',
    columns: [
      text('id'),
      text('employee_id'),
      text('user_id'),
      text('kind'),
      text('status'),
      text('label'),
      bytes('secret_enc'),
      text('secret_hash'),
      text('credential_id'),
      bytes('public_key'),
      int('sign_count'),
      text('transports'),
      int('multi_device'),
      int('last_used_step'),
      text('created_at'),
      text('last_used_at'),
    ],
  },
  {
    name: 'audit_events',
    key: 'seq',
    columns: [
      int('seq'),
      text('id'),
      text('at'),
      text('action'),
      text('outcome'),
      text('reason'),
      text('actor_type'),
      text('actor_id'),
      text('employee_id'),
      real('score'),
      real('threshold'),
      text('engine'),
      text('ip'),
      real('duration_ms'),
      text('details'),
    ],
  },
  {
    name: 'lockouts',
    key: 'subject',
    columns: [
      text('subject'),
      int('consecutive_failures'),
      int('total_failures'),
      text('locked_until'),
      text('updated_at'),
    ],
  },
  {
    name: 'settings',
    key: 'key',
    columns: [text('key'), text('value'), text('updated_at')],
  },
  {
    name: 'kiosk_pairings',
    key: 'code_hash',
    columns: [
      text('code_hash'),
      text('name'),
      int('allow_photo_upload'),
      text('created_by'),
      text('created_at'),
      text('expires_at'),
    ],
  },
  {
    name: 'invitations',
    key: 'id',
    columns: [
      text('id'),
      text('employee_id'),
      text('token_hash'),
      text('created_by'),
      text('created_at'),
      text('expires_at'),
      text('revoked_at'),
      text('used_at'),
      text('consent_version'),
      text('consented_at'),
    ],
  },
  {
    name: 'enrolment_submissions',
    key: 'id',
    columns: [
      text('id'),
      text('invitation_id'),
      text('employee_id'),
      text('status'),
      text('checks'),
      text('consent_version'),
      text('photo_keys'),
      text('reviewer_id'),
      text('reason'),
      text('created_at'),
      text('decided_at'),
    ],
    photos: { column: 'photo_keys', form: 'list' },
  },
];

/** Reads a store's tables as stored. */
export interface TransferReader {
  /** The schema version the store is at. */
  schemaVersion(): Promise<number>;
  /** How many rows the table holds. */
  countRows(table: TransferTable): Promise<number>;
  /** The table's rows in key order (bytewise for text keys), in batches of at most `batchSize`. */
  readRows(table: TransferTable, batchSize: number): AsyncIterable<TransferRow[]>;
}

/**
 * A store's tables seen whole, for moving them to another store. Rows are read and written as stored: encrypted
 * columns stay the ciphertexts they are (so the target needs the same data keys), keys and sequence numbers stay.
 * Its own reads are live: each statement sees the latest commits; {@link StoreTransfer.snapshot} reads one moment.
 */
export interface StoreTransfer extends TransferReader {
  /**
   * Runs `fn` with a reader that sees every table as of one moment (one read-only transaction), whatever is
   * written meanwhile, so rows read from two tables agree. The store's other calls are not held up. The reader
   * refuses use after `fn` settles; keep `fn` short, since the store keeps that moment's data until it ends.
   */
  snapshot<T>(fn: (reader: TransferReader) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one transaction of the store: the rows it writes commit together, or none does when it throws.
   * After the writes, sequences (audit numbers) continue after the highest number written.
   */
  load(
    fn: (write: (table: TransferTable, rows: readonly TransferRow[]) => Promise<void>) => Promise<void>,
  ): Promise<void>;
}
