/** Storage-level domain records. Never returned to clients as they are: API DTO mappers pick fields. */

import type { ActorType, Role } from './access.js';

export type EmployeeStatus = 'active' | 'suspended';

/** An enrolled (or to-be-enrolled) person. */
export interface Employee {
  id: string;
  /** Employee number / badge id; unique. */
  badge: string;
  firstName: string;
  lastName: string;
  email: string | null;
  department: string | null;
  /** Free-form role for later access rules (not an admin role). */
  role: string | null;
  status: EmployeeStatus;
  /** Set by the lockout hard cap; only an admin clears it. */
  faceLoginLocked: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Fields a caller supplies to create an employee. */
export type NewEmployee = Pick<Employee, 'badge' | 'firstName' | 'lastName'> &
  Partial<Pick<Employee, 'id' | 'email' | 'department' | 'role' | 'status'>>;

/** Mutable employee fields. */
export type EmployeePatch = Partial<
  Pick<
    Employee,
    'badge' | 'firstName' | 'lastName' | 'email' | 'department' | 'role' | 'status' | 'faceLoginLocked'
  >
>;

/** Quality figures kept with a template (no image data). */
export interface TemplateQuality {
  faceSize: number;
  sharpness: number;
  brightness: number;
  yaw: number;
  pitch: number;
  roll: number;
  detectorScore: number;
}

/** One face template (embedding) of an employee. */
export interface FaceTemplate {
  id: string;
  employeeId: string;
  /** L2-normalised; encrypted at rest by the store. */
  embedding: Float32Array;
  engine: string;
  model: string;
  modelVersion: string;
  quality: TemplateQuality;
  /** sha256 hex of the uploaded photo bytes, for idempotent imports. */
  sourceHash: string;
  /** Blob key of the kept photo, or null when photos are not kept. */
  photoKey: string | null;
  photoContentType: string | null;
  createdAt: string;
}

/** Fields a caller supplies to create a template. */
export type NewFaceTemplate = Omit<FaceTemplate, 'id' | 'createdAt' | 'employeeId'> & { id?: string };

/** An administrator / operator account. */
export interface User {
  id: string;
  username: string;
  passwordHash: string;
  role: Role;
  disabled: boolean;
  totpSecret: string | null;
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

/** An API key for kiosks and integrations; only the hash of the secret is stored. */
export interface ApiKey {
  id: string;
  name: string;
  /** First characters of the key, shown to admins to recognise it. */
  prefix: string;
  secretHash: string;
  role: Role;
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A login session; the id stored is a hash of the bearer/cookie token. */
export interface Session {
  id: string;
  userId: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
}

/** Failure counters for one lockout subject (`employee:<id>`, `ip:<addr>`, `key:<id>`). */
export interface LockoutState {
  subject: string;
  consecutiveFailures: number;
  totalFailures: number;
  lockedUntil: string | null;
  updatedAt: string;
}

/** An append-only audit record. Never holds images or embeddings. */
export interface AuditEvent {
  id: string;
  at: string;
  /** e.g. `authenticate`, `verify`, `employee.create`, `employee.delete`, `enroll`, `login`, `settings.update`. */
  action: string;
  /** e.g. `success`, `failure`, `match`, `no_match`, `retry`, `refused`. */
  outcome: string;
  reason: string | null;
  actorType: ActorType;
  actorId: string | null;
  employeeId: string | null;
  score: number | null;
  threshold: number | null;
  engine: string | null;
  ip: string | null;
  durationMs: number | null;
  details: Record<string, unknown>;
}

/** Fields a caller supplies to append an audit record. */
export type NewAuditEvent = Omit<AuditEvent, 'id' | 'at' | 'details' | NullableAuditKeys> &
  Partial<Pick<AuditEvent, NullableAuditKeys | 'details' | 'at'>>;
type NullableAuditKeys =
  | 'reason'
  | 'actorId'
  | 'employeeId'
  | 'score'
  | 'threshold'
  | 'engine'
  | 'ip'
  | 'durationMs';

/** Filter for audit queries; all fields optional and combined with AND. */
export interface AuditQuery {
  from?: string;
  to?: string;
  employeeId?: string;
  actorId?: string;
  action?: string;
  outcome?: string;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

/** A page of results. */
export interface Page<T> {
  items: T[];
  total: number;
}
