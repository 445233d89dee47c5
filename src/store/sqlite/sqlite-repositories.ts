import { randomUUID } from 'node:crypto';
import type { DataCipher } from '../../crypto/data-cipher.js';
import { FacegateError } from '../../domain/errors.js';
import type {
  ApiKey,
  AuditEvent,
  AuditQuery,
  Employee,
  EmployeePatch,
  EmployeeStatus,
  FaceTemplate,
  LockoutState,
  NewAuditEvent,
  NewEmployee,
  NewFaceTemplate,
  Page,
  Session,
  User,
} from '../../domain/models.js';
import type {
  ApiKeyRepository,
  AuditRepository,
  EmployeeFaceSummary,
  EmployeeRepository,
  LockoutRepository,
  SessionRepository,
  SettingsRepository,
  TemplateRepository,
  UserRepository,
} from '../store.port.js';
import type { SqlRunner } from './sql-runner.js';
import {
  type ApiKeyRow,
  type AuditRow,
  bytesToEmbedding,
  EMPLOYEE_COLUMNS,
  type EmployeeRow,
  embeddingToBytes,
  type LockoutRow,
  type SessionRow,
  type TemplateRow,
  toApiKey,
  toAuditEvent,
  toEmployee,
  toLockout,
  toSession,
  toTemplate,
  toUser,
  type UserRow,
} from './sqlite-mappers.js';

const now = (): string => new Date().toISOString();

/** Additional authenticated data binding a template's ciphertext to its row (id and owner). */
export function templateAad(templateId: string, employeeId: string): string {
  return `facegate:template:${templateId}:${employeeId}`;
}

function userTotpAad(userId: string): string {
  return `facegate:user-totp:${userId}`;
}

function notFound(what: string): FacegateError {
  return new FacegateError('NOT_FOUND', `${what} not found`);
}

function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}

function likePattern(token: string): string {
  return `%${token.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** SQLite employees. */
export class SqliteEmployeeRepository implements EmployeeRepository {
  constructor(private readonly runner: SqlRunner) {}

  async create(employee: NewEmployee): Promise<Employee> {
    const at = now();
    const id = employee.id ?? randomUUID();
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO employees (id, badge, first_name, last_name, email, department, role, status,
           face_login_locked, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`,
        id,
        employee.badge,
        employee.firstName,
        employee.lastName,
        employee.email ?? null,
        employee.department ?? null,
        employee.role ?? null,
        employee.status ?? 'active',
        at,
        at,
      );
      return toEmployee(sql.get<EmployeeRow>('SELECT * FROM employees WHERE id = ?', id)!);
    });
  }

  async update(id: string, patch: EmployeePatch): Promise<Employee> {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [field, column] of Object.entries(EMPLOYEE_COLUMNS)) {
      const value = patch[field as keyof EmployeePatch];
      if (value === undefined) continue;
      sets.push(`${column} = ?`);
      values.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
    }
    return this.runner.run((sql) => {
      if (sets.length > 0) {
        const result = sql.run(
          `UPDATE employees SET ${sets.join(', ')}, updated_at = ? WHERE id = ?`,
          ...values,
          now(),
          id,
        );
        if (result.changes === 0) throw notFound('Employee');
      }
      const row = sql.get<EmployeeRow>('SELECT * FROM employees WHERE id = ?', id);
      if (!row) throw notFound('Employee');
      return toEmployee(row);
    });
  }

  async get(id: string): Promise<Employee | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<EmployeeRow>('SELECT * FROM employees WHERE id = ?', id);
      return row && toEmployee(row);
    });
  }

  async getByBadge(badge: string): Promise<Employee | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<EmployeeRow>('SELECT * FROM employees WHERE badge = ?', badge);
      return row && toEmployee(row);
    });
  }

  /** Search matches every whitespace-separated token against badge, first/last name or email (case-insensitive). */
  async list(query: {
    search?: string;
    status?: EmployeeStatus;
    limit: number;
    offset: number;
  }): Promise<Page<Employee>> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    const tokens = (query.search ?? '').trim().slice(0, 200).split(/\s+/).filter(Boolean).slice(0, 8);
    for (const token of tokens) {
      where.push(
        `(badge LIKE ? ESCAPE '\\' OR first_name LIKE ? ESCAPE '\\' OR last_name LIKE ? ESCAPE '\\'
          OR email LIKE ? ESCAPE '\\')`,
      );
      const pattern = likePattern(token);
      params.push(pattern, pattern, pattern, pattern);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const limit = clampInt(query.limit, 50, 0, 10_000);
    const offset = clampInt(query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    return this.runner.run((sql) => {
      const total = sql.get<{ n: number }>(`SELECT count(*) AS n FROM employees ${clause}`, ...params)!.n;
      const rows = sql.all<EmployeeRow>(
        `SELECT * FROM employees ${clause}
         ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, badge, id LIMIT ? OFFSET ?`,
        ...params,
        limit,
        offset,
      );
      return { items: rows.map(toEmployee), total };
    });
  }

  async statuses(): Promise<Array<Pick<Employee, 'id' | 'status' | 'faceLoginLocked'>>> {
    return this.runner.run((sql) =>
      sql
        .all<Pick<EmployeeRow, 'id' | 'status' | 'face_login_locked'>>(
          'SELECT id, status, face_login_locked FROM employees',
        )
        .map((row) => ({
          id: row.id,
          status: row.status as EmployeeStatus,
          faceLoginLocked: row.face_login_locked === 1,
        })),
    );
  }

  async delete(id: string): Promise<boolean> {
    return this.runner.run((sql) => {
      const deleted = sql.run('DELETE FROM employees WHERE id = ?', id).changes > 0;
      if (deleted) this.runner.erased();
      return deleted;
    });
  }

  async count(): Promise<number> {
    return this.runner.run((sql) => sql.get<{ n: number }>('SELECT count(*) AS n FROM employees')!.n);
  }
}

/** SQLite face templates; embeddings are AES-GCM encrypted, bound to template id and owner. */
export class SqliteTemplateRepository implements TemplateRepository {
  constructor(
    private readonly runner: SqlRunner,
    private readonly cipher: DataCipher,
  ) {}

  private decode(row: TemplateRow): FaceTemplate {
    const plain = this.cipher.decrypt(row.embedding_enc, templateAad(row.id, row.employee_id));
    return toTemplate(row, bytesToEmbedding(plain));
  }

  async add(employeeId: string, template: NewFaceTemplate): Promise<FaceTemplate> {
    const embedding = template.embedding;
    if (!(embedding instanceof Float32Array) || embedding.length === 0) {
      throw new FacegateError('VALIDATION_FAILED', 'Template embedding must be a non-empty Float32Array');
    }
    if (!embedding.every(Number.isFinite)) {
      throw new FacegateError('VALIDATION_FAILED', 'Template embedding contains non-finite values');
    }
    const id = template.id ?? randomUUID();
    const at = now();
    const encrypted = this.cipher.encrypt(embeddingToBytes(embedding), templateAad(id, employeeId));
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO face_templates (id, employee_id, embedding_enc, dimension, engine, model, model_version,
           quality, source_hash, photo_key, photo_content_type, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        employeeId,
        encrypted,
        embedding.length,
        template.engine,
        template.model,
        template.modelVersion,
        JSON.stringify(template.quality),
        template.sourceHash,
        template.photoKey,
        template.photoContentType,
        at,
      );
      return {
        id,
        employeeId,
        embedding: Float32Array.from(embedding),
        engine: template.engine,
        model: template.model,
        modelVersion: template.modelVersion,
        quality: { ...template.quality },
        sourceHash: template.sourceHash,
        photoKey: template.photoKey,
        photoContentType: template.photoContentType,
        createdAt: at,
      };
    });
  }

  async listByEmployee(employeeId: string): Promise<FaceTemplate[]> {
    return this.runner.run((sql) =>
      sql
        .all<TemplateRow>(
          'SELECT * FROM face_templates WHERE employee_id = ? ORDER BY created_at, id',
          employeeId,
        )
        .map((row) => this.decode(row)),
    );
  }

  async *iterateAll(batchSize = 1000): AsyncIterable<FaceTemplate[]> {
    const size = clampInt(batchSize, 1000, 1, 100_000);
    let after = 0;
    for (;;) {
      const batch = await this.runner.run((sql) => {
        const rows = sql.all<TemplateRow & { rid: number }>(
          'SELECT rowid AS rid, * FROM face_templates WHERE rowid > ? ORDER BY rowid LIMIT ?',
          after,
          size,
        );
        const last = rows.at(-1);
        if (last) after = last.rid;
        return rows.map((row) => this.decode(row));
      });
      if (batch.length === 0) return;
      yield batch;
      if (batch.length < size) return;
    }
  }

  async findBySourceHash(sourceHash: string): Promise<FaceTemplate | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<TemplateRow>(
        'SELECT * FROM face_templates WHERE source_hash = ? ORDER BY created_at, id LIMIT 1',
        sourceHash,
      );
      return row && this.decode(row);
    });
  }

  /** One grouped query over the employee index; employees without templates are absent from the map. */
  async faceSummaries(employeeIds: readonly string[]): Promise<Map<string, EmployeeFaceSummary>> {
    const ids = [...new Set(employeeIds)];
    const summaries = new Map<string, EmployeeFaceSummary>();
    // Chunks stay far below SQLite's bound-parameter limit.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.runner.run((sql) =>
        sql.all<{ employee_id: string; n: number; photo: string | null }>(
          `SELECT t.employee_id, count(*) AS n,
             (SELECT p.id FROM face_templates p WHERE p.employee_id = t.employee_id AND p.photo_key IS NOT NULL
              ORDER BY p.created_at, p.id LIMIT 1) AS photo
           FROM face_templates t
           WHERE t.employee_id IN (${chunk.map(() => '?').join(', ')}) GROUP BY t.employee_id`,
          ...chunk,
        ),
      );
      for (const row of rows) {
        summaries.set(row.employee_id, { templateCount: row.n, firstPhotoTemplateId: row.photo });
      }
    }
    return summaries;
  }

  async get(id: string): Promise<FaceTemplate | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<TemplateRow>('SELECT * FROM face_templates WHERE id = ?', id);
      return row && this.decode(row);
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.runner.run((sql) => sql.run('DELETE FROM face_templates WHERE id = ?', id).changes > 0);
  }

  async listPhotoKeys(): Promise<string[]> {
    return this.runner.run((sql) =>
      sql
        .all<{ photo_key: string }>(
          'SELECT DISTINCT photo_key FROM face_templates WHERE photo_key IS NOT NULL ORDER BY photo_key',
        )
        .map((r) => r.photo_key),
    );
  }

  async count(): Promise<number> {
    return this.runner.run((sql) => sql.get<{ n: number }>('SELECT count(*) AS n FROM face_templates')!.n);
  }

  /** Re-encrypts every template not yet under the current data key; returns how many were rewritten. */
  async reencrypt(batchSize = 500): Promise<number> {
    let rewritten = 0;
    let after = 0;
    for (;;) {
      const done = await this.runner.run((sql) => {
        const rows = sql.all<{ rid: number; id: string; employee_id: string; embedding_enc: Buffer }>(
          'SELECT rowid AS rid, id, employee_id, embedding_enc FROM face_templates WHERE rowid > ? ORDER BY rowid LIMIT ?',
          after,
          batchSize,
        );
        for (const row of rows) {
          after = row.rid;
          if (!this.cipher.needsRotation(row.embedding_enc)) continue;
          const fresh = this.cipher.rotate(row.embedding_enc, templateAad(row.id, row.employee_id));
          sql.run('UPDATE face_templates SET embedding_enc = ? WHERE id = ?', fresh, row.id);
          rewritten++;
        }
        return rows.length < batchSize;
      });
      if (done) return rewritten;
    }
  }
}

interface AuditCursor {
  at: string;
  seq: number;
}

function encodeCursor(cursor: AuditCursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.seq])).toString('base64url');
}

function decodeCursor(cursor: string): AuditCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      Number.isSafeInteger(value[1])
    ) {
      return { at: value[0], seq: value[1] as number };
    }
  } catch {
    // fall through to the error below
  }
  throw new FacegateError('VALIDATION_FAILED', 'Invalid audit cursor');
}

/** Serialises audit details, refusing binary values (images, embeddings) outright. */
function auditDetailsJson(details: Record<string, unknown> | undefined): string {
  return JSON.stringify(details ?? {}, (_key, value: unknown) => {
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      throw new FacegateError('INTERNAL', 'Audit details must not contain binary data');
    }
    return value;
  });
}

/** SQLite append-only audit log; a trigger refuses UPDATE, only retention deletes. */
export class SqliteAuditRepository implements AuditRepository {
  constructor(private readonly runner: SqlRunner) {}

  async append(event: NewAuditEvent): Promise<AuditEvent> {
    const id = randomUUID();
    const at = event.at ?? now();
    const details = auditDetailsJson(event.details);
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO audit_events (id, at, action, outcome, reason, actor_type, actor_id, employee_id, score,
           threshold, engine, ip, duration_ms, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id,
        at,
        event.action,
        event.outcome,
        event.reason ?? null,
        event.actorType,
        event.actorId ?? null,
        event.employeeId ?? null,
        event.score ?? null,
        event.threshold ?? null,
        event.engine ?? null,
        event.ip ?? null,
        event.durationMs ?? null,
        details,
      );
      return toAuditEvent(sql.get<AuditRow>('SELECT * FROM audit_events WHERE id = ?', id)!);
    });
  }

  /** Newest first; `from` and `to` are inclusive ISO timestamps; limit defaults to 50 (max 1000). */
  async query(query: AuditQuery): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const filters: Array<[string, string | undefined]> = [
      ['at >= ?', query.from],
      ['at <= ?', query.to],
      ['employee_id = ?', query.employeeId],
      ['actor_id = ?', query.actorId],
      ['action = ?', query.action],
      ['outcome = ?', query.outcome],
    ];
    for (const [clause, value] of filters) {
      if (value === undefined) continue;
      where.push(clause);
      params.push(value);
    }
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      where.push('(at < ? OR (at = ? AND seq < ?))');
      params.push(cursor.at, cursor.at, cursor.seq);
    }
    const limit = clampInt(query.limit, 50, 1, 1000);
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    return this.runner.run((sql) => {
      const rows = sql.all<AuditRow>(
        `SELECT * FROM audit_events ${clause} ORDER BY at DESC, seq DESC LIMIT ?`,
        ...params,
        limit + 1,
      );
      const more = rows.length > limit;
      const page = more ? rows.slice(0, limit) : rows;
      const last = page.at(-1);
      return {
        items: page.map(toAuditEvent),
        nextCursor: more && last ? encodeCursor({ at: last.at, seq: last.seq }) : null,
      };
    });
  }

  async deleteOlderThan(before: string): Promise<number> {
    return this.runner.run((sql) => sql.run('DELETE FROM audit_events WHERE at < ?', before).changes);
  }
}

/** SQLite admin users; the TOTP secret is encrypted with the data cipher. */
export class SqliteUserRepository implements UserRepository {
  constructor(
    private readonly runner: SqlRunner,
    private readonly cipher: DataCipher,
  ) {}

  private decode(row: UserRow): User {
    const secret = row.totp_secret_enc
      ? Buffer.from(this.cipher.decrypt(row.totp_secret_enc, userTotpAad(row.id))).toString('utf8')
      : null;
    return toUser(row, secret);
  }

  private encryptSecret(id: string, secret: string | null): Uint8Array | null {
    return secret === null ? null : this.cipher.encrypt(Buffer.from(secret, 'utf8'), userTotpAad(id));
  }

  async create(user: Omit<User, 'createdAt' | 'updatedAt' | 'lastLoginAt'>): Promise<User> {
    const at = now();
    const secret = this.encryptSecret(user.id, user.totpSecret);
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO users (id, username, password_hash, role, disabled, totp_secret_enc, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        user.id,
        user.username,
        user.passwordHash,
        user.role,
        user.disabled ? 1 : 0,
        secret,
        at,
        at,
      );
      return this.decode(sql.get<UserRow>('SELECT * FROM users WHERE id = ?', user.id)!);
    });
  }

  async get(id: string): Promise<User | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<UserRow>('SELECT * FROM users WHERE id = ?', id);
      return row && this.decode(row);
    });
  }

  async getByUsername(username: string): Promise<User | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<UserRow>('SELECT * FROM users WHERE username = ?', username);
      return row && this.decode(row);
    });
  }

  async list(): Promise<User[]> {
    return this.runner.run((sql) =>
      sql.all<UserRow>('SELECT * FROM users ORDER BY username COLLATE NOCASE').map((row) => this.decode(row)),
    );
  }

  async update(
    id: string,
    patch: Partial<Pick<User, 'passwordHash' | 'role' | 'disabled' | 'totpSecret' | 'lastLoginAt'>>,
  ): Promise<User> {
    const sets: string[] = [];
    const values: unknown[] = [];
    const add = (column: string, value: unknown): void => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    if (patch.passwordHash !== undefined) add('password_hash', patch.passwordHash);
    if (patch.role !== undefined) add('role', patch.role);
    if (patch.disabled !== undefined) add('disabled', patch.disabled ? 1 : 0);
    if (patch.totpSecret !== undefined) add('totp_secret_enc', this.encryptSecret(id, patch.totpSecret));
    if (patch.lastLoginAt !== undefined) add('last_login_at', patch.lastLoginAt);
    return this.runner.run((sql) => {
      if (sets.length > 0) {
        const result = sql.run(
          `UPDATE users SET ${sets.join(', ')}, updated_at = ? WHERE id = ?`,
          ...values,
          now(),
          id,
        );
        if (result.changes === 0) throw notFound('User');
      }
      const row = sql.get<UserRow>('SELECT * FROM users WHERE id = ?', id);
      if (!row) throw notFound('User');
      return this.decode(row);
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.runner.run((sql) => sql.run('DELETE FROM users WHERE id = ?', id).changes > 0);
  }

  /** Re-encrypts TOTP secrets not under the current data key; returns how many were rewritten. */
  async reencrypt(): Promise<number> {
    return this.runner.run((sql) => {
      let rewritten = 0;
      const rows = sql.all<{ id: string; totp_secret_enc: Buffer }>(
        'SELECT id, totp_secret_enc FROM users WHERE totp_secret_enc IS NOT NULL',
      );
      for (const row of rows) {
        if (!this.cipher.needsRotation(row.totp_secret_enc)) continue;
        const fresh = this.cipher.rotate(row.totp_secret_enc, userTotpAad(row.id));
        sql.run('UPDATE users SET totp_secret_enc = ? WHERE id = ?', fresh, row.id);
        rewritten++;
      }
      return rewritten;
    });
  }

  async count(): Promise<number> {
    return this.runner.run((sql) => sql.get<{ n: number }>('SELECT count(*) AS n FROM users')!.n);
  }
}

/** SQLite API keys (hashed secrets only). */
export class SqliteApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly runner: SqlRunner) {}

  async create(key: Omit<ApiKey, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKey> {
    const at = now();
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO api_keys (id, name, prefix, secret_hash, role, created_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        key.id,
        key.name,
        key.prefix,
        key.secretHash,
        key.role,
        key.createdBy,
        at,
      );
      return toApiKey(sql.get<ApiKeyRow>('SELECT * FROM api_keys WHERE id = ?', key.id)!);
    });
  }

  async get(id: string): Promise<ApiKey | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<ApiKeyRow>('SELECT * FROM api_keys WHERE id = ?', id);
      return row && toApiKey(row);
    });
  }

  async getByPrefix(prefix: string): Promise<ApiKey | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<ApiKeyRow>('SELECT * FROM api_keys WHERE prefix = ?', prefix);
      return row && toApiKey(row);
    });
  }

  async list(): Promise<ApiKey[]> {
    return this.runner.run((sql) =>
      sql.all<ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at DESC, id').map(toApiKey),
    );
  }

  async touch(id: string, at: string): Promise<void> {
    await this.runner.run((sql) => sql.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', at, id));
  }

  /** Returns false when the key is absent or already revoked. */
  async revoke(id: string, at: string): Promise<boolean> {
    return this.runner.run(
      (sql) =>
        sql.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', at, id).changes > 0,
    );
  }
}

/** SQLite sessions (ids are token hashes); deleted with their user. */
export class SqliteSessionRepository implements SessionRepository {
  constructor(private readonly runner: SqlRunner) {}

  async create(session: Session): Promise<Session> {
    return this.runner.run((sql) => {
      sql.run(
        'INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
        session.id,
        session.userId,
        session.csrfToken,
        session.createdAt,
        session.expiresAt,
      );
      return { ...session };
    });
  }

  async get(id: string): Promise<Session | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<SessionRow>('SELECT * FROM sessions WHERE id = ?', id);
      return row && toSession(row);
    });
  }

  async delete(id: string): Promise<void> {
    await this.runner.run((sql) => sql.run('DELETE FROM sessions WHERE id = ?', id));
  }

  async deleteForUser(userId: string): Promise<void> {
    await this.runner.run((sql) => sql.run('DELETE FROM sessions WHERE user_id = ?', userId));
  }

  /** Deletes sessions whose `expiresAt` is at or before `now`. */
  async deleteExpired(at: string): Promise<number> {
    return this.runner.run((sql) => sql.run('DELETE FROM sessions WHERE expires_at <= ?', at).changes);
  }
}

/** SQLite lockout counters. */
export class SqliteLockoutRepository implements LockoutRepository {
  constructor(private readonly runner: SqlRunner) {}

  async get(subject: string): Promise<LockoutState | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<LockoutRow>('SELECT * FROM lockouts WHERE subject = ?', subject);
      return row && toLockout(row);
    });
  }

  async put(state: LockoutState): Promise<void> {
    await this.runner.run((sql) =>
      sql.run(
        `INSERT INTO lockouts (subject, consecutive_failures, total_failures, locked_until, updated_at)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (subject) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
           total_failures = excluded.total_failures, locked_until = excluded.locked_until,
           updated_at = excluded.updated_at`,
        state.subject,
        state.consecutiveFailures,
        state.totalFailures,
        state.lockedUntil,
        state.updatedAt,
      ),
    );
  }

  async clear(subject: string): Promise<void> {
    await this.runner.run((sql) => sql.run('DELETE FROM lockouts WHERE subject = ?', subject));
  }

  async list(): Promise<LockoutState[]> {
    return this.runner.run((sql) =>
      sql.all<LockoutRow>('SELECT * FROM lockouts ORDER BY subject').map(toLockout),
    );
  }
}

/** SQLite JSON settings; setting `undefined` removes the key. */
export class SqliteSettingsRepository implements SettingsRepository {
  constructor(private readonly runner: SqlRunner) {}

  async get<T>(key: string): Promise<T | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', key);
      return row === undefined ? undefined : (JSON.parse(row.value) as T);
    });
  }

  async set<T>(key: string, value: T): Promise<void> {
    const json = value === undefined ? undefined : JSON.stringify(value);
    await this.runner.run((sql) => {
      if (json === undefined) sql.run('DELETE FROM settings WHERE key = ?', key);
      else
        sql.run(
          `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
          key,
          json,
          now(),
        );
    });
  }

  async all(): Promise<Record<string, unknown>> {
    return this.runner.run((sql) => {
      const out: Record<string, unknown> = {};
      for (const row of sql.all<{ key: string; value: string }>(
        'SELECT key, value FROM settings ORDER BY key',
      )) {
        out[row.key] = JSON.parse(row.value);
      }
      return out;
    });
  }
}
