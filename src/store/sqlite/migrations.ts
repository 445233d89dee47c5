import type { Database } from 'better-sqlite3';

/** One schema step; applied once, in order, inside its own transaction. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Ordered schema history. Never edit an applied migration: append a new one. */
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
  },
  {
    version: 2,
    name: 'kiosk pairing codes',
    sql: `
      CREATE TABLE kiosk_pairings (
        code_hash TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        allow_photo_upload INTEGER NOT NULL DEFAULT 0,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX kiosk_pairings_expires ON kiosk_pairings (expires_at);
    `,
  },
];

/**
 * Brings the schema up to date: creates `schema_migrations`, then applies every missing migration in order,
 * each in its own IMMEDIATE transaction (re-checked inside it, so two processes opening the file together
 * never apply one twice). Returns the versions applied now.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
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
      record.run(migration.version, migration.name, new Date().toISOString());
      return true;
    });
    if (apply.immediate()) applied.push(migration.version);
  }
  return applied;
}
