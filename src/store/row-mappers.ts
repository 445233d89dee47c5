import type { DataCipher } from '../crypto/data-cipher.js';
import type { ActorType, Role } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type {
  ApiKey,
  AuditEvent,
  Employee,
  EmployeeStatus,
  FaceTemplate,
  LockoutState,
  Session,
  TemplateQuality,
  User,
} from '../domain/models.js';
import { at } from '../util/checked-access.js';

// Rows as both SQL stores hold them (one schema, SQLite and PostgreSQL alike) and their mapping to domain records,
// shared by the repositories of both dialects.

/** Row shapes as stored (snake_case); only the mappers below convert them to domain records. */
export interface EmployeeRow {
  id: string;
  badge: string;
  first_name: string;
  last_name: string;
  email: string | null;
  department: string | null;
  role: string | null;
  status: string;
  face_login_locked: number;
  created_at: string;
  updated_at: string;
}

export interface TemplateRow {
  id: string;
  employee_id: string;
  embedding_enc: Buffer;
  dimension: number;
  engine: string;
  model: string;
  model_version: string;
  quality: string;
  /** Keyed hash of the photo digest (see `source-hash.ts`). */
  source_hash: string;
  /** The photo digest, encrypted; null only before migration 2. */
  source_digest_enc: Buffer | null;
  photo_key: string | null;
  photo_content_type: string | null;
  created_at: string;
}

export interface AuditRow {
  seq: number;
  id: string;
  at: string;
  action: string;
  outcome: string;
  reason: string | null;
  actor_type: string;
  actor_id: string | null;
  employee_id: string | null;
  score: number | null;
  threshold: number | null;
  engine: string | null;
  ip: string | null;
  duration_ms: number | null;
  details: string;
}

export interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  disabled: number;
  totp_secret_enc: Buffer | null;
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  secret_hash: string;
  role: string;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SessionRow {
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface LockoutRow {
  subject: string;
  consecutive_failures: number;
  total_failures: number;
  locked_until: string | null;
  updated_at: string;
}

/** Maps an employees row to an {@link Employee}. */
export function toEmployee(row: EmployeeRow): Employee {
  return {
    id: row.id,
    badge: row.badge,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    department: row.department,
    role: row.role,
    status: row.status as EmployeeStatus,
    faceLoginLocked: row.face_login_locked === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Column of each mutable employee field. */
export const EMPLOYEE_COLUMNS = {
  badge: 'badge',
  firstName: 'first_name',
  lastName: 'last_name',
  email: 'email',
  department: 'department',
  role: 'role',
  status: 'status',
  faceLoginLocked: 'face_login_locked',
} as const;

/** Maps a face_templates row to a {@link FaceTemplate}, given its decrypted embedding and photo digest. */
export function toTemplate(row: TemplateRow, embedding: Float32Array, sourceHash: string): FaceTemplate {
  return {
    id: row.id,
    employeeId: row.employee_id,
    embedding,
    engine: row.engine,
    model: row.model,
    modelVersion: row.model_version,
    quality: JSON.parse(row.quality) as TemplateQuality,
    sourceHash,
    photoKey: row.photo_key,
    photoContentType: row.photo_content_type,
    createdAt: row.created_at,
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Little-endian float32 bytes of an embedding (the plaintext that gets encrypted). */
export function embeddingToBytes(embedding: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(Float32Array.from(embedding).buffer);
  const bytes = new Uint8Array(embedding.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < embedding.length; i++) view.setFloat32(i * 4, at(embedding, i), true);
  return bytes;
}

/** Inverse of {@link embeddingToBytes}. */
export function bytesToEmbedding(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new FacegateError('INTERNAL', 'Stored embedding has a partial float');
  if (LITTLE_ENDIAN)
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Maps an audit_events row to an {@link AuditEvent}. */
export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    id: row.id,
    at: row.at,
    action: row.action,
    outcome: row.outcome,
    reason: row.reason,
    actorType: row.actor_type as ActorType,
    actorId: row.actor_id,
    employeeId: row.employee_id,
    score: row.score,
    threshold: row.threshold,
    engine: row.engine,
    ip: row.ip,
    durationMs: row.duration_ms,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

/** Maps a users row to a {@link User}, given its decrypted TOTP secret. */
export function toUser(row: UserRow, totpSecret: string | null): User {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    role: row.role as Role,
    disabled: row.disabled === 1,
    totpSecret,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
  };
}

/** Maps an api_keys row to an {@link ApiKey}. */
export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    secretHash: row.secret_hash,
    role: row.role as Role,
    createdBy: row.created_by,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Maps a sessions row to a {@link Session}. */
export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    userId: row.user_id,
    csrfToken: row.csrf_token,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** Maps a lockouts row to a {@link LockoutState}. */
export function toLockout(row: LockoutRow): LockoutState {
  return {
    subject: row.subject,
    consecutiveFailures: row.consecutive_failures,
    totalFailures: row.total_failures,
    lockedUntil: row.locked_until,
    updatedAt: row.updated_at,
  };
}

/** An admin user's TOTP secret is bound to the user id: a ciphertext copied onto another row does not decrypt. */
function userTotpAad(userId: string): string {
  return `facegate:user-totp:${userId}`;
}

/** A `users` row as a user, its TOTP secret decrypted. */
export function toUserDecrypted(row: UserRow, cipher: DataCipher): User {
  const secret = row.totp_secret_enc
    ? Buffer.from(cipher.decrypt(row.totp_secret_enc, userTotpAad(row.id))).toString('utf8')
    : null;
  return toUser(row, secret);
}

/** A user's TOTP secret as stored (`users.totp_secret_enc`), or null. */
export function sealUserTotp(cipher: DataCipher, userId: string, secret: string | null): Buffer | null {
  return secret === null
    ? null
    : Buffer.from(cipher.encrypt(Buffer.from(secret, 'utf8'), userTotpAad(userId)));
}

/** A stored TOTP secret re-encrypted under the current data key (same binding), or unchanged. */
export function rotateUserTotp(cipher: DataCipher, userId: string, stored: Uint8Array): Buffer {
  return Buffer.from(cipher.rotate(stored, userTotpAad(userId)));
}
