import type {
  EnrolmentSubmission,
  Invitation,
  NewEnrolmentSubmission,
  NewInvitation,
  SubmissionDecision,
  SubmissionStatus,
} from '../domain/enrolment.js';
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
} from '../domain/models.js';
import type { FactorKind, FactorSubject, NewSecondFactor, SecondFactor } from '../domain/second-factors.js';
import type { StoreTransfer } from './store-transfer.port.js';

/** Employee records. Unique badge: creating or renaming onto a taken badge throws `CONFLICT`. */
export interface EmployeeRepository {
  create(employee: NewEmployee): Promise<Employee>;
  update(id: string, patch: EmployeePatch): Promise<Employee>;
  get(id: string): Promise<Employee | undefined>;
  getByBadge(badge: string): Promise<Employee | undefined>;
  list(query: {
    search?: string;
    status?: EmployeeStatus;
    limit: number;
    offset: number;
  }): Promise<Page<Employee>>;
  /** Every employee's matching status in one read (gallery start-up); optional, callers fall back to `get`. */
  statuses?(): Promise<Array<Pick<Employee, 'id' | 'status' | 'faceLoginLocked'>>>;
  /** Deletes the employee row and (by cascade) its templates; returns false when absent. */
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
}

/** How many templates an employee has and which one holds the first kept photo. */
export interface EmployeeFaceSummary {
  templateCount: number;
  firstPhotoTemplateId: string | null;
}

/** Face templates; embeddings are encrypted/decrypted inside the store. */
export interface TemplateRepository {
  add(employeeId: string, template: NewFaceTemplate): Promise<FaceTemplate>;
  listByEmployee(employeeId: string): Promise<FaceTemplate[]>;
  /** Every template, for loading the gallery; streamed in batches. */
  iterateAll(batchSize?: number): AsyncIterable<FaceTemplate[]>;
  /**
   * The oldest template made from the photo with this digest (`FaceTemplate.sourceHash`, sha256 hex). A store
   * keeps the digest only as a keyed hash plus ciphertext, never in clear, and finds it across key rotations.
   */
  findBySourceHash(sourceHash: string): Promise<FaceTemplate | undefined>;
  /**
   * Per employee, the number of templates and the id of the first template with a kept photo (list pages and
   * thumbnails), for many employees in one read; employees without templates are absent. Optional: callers fall
   * back to `listByEmployee`.
   */
  faceSummaries?(employeeIds: readonly string[]): Promise<Map<string, EmployeeFaceSummary>>;
  get(id: string): Promise<FaceTemplate | undefined>;
  delete(id: string): Promise<boolean>;
  /** Every blob key referenced by a template (for orphan sweeping). */
  listPhotoKeys(): Promise<string[]>;
  count(): Promise<number>;
}

/** Append-only audit log. */
export interface AuditRepository {
  append(event: NewAuditEvent): Promise<AuditEvent>;
  query(query: AuditQuery): Promise<{ items: AuditEvent[]; nextCursor: string | null }>;
  /** Retention: removes records older than `before`; returns how many. */
  deleteOlderThan(before: string): Promise<number>;
  /** Every distinct action in the log, sorted (the audit viewer's action filter). */
  actions(): Promise<string[]>;
}

export interface UserRepository {
  create(user: Omit<User, 'createdAt' | 'updatedAt' | 'lastLoginAt'>): Promise<User>;
  /**
   * Creates the first admin only while no enabled admin exists, as one atomic step of the database (never a
   * read then a write: concurrent first-run setups, on one node or several, must create one admin). Throws
   * `SETUP_ALREADY_DONE` when an enabled admin exists.
   */
  createFirstAdmin(user: Omit<User, 'createdAt' | 'updatedAt' | 'lastLoginAt' | 'role'>): Promise<User>;
  get(id: string): Promise<User | undefined>;
  getByUsername(username: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  update(
    id: string,
    patch: Partial<Pick<User, 'passwordHash' | 'role' | 'disabled' | 'totpSecret' | 'lastLoginAt'>>,
  ): Promise<User>;
  delete(id: string): Promise<boolean>;
  count(): Promise<number>;
}

export interface ApiKeyRepository {
  create(key: Omit<ApiKey, 'createdAt' | 'lastUsedAt' | 'revokedAt'>): Promise<ApiKey>;
  get(id: string): Promise<ApiKey | undefined>;
  getByPrefix(prefix: string): Promise<ApiKey | undefined>;
  list(): Promise<ApiKey[]>;
  touch(id: string, at: string): Promise<void>;
  revoke(id: string, at: string): Promise<boolean>;
}

/** A one-time kiosk pairing code, stored only as a hash; redeeming it creates the kiosk's API key. */
export interface KioskPairing {
  codeHash: string;
  /** Name of the kiosk key the pairing creates. */
  name: string;
  /** Whether the paired kiosk offers "Use a photo instead" (off unless the admin turned it on). */
  allowPhotoUpload: boolean;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
}

/** One-time kiosk pairing codes. */
export interface KioskPairingRepository {
  create(pairing: KioskPairing): Promise<void>;
  /** Removes and returns the pairing with this hash when it has not expired at `now` (single use). */
  take(codeHash: string, now: string): Promise<KioskPairing | undefined>;
  /** Removes expired pairings; returns how many. */
  deleteExpired(now: string): Promise<number>;
}

export interface SessionRepository {
  create(session: Session): Promise<Session>;
  get(id: string): Promise<Session | undefined>;
  delete(id: string): Promise<void>;
  deleteForUser(userId: string): Promise<void>;
  deleteExpired(now: string): Promise<number>;
}

export interface LockoutRepository {
  get(subject: string): Promise<LockoutState | undefined>;
  put(state: LockoutState): Promise<void>;
  clear(subject: string): Promise<void>;
  list(): Promise<LockoutState[]>;
}

/** Small JSON settings changed at run time by admins (threshold preset, liveness mode, lockout limits...). */
export interface SettingsRepository {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T): Promise<void>;
  all(): Promise<Record<string, unknown>>;
}

/**
 * Second factors of employees and admin users. TOTP secrets are encrypted at rest; PINs and recovery codes are
 * stored as Argon2id hashes made by the caller. The conditional updates are atomic, so two concurrent uses of one
 * code or one signature counter cannot both succeed.
 */
export interface SecondFactorRepository {
  add(factor: NewSecondFactor): Promise<SecondFactor>;
  get(id: string): Promise<SecondFactor | undefined>;
  /** The subject's factors, oldest first; optionally only of one kind. */
  listBySubject(subject: FactorSubject, kind?: FactorKind): Promise<SecondFactor[]>;
  findByCredentialId(credentialId: string): Promise<SecondFactor | undefined>;
  /** Marks a pending factor active; false when absent or not pending. */
  activate(id: string, at: string): Promise<boolean>;
  /** Records TOTP step `step` as used unless one at or after it already was; false when refused (replay). */
  useTotpStep(id: string, step: number, at: string): Promise<boolean>;
  /**
   * Records a WebAuthn signature counter; false when the stored one is not below it (a cloned authenticator or a
   * replay). Counters of 0 on both sides (authenticators that do not count) are accepted.
   */
  useCounter(id: string, counter: number, at: string): Promise<boolean>;
  /** Stamps `lastUsedAt` (PIN). */
  touch(id: string, at: string): Promise<void>;
  /** Deletes one factor (a recovery code is deleted when used); false when it was already gone. */
  delete(id: string): Promise<boolean>;
  /** Deletes the subject's factors (all, or only of the given kinds); returns how many. */
  deleteBySubject(subject: FactorSubject, kinds?: readonly FactorKind[]): Promise<number>;
}

/** Self-service enrolment invitations (token hashes only). */
export interface InvitationRepository {
  /** Throws `NOT_FOUND` when the employee does not exist, `CONFLICT` for a token hash in use. */
  create(invitation: NewInvitation): Promise<Invitation>;
  get(id: string): Promise<Invitation | undefined>;
  getByTokenHash(tokenHash: string): Promise<Invitation | undefined>;
  /** Newest first; optionally of one employee. */
  list(query: { employeeId?: string; limit: number; offset: number }): Promise<Invitation[]>;
  /** Marks it revoked unless it is already revoked or used; false otherwise. */
  revoke(id: string, at: string): Promise<boolean>;
  /**
   * Marks it used, atomically, only when it is neither revoked, used nor expired at `at`: of two concurrent
   * submissions through one link exactly one gets `true`.
   */
  markUsed(id: string, at: string): Promise<boolean>;
  /** Records the accepted consent version; false when the invitation is absent. */
  recordConsent(id: string, version: string, at: string): Promise<boolean>;
}

/** Self-service enrolment submissions waiting for review (and their outcome). */
export interface EnrolmentSubmissionRepository {
  create(submission: NewEnrolmentSubmission): Promise<EnrolmentSubmission>;
  get(id: string): Promise<EnrolmentSubmission | undefined>;
  /** The latest submission made through an invitation. */
  getByInvitation(invitationId: string): Promise<EnrolmentSubmission | undefined>;
  /** Oldest first (a queue); optionally of the given statuses. */
  list(query: {
    statuses?: readonly SubmissionStatus[];
    limit: number;
    offset: number;
  }): Promise<EnrolmentSubmission[]>;
  /**
   * Records the decision and empties the photo keys, only while the submission is `pending` or `held`: of two
   * concurrent reviews exactly one gets `true`.
   */
  decide(id: string, decision: SubmissionDecision): Promise<boolean>;
  /** Every blob key a submission still references (orphan sweep, erasure). */
  listPhotoKeys(employeeId?: string): Promise<string[]>;
}

/**
 * The store: every repository over one database.
 * `transaction(fn)` runs fn with repositories whose writes commit together or not at all;
 * operations outside the transaction never observe or join its uncommitted writes.
 */
export interface Store {
  readonly kind: string;
  employees: EmployeeRepository;
  templates: TemplateRepository;
  audit: AuditRepository;
  users: UserRepository;
  apiKeys: ApiKeyRepository;
  kioskPairings: KioskPairingRepository;
  sessions: SessionRepository;
  lockouts: LockoutRepository;
  settings: SettingsRepository;
  /** Second factors; optional until every store adapter has them (MFA fails closed without it). */
  secondFactors?: SecondFactorRepository;
  /** Self-service enrolment; optional until every store adapter has it (the services refuse with `NOT_READY`). */
  invitations?: InvitationRepository;
  enrolmentSubmissions?: EnrolmentSubmissionRepository;
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Every table as stored, for moving the data to another store; absent where moving is not built (DynamoDB). */
  readonly transfer?: StoreTransfer;
  /** Re-encrypts stored secrets under the current data key after a rotation; returns how many records changed. */
  reencrypt?(): Promise<number>;
  /** Throws when the database is unreachable (readiness probe). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
