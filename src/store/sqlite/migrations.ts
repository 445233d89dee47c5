import type { Database } from 'better-sqlite3';
import type { PoolClient } from 'pg';
import type { DataCipher } from '../../crypto/data-cipher.js';
import { FacegateError } from '../../domain/errors.js';
import { sealSourceHash } from './source-hash.js';

/** What a data migration may need besides the connection. */
export interface MigrationContext {
  /** The data cipher, for steps that rewrite encrypted or keyed columns. */
  cipher?: DataCipher;
}

/**
 * One schema step, in both dialects side by side; applied once, in order, inside its own transaction: the DDL
 * first, then the data step. `sql` and `run` are the SQLite side (the embedded store), `postgres` and
 * `postgresRun` the same step for the PostgreSQL store: every step gives both, so the two schemas never drift apart.
 */
export interface Migration {
  version: number;
  name: string;
  /** SQLite DDL. */
  sql: string;
  /** A data step in code, for rows SQL alone cannot rewrite. */
  run?(db: Database, context: MigrationContext): void;
  /** PostgreSQL DDL of the same step (applied by `src/store/postgres/postgres-migrations.ts`). */
  postgres: string;
  /** PostgreSQL twin of `run`, on the client of the step's transaction. */
  postgresRun?(client: PoolClient, context: MigrationContext): Promise<void>;
}

/** A step whose DDL is the same in both dialects but for binary columns (`BLOB` in SQLite, `BYTEA` in PostgreSQL). */
function bothDialects(sql: string): Pick<Migration, 'sql' | 'postgres'> {
  return { sql, postgres: sql.replace(/\bBLOB\b/g, 'BYTEA') };
}

/**
 * Turns each plain `source_hash` (sha256 hex of the photo) into the keyed hash of that digest, and keeps the
 * digest encrypted beside it (`source-hash.ts`), so a database copy no longer tells which photos are enrolled.
 */
function keySourceHashes(db: Database, { cipher }: MigrationContext): void {
  const rows = db.prepare('SELECT id, employee_id, source_hash FROM face_templates').all() as Array<{
    id: string;
    employee_id: string;
    source_hash: string;
  }>;
  if (rows.length === 0) return;
  if (!cipher) throw new FacegateError('INTERNAL', 'Keying the photo hashes needs the data cipher');
  const update = db.prepare('UPDATE face_templates SET source_hash = ?, source_digest_enc = ? WHERE id = ?');
  for (const row of rows) {
    const sealed = sealSourceHash(cipher, row.id, row.employee_id, row.source_hash);
    update.run(sealed.hash, sealed.digestEnc, row.id);
  }
}

/** {@link keySourceHashes} on PostgreSQL. */
async function keySourceHashesPostgres(client: PoolClient, { cipher }: MigrationContext): Promise<void> {
  const { rows } = await client.query<{ id: string; employee_id: string; source_hash: string }>(
    'SELECT id, employee_id, source_hash FROM face_templates',
  );
  if (rows.length === 0) return;
  if (!cipher) throw new FacegateError('INTERNAL', 'Keying the photo hashes needs the data cipher');
  for (const row of rows) {
    const sealed = sealSourceHash(cipher, row.id, row.employee_id, row.source_hash);
    await client.query('UPDATE face_templates SET source_hash = $1, source_digest_enc = $2 WHERE id = $3', [
      sealed.hash,
      Buffer.from(sealed.digestEnc),
      row.id,
    ]);
  }
}

/**
 * Ordered schema history of both stores. Never edit an applied migration: append a new one, with its SQLite
 * `sql` and its PostgreSQL `postgres` twin.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE employees (
        id TEXT PRIMARY KEY,
        badge TEXT NOT NULL COLLATE NOCASE UNIQUE CHECK (length(badge) BETWEEN 1 AND 128),
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        email TEXT,
        department TEXT,
        role TEXT,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        face_login_locked INTEGER NOT NULL DEFAULT 0 CHECK (face_login_locked IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX employees_name ON employees (last_name COLLATE NOCASE, first_name COLLATE NOCASE);

      CREATE TABLE face_templates (
        id TEXT PRIMARY KEY,
        employee_id TEXT NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
        embedding_enc BLOB NOT NULL,
        dimension INTEGER NOT NULL CHECK (dimension > 0),
        engine TEXT NOT NULL,
        model TEXT NOT NULL,
        model_version TEXT NOT NULL,
        quality TEXT NOT NULL,
        source_hash TEXT NOT NULL,
        photo_key TEXT,
        photo_content_type TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX face_templates_employee ON face_templates (employee_id);
      CREATE INDEX face_templates_source_hash ON face_templates (source_hash);
      CREATE INDEX face_templates_photo_key ON face_templates (photo_key) WHERE photo_key IS NOT NULL;

      CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT,
        actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'api_key', 'cli', 'system')),
        actor_id TEXT,
        employee_id TEXT,
        score REAL,
        threshold REAL,
        engine TEXT,
        ip TEXT,
        duration_ms REAL,
        details TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX audit_events_at ON audit_events (at, seq);
      CREATE INDEX audit_events_employee ON audit_events (employee_id, at);
      CREATE INDEX audit_events_actor ON audit_events (actor_id, at);
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
      BEGIN
        SELECT RAISE(ABORT, 'audit_events is append-only');
      END;

      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL COLLATE NOCASE UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'enroller', 'auditor', 'kiosk')),
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        totp_secret_enc BLOB,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_login_at TEXT
      );

      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'enroller', 'auditor', 'kiosk')),
        created_by TEXT,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
      );

      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE INDEX sessions_expires ON sessions (expires_at);

      CREATE TABLE lockouts (
        subject TEXT PRIMARY KEY,
        consecutive_failures INTEGER NOT NULL,
        total_failures INTEGER NOT NULL,
        locked_until TEXT,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
    // Same tables for PostgreSQL. Text columns use the "C" collation and lower() (which then folds ASCII only),
    // so uniqueness, ordering and search behave exactly like SQLite's BINARY and NOCASE; timestamps stay ISO-8601
    // UTC text, compared as strings by both stores; flags stay 0/1 integers; ciphertexts are bytea.
    postgres: `
      CREATE TABLE employees (
        id TEXT COLLATE "C" PRIMARY KEY,
        badge TEXT COLLATE "C" NOT NULL CHECK (length(badge) BETWEEN 1 AND 128),
        first_name TEXT COLLATE "C" NOT NULL,
        last_name TEXT COLLATE "C" NOT NULL,
        email TEXT COLLATE "C",
        department TEXT COLLATE "C",
        role TEXT COLLATE "C",
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        face_login_locked SMALLINT NOT NULL DEFAULT 0 CHECK (face_login_locked IN (0, 1)),
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL
      );
      CREATE UNIQUE INDEX employees_badge ON employees (lower(badge));
      CREATE INDEX employees_name ON employees (lower(last_name), lower(first_name));

      CREATE TABLE face_templates (
        id TEXT COLLATE "C" PRIMARY KEY,
        employee_id TEXT COLLATE "C" NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
        embedding_enc BYTEA NOT NULL,
        dimension INTEGER NOT NULL CHECK (dimension > 0),
        engine TEXT NOT NULL,
        model TEXT NOT NULL,
        model_version TEXT NOT NULL,
        quality TEXT NOT NULL,
        source_hash TEXT COLLATE "C" NOT NULL,
        photo_key TEXT COLLATE "C",
        photo_content_type TEXT,
        created_at TEXT COLLATE "C" NOT NULL
      );
      CREATE INDEX face_templates_employee ON face_templates (employee_id);
      CREATE INDEX face_templates_source_hash ON face_templates (source_hash);
      CREATE INDEX face_templates_photo_key ON face_templates (photo_key) WHERE photo_key IS NOT NULL;

      CREATE TABLE audit_events (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT COLLATE "C" NOT NULL UNIQUE,
        at TEXT COLLATE "C" NOT NULL,
        action TEXT COLLATE "C" NOT NULL,
        outcome TEXT COLLATE "C" NOT NULL,
        reason TEXT,
        actor_type TEXT NOT NULL CHECK (actor_type IN ('user', 'api_key', 'cli', 'system')),
        actor_id TEXT COLLATE "C",
        employee_id TEXT COLLATE "C",
        score DOUBLE PRECISION,
        threshold DOUBLE PRECISION,
        engine TEXT,
        ip TEXT,
        duration_ms DOUBLE PRECISION,
        details TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX audit_events_at ON audit_events (at, seq);
      CREATE INDEX audit_events_employee ON audit_events (employee_id, at);
      CREATE INDEX audit_events_actor ON audit_events (actor_id, at);
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only';
      END
      $$;
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

      CREATE TABLE users (
        id TEXT COLLATE "C" PRIMARY KEY,
        username TEXT COLLATE "C" NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'enroller', 'auditor', 'kiosk')),
        disabled SMALLINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        totp_secret_enc BYTEA,
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL,
        last_login_at TEXT COLLATE "C"
      );
      CREATE UNIQUE INDEX users_username ON users (lower(username));

      CREATE TABLE api_keys (
        id TEXT COLLATE "C" PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT COLLATE "C" NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'enroller', 'auditor', 'kiosk')),
        created_by TEXT,
        created_at TEXT COLLATE "C" NOT NULL,
        last_used_at TEXT COLLATE "C",
        revoked_at TEXT COLLATE "C"
      );

      CREATE TABLE sessions (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        expires_at TEXT COLLATE "C" NOT NULL
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE INDEX sessions_expires ON sessions (expires_at);

      CREATE TABLE lockouts (
        subject TEXT COLLATE "C" PRIMARY KEY,
        consecutive_failures INTEGER NOT NULL,
        total_failures INTEGER NOT NULL,
        locked_until TEXT COLLATE "C",
        updated_at TEXT COLLATE "C" NOT NULL
      );

      CREATE TABLE settings (
        key TEXT COLLATE "C" PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'keyed photo source hashes',
    sql: 'ALTER TABLE face_templates ADD COLUMN source_digest_enc BLOB',
    run: keySourceHashes,
    postgres: 'ALTER TABLE face_templates ADD COLUMN source_digest_enc BYTEA',
    postgresRun: keySourceHashesPostgres,
  },
  {
    version: 3,
    name: 'second factors',
    // One table for employees and admin users alike (users.totp_secret_enc is no longer used). Exactly one owner
    // column is set, so deleting the employee or user deletes their factors by cascade.
    ...bothDialects(`
      CREATE TABLE second_factors (
        id TEXT PRIMARY KEY,
        employee_id TEXT REFERENCES employees (id) ON DELETE CASCADE,
        user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('totp', 'webauthn', 'pin', 'recovery')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'active')),
        label TEXT,
        secret_enc BLOB,
        secret_hash TEXT,
        credential_id TEXT UNIQUE,
        public_key BLOB,
        sign_count INTEGER NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
        transports TEXT NOT NULL DEFAULT '[]',
        multi_device INTEGER NOT NULL DEFAULT 0 CHECK (multi_device IN (0, 1)),
        last_used_step INTEGER,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        CHECK ((employee_id IS NULL) <> (user_id IS NULL)),
        CHECK ((kind = 'webauthn') = (credential_id IS NOT NULL AND public_key IS NOT NULL)),
        CHECK ((kind = 'totp') = (secret_enc IS NOT NULL)),
        CHECK ((kind IN ('pin', 'recovery')) = (secret_hash IS NOT NULL))
      );
      CREATE INDEX second_factors_employee ON second_factors (employee_id, kind) WHERE employee_id IS NOT NULL;
      CREATE INDEX second_factors_user ON second_factors (user_id, kind) WHERE user_id IS NOT NULL;
    `),
  },
  {
    version: 4,
    name: 'gallery change log',
    // The change log feeds the other nodes' in-memory galleries (src/gallery/feed). SQLite serves one node, whose
    // services update its gallery directly, so it keeps the table for the same schema but records nothing.
    sql: `
      CREATE TABLE gallery_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        employee_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX gallery_changes_at ON gallery_changes (at);
      CREATE TABLE gallery_change_horizon (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        trimmed_through INTEGER NOT NULL
      );
      INSERT INTO gallery_change_horizon (id, trimmed_through) VALUES (1, 0);
    `,
    // Triggers record every change that matters to a gallery in the writer's own transaction, whatever code path
    // wrote it. Writers take one advisory lock per schema before their first such row (statement triggers run
    // before any row lock), so sequence numbers are handed out in commit order and a reader that has seen seq n
    // has seen every change below it. NOTIFY is delivered at commit; the payload names the schema.
    postgres: `
      CREATE TABLE gallery_changes (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        employee_id TEXT COLLATE "C" NOT NULL,
        kind TEXT NOT NULL,
        at TEXT COLLATE "C" NOT NULL
      );
      CREATE INDEX gallery_changes_at ON gallery_changes (at);
      CREATE TABLE gallery_change_horizon (
        id SMALLINT PRIMARY KEY CHECK (id = 1),
        trimmed_through BIGINT NOT NULL
      );
      INSERT INTO gallery_change_horizon (id, trimmed_through) VALUES (1, 0);

      CREATE FUNCTION gallery_changes_lock() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(hashtext('facegate-gallery-changes'), hashtext(current_schema()));
        RETURN NULL;
      END
      $$;
      CREATE FUNCTION gallery_changes_record() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        subject TEXT;
        change TEXT;
      BEGIN
        IF TG_TABLE_NAME = 'employees' THEN
          IF TG_OP = 'DELETE' THEN subject := OLD.id; change := 'delete';
          ELSE subject := NEW.id; change := 'status';
          END IF;
        ELSIF TG_OP = 'INSERT' THEN subject := NEW.employee_id; change := 'enrol';
        ELSIF TG_OP = 'DELETE' THEN subject := OLD.employee_id; change := 'template-delete';
        ELSE subject := NEW.employee_id; change := 'template-upgrade';
        END IF;
        INSERT INTO gallery_changes (employee_id, kind, at)
          VALUES (subject, change, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));
        PERFORM pg_notify('facegate_gallery', current_schema());
        RETURN NULL;
      END
      $$;

      CREATE TRIGGER gallery_changes_lock_employees
        BEFORE UPDATE OF status, face_login_locked OR DELETE ON employees
        FOR EACH STATEMENT EXECUTE FUNCTION gallery_changes_lock();
      CREATE TRIGGER gallery_changes_lock_templates
        BEFORE INSERT OR UPDATE OF employee_id, model, model_version, dimension OR DELETE ON face_templates
        FOR EACH STATEMENT EXECUTE FUNCTION gallery_changes_lock();
      CREATE TRIGGER gallery_changes_employee_status
        AFTER UPDATE OF status, face_login_locked ON employees FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.face_login_locked IS DISTINCT FROM NEW.face_login_locked)
        EXECUTE FUNCTION gallery_changes_record();
      CREATE TRIGGER gallery_changes_employee_delete
        AFTER DELETE ON employees FOR EACH ROW EXECUTE FUNCTION gallery_changes_record();
      CREATE TRIGGER gallery_changes_templates
        AFTER INSERT OR UPDATE OF employee_id, model, model_version, dimension OR DELETE ON face_templates
        FOR EACH ROW EXECUTE FUNCTION gallery_changes_record();
    `,
  },
  {
    version: 5,
    name: 'kiosk pairing codes',
    ...bothDialects(`
      CREATE TABLE kiosk_pairings (
        code_hash TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        allow_photo_upload INTEGER NOT NULL DEFAULT 0,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX kiosk_pairings_expires ON kiosk_pairings (expires_at);
    `),
  },
  {
    version: 6,
    name: 'self-service enrolment',
    // Invitations keep only a hash of the link's token. A submission's photos are blob keys (encrypted blobs, like
    // enrolled photos); both go with the employee by cascade (the erasure service deletes the blobs first).
    ...bothDialects(`
      CREATE TABLE invitations (
        id TEXT PRIMARY KEY,
        employee_id TEXT NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT,
        used_at TEXT,
        consent_version TEXT,
        consented_at TEXT
      );
      CREATE INDEX invitations_employee ON invitations (employee_id, created_at);
      CREATE INDEX invitations_created ON invitations (created_at);

      CREATE TABLE enrolment_submissions (
        id TEXT PRIMARY KEY,
        invitation_id TEXT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
        employee_id TEXT NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('pending', 'held', 'approved', 'rejected')),
        checks TEXT NOT NULL DEFAULT '{}',
        consent_version TEXT NOT NULL,
        photo_keys TEXT NOT NULL DEFAULT '[]',
        reviewer_id TEXT,
        reason TEXT,
        created_at TEXT NOT NULL,
        decided_at TEXT
      );
      CREATE INDEX enrolment_submissions_status ON enrolment_submissions (status, created_at);
      CREATE INDEX enrolment_submissions_invitation ON enrolment_submissions (invitation_id, created_at);
      CREATE INDEX enrolment_submissions_employee ON enrolment_submissions (employee_id);
    `),
  },
  // Append steps here, each with `sql` (SQLite) and `postgres` (PostgreSQL). A step that also rewrites rows in
  // code gives both `run` and `postgresRun`.
];

/**
 * Brings the schema up to date: creates `schema_migrations`, then applies every missing migration in order,
 * each in its own IMMEDIATE transaction (re-checked inside it, so two processes opening the file together
 * never apply one twice). Returns the versions applied now.
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
  context: MigrationContext = {},
): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const isApplied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const apply = db.transaction(() => {
      if (isApplied.get(migration.version)) return false;
      db.exec(migration.sql);
      migration.run?.(db, context);
      record.run(migration.version, migration.name, new Date().toISOString());
      return true;
    });
    if (apply.immediate()) applied.push(migration.version);
  }
  return applied;
}
