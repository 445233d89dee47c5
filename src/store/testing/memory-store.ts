import { randomUUID } from 'node:crypto';
import { FacegateError } from '../../domain/errors.js';
import type {
  ApiKey,
  AuditEvent,
  Employee,
  FaceTemplate,
  LockoutState,
  Session,
  User,
} from '../../domain/models.js';
import type { FactorSubject, SecondFactor } from '../../domain/second-factors.js';
import type {
  ApiKeyRepository,
  AuditRepository,
  EmployeeRepository,
  KioskPairing,
  KioskPairingRepository,
  LockoutRepository,
  SecondFactorRepository,
  SessionRepository,
  SettingsRepository,
  Store,
  TemplateRepository,
  UserRepository,
} from '../store.port.js';

/** The records of a memory store, open to tests for arranging and checking. */
export interface MemoryState {
  employees: Map<string, Employee>;
  templates: Map<string, FaceTemplate>;
  users: Map<string, User>;
  apiKeys: Map<string, ApiKey>;
  kioskPairings: Map<string, KioskPairing>;
  sessions: Map<string, Session>;
  lockouts: Map<string, LockoutState>;
  settings: Map<string, unknown>;
  secondFactors: Map<string, SecondFactor>;
  audit: AuditEvent[];
}

/** A store held in maps; `failNextTemplateAdd` makes the next template write throw. */
export type MemoryStore = Store & { state: MemoryState; failNextTemplateAdd: boolean };

/**
 * In-memory store with every repository (unit tests only). `transaction` restores all records, in
 * place, when `fn` throws, as the SQLite store rolls back.
 */
export function createMemoryStore(now: () => Date = () => new Date()): MemoryStore {
  const state: MemoryState = {
    employees: new Map(),
    templates: new Map(),
    users: new Map(),
    apiKeys: new Map(),
    kioskPairings: new Map(),
    sessions: new Map(),
    lockouts: new Map(),
    settings: new Map(),
    secondFactors: new Map(),
    audit: [],
  };
  const iso = (): string => now().toISOString();
  const takeTemplateFailure = (): boolean => {
    const fail = store.failNextTemplateAdd;
    store.failNextTemplateAdd = false;
    return fail;
  };
  const store: MemoryStore = {
    kind: 'memory',
    state,
    failNextTemplateAdd: false,
    employees: memoryEmployees(state, iso),
    templates: memoryTemplates(state, iso, takeTemplateFailure),
    users: memoryUsers(state, iso),
    apiKeys: memoryApiKeys(state, iso),
    kioskPairings: memoryKioskPairings(state),
    sessions: memorySessions(state),
    lockouts: memoryLockouts(state),
    audit: memoryAudit(state, iso),
    settings: memorySettings(state),
    secondFactors: memorySecondFactors(state, iso),
    async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
      const snapshot = snapshotOf(state);
      try {
        return await fn(store);
      } catch (error) {
        restore(state, snapshot);
        throw error;
      }
    },
    async ping() {},
    async close() {},
  };
  return store;
}

type Iso = () => string;

function memoryEmployees(state: MemoryState, iso: Iso): EmployeeRepository {
  const { employees, templates } = state;
  return {
    async create(e) {
      if ([...employees.values()].some((x) => x.badge === e.badge)) {
        throw new FacegateError('CONFLICT', 'badge taken');
      }
      const row: Employee = {
        id: e.id ?? randomUUID(),
        badge: e.badge,
        firstName: e.firstName,
        lastName: e.lastName,
        email: e.email ?? null,
        department: e.department ?? null,
        role: e.role ?? null,
        status: e.status ?? 'active',
        faceLoginLocked: false,
        createdAt: iso(),
        updatedAt: iso(),
      };
      employees.set(row.id, row);
      return { ...row };
    },
    async update(id, patch) {
      const cur = employees.get(id);
      if (!cur) throw new FacegateError('NOT_FOUND', 'no employee');
      const next = { ...cur, ...patch, updatedAt: iso() };
      employees.set(id, next);
      return { ...next };
    },
    async get(id) {
      const e = employees.get(id);
      return e ? { ...e } : undefined;
    },
    async getByBadge(badge) {
      const e = [...employees.values()].find((x) => x.badge === badge);
      return e ? { ...e } : undefined;
    },
    async list(q) {
      const all = [...employees.values()].filter(
        (e) =>
          (!q.status || e.status === q.status) &&
          (!q.search ||
            `${e.badge} ${e.firstName} ${e.lastName}`.toLowerCase().includes(q.search.toLowerCase())),
      );
      return { items: all.slice(q.offset, q.offset + q.limit), total: all.length };
    },
    async delete(id) {
      for (const [tid, t] of templates) if (t.employeeId === id) templates.delete(tid);
      dropFactors(state, 'employee', id);
      return employees.delete(id);
    },
    async count() {
      return employees.size;
    },
  };
}

function memoryTemplates(state: MemoryState, iso: Iso, takeFailure: () => boolean): TemplateRepository {
  const { templates } = state;
  return {
    async add(employeeId, t) {
      if (takeFailure()) throw new Error('disk full');
      const row: FaceTemplate = { ...t, id: t.id ?? randomUUID(), employeeId, createdAt: iso() };
      templates.set(row.id, row);
      return { ...row };
    },
    async listByEmployee(employeeId) {
      return [...templates.values()].filter((t) => t.employeeId === employeeId);
    },
    async *iterateAll() {
      yield [...templates.values()];
    },
    async findBySourceHash(hash) {
      return [...templates.values()].find((t) => t.sourceHash === hash);
    },
    async get(id) {
      return templates.get(id);
    },
    async delete(id) {
      return templates.delete(id);
    },
    async listPhotoKeys() {
      return [...templates.values()].flatMap((t) => (t.photoKey ? [t.photoKey] : []));
    },
    async count() {
      return templates.size;
    },
  };
}

function memoryUsers(state: MemoryState, iso: Iso): UserRepository {
  const { users } = state;
  return {
    async create(u) {
      const user: User = { ...u, createdAt: iso(), updatedAt: iso(), lastLoginAt: null };
      users.set(user.id, user);
      return user;
    },
    async createFirstAdmin(u) {
      // Check and insert without an await between them: atomic in one process, which is all a fake needs.
      if ([...users.values()].some((x) => x.role === 'admin' && !x.disabled)) {
        throw new FacegateError('SETUP_ALREADY_DONE', 'An administrator already exists');
      }
      const user: User = { ...u, role: 'admin', createdAt: iso(), updatedAt: iso(), lastLoginAt: null };
      users.set(user.id, user);
      return user;
    },
    async get(id) {
      return users.get(id);
    },
    async getByUsername(name) {
      return [...users.values()].find((u) => u.username === name);
    },
    async list() {
      return [...users.values()];
    },
    async update(id, patch) {
      const user = users.get(id);
      if (!user) throw new FacegateError('NOT_FOUND', 'no user');
      const next = { ...user, ...patch, updatedAt: iso() };
      users.set(id, next);
      return next;
    },
    async delete(id) {
      dropFactors(state, 'user', id);
      return users.delete(id);
    },
    async count() {
      return users.size;
    },
  };
}

function memoryApiKeys(state: MemoryState, iso: Iso): ApiKeyRepository {
  const { apiKeys } = state;
  return {
    async create(k) {
      const key: ApiKey = { ...k, createdAt: iso(), lastUsedAt: null, revokedAt: null };
      apiKeys.set(key.id, key);
      return key;
    },
    async get(id) {
      return apiKeys.get(id);
    },
    async getByPrefix(prefix) {
      return [...apiKeys.values()].find((k) => k.prefix === prefix);
    },
    async list() {
      return [...apiKeys.values()];
    },
    async touch(id, at) {
      const key = apiKeys.get(id);
      if (key) apiKeys.set(id, { ...key, lastUsedAt: at });
    },
    async revoke(id, at) {
      const key = apiKeys.get(id);
      if (!key) return false;
      apiKeys.set(id, { ...key, revokedAt: at });
      return true;
    },
  };
}

function memoryKioskPairings(state: MemoryState): KioskPairingRepository {
  const { kioskPairings } = state;
  return {
    async create(p) {
      kioskPairings.set(p.codeHash, { ...p });
    },
    async take(codeHash, now) {
      const p = kioskPairings.get(codeHash);
      kioskPairings.delete(codeHash);
      return p && p.expiresAt > now ? p : undefined;
    },
    async deleteExpired(now) {
      let n = 0;
      for (const [hash, p] of kioskPairings) if (p.expiresAt <= now && kioskPairings.delete(hash)) n++;
      return n;
    },
  };
}

function memorySessions(state: MemoryState): SessionRepository {
  const { sessions } = state;
  return {
    async create(s) {
      sessions.set(s.id, s);
      return s;
    },
    async get(id) {
      return sessions.get(id);
    },
    async delete(id) {
      sessions.delete(id);
    },
    async deleteForUser(userId) {
      for (const [id, s] of sessions) if (s.userId === userId) sessions.delete(id);
    },
    async deleteExpired(at) {
      let n = 0;
      for (const [id, s] of sessions) if (s.expiresAt <= at && sessions.delete(id)) n++;
      return n;
    },
  };
}

function memoryLockouts(state: MemoryState): LockoutRepository {
  const { lockouts } = state;
  return {
    async get(subject) {
      return lockouts.get(subject);
    },
    async put(s) {
      lockouts.set(s.subject, s);
    },
    async clear(subject) {
      lockouts.delete(subject);
    },
    async list() {
      return [...lockouts.values()];
    },
  };
}

function memoryAudit(state: MemoryState, iso: Iso): AuditRepository {
  const { audit } = state;
  return {
    async actions() {
      return [...new Set(audit.map((e) => e.action))].sort();
    },
    async append(e) {
      const event: AuditEvent = {
        reason: null,
        actorId: null,
        employeeId: null,
        score: null,
        threshold: null,
        engine: null,
        ip: null,
        durationMs: null,
        details: {},
        ...e,
        id: randomUUID(),
        at: e.at ?? iso(),
      };
      audit.push(event);
      return event;
    },
    // Newest first, as the SQLite store answers; no filtering or paging.
    async query() {
      return { items: [...audit].reverse(), nextCursor: null };
    },
    async deleteOlderThan() {
      return 0;
    },
  };
}

/** Deleting an employee or user deletes their factors, as the SQLite cascade does. */
function dropFactors(state: MemoryState, type: FactorSubject['type'], id: string): void {
  for (const [fid, f] of state.secondFactors) {
    if (f.subject.type === type && f.subject.id === id) state.secondFactors.delete(fid);
  }
}

function memorySecondFactors(state: MemoryState, iso: Iso): SecondFactorRepository {
  const { secondFactors } = state;
  const owned = (subject: FactorSubject) =>
    [...secondFactors.values()].filter((f) => f.subject.type === subject.type && f.subject.id === subject.id);
  const copy = (f: SecondFactor): SecondFactor => ({ ...f, passkey: f.passkey && { ...f.passkey } });
  const update = (id: string, ok: (f: SecondFactor) => boolean, patch: Partial<SecondFactor>): boolean => {
    const factor = secondFactors.get(id);
    if (!factor || !ok(factor)) return false;
    secondFactors.set(id, { ...factor, ...patch });
    return true;
  };
  return {
    async add(f) {
      const credentialId = f.passkey?.credentialId;
      if (
        secondFactors.has(f.id) ||
        (credentialId && [...secondFactors.values()].some((x) => x.passkey?.credentialId === credentialId))
      ) {
        throw new FacegateError('CONFLICT', 'factor exists');
      }
      const row: SecondFactor = {
        label: null,
        secret: null,
        secretHash: null,
        passkey: null,
        lastUsedStep: null,
        ...f,
        subject: { ...f.subject },
        createdAt: iso(),
        lastUsedAt: null,
      };
      secondFactors.set(row.id, row);
      return copy(row);
    },
    async get(id) {
      const f = secondFactors.get(id);
      return f && copy(f);
    },
    async listBySubject(subject, kind) {
      return owned(subject)
        .filter((f) => kind === undefined || f.kind === kind)
        .map(copy);
    },
    async findByCredentialId(credentialId) {
      const f = [...secondFactors.values()].find((x) => x.passkey?.credentialId === credentialId);
      return f && copy(f);
    },
    async activate(id, at) {
      return update(id, (f) => f.status === 'pending', { status: 'active', lastUsedAt: at });
    },
    async useTotpStep(id, step, at) {
      return update(id, (f) => f.kind === 'totp' && (f.lastUsedStep === null || f.lastUsedStep < step), {
        lastUsedStep: step,
        lastUsedAt: at,
      });
    },
    async useCounter(id, counter, at) {
      const factor = secondFactors.get(id);
      const stored = factor?.passkey?.counter ?? 0;
      if (!factor?.passkey || !(stored < counter || (stored === 0 && counter === 0))) return false;
      secondFactors.set(id, { ...factor, passkey: { ...factor.passkey, counter }, lastUsedAt: at });
      return true;
    },
    async touch(id, at) {
      update(id, () => true, { lastUsedAt: at });
    },
    async delete(id) {
      return secondFactors.delete(id);
    },
    async deleteBySubject(subject, kinds) {
      let n = 0;
      for (const f of owned(subject)) {
        if ((kinds === undefined || kinds.includes(f.kind)) && secondFactors.delete(f.id)) n++;
      }
      return n;
    },
  };
}

function memorySettings(state: MemoryState): SettingsRepository {
  const { settings } = state;
  return {
    async get<T>(key: string) {
      return settings.get(key) as T | undefined;
    },
    async set<T>(key: string, value: T) {
      settings.set(key, value);
    },
    async all() {
      return Object.fromEntries(settings);
    },
  };
}

const MAPS = [
  'employees',
  'templates',
  'users',
  'apiKeys',
  'kioskPairings',
  'sessions',
  'lockouts',
  'settings',
  'secondFactors',
] as const;

function snapshotOf(state: MemoryState): MemoryState {
  return {
    ...state,
    ...Object.fromEntries(MAPS.map((name) => [name, new Map<string, unknown>(state[name])])),
    audit: [...state.audit],
  };
}

/** Puts the snapshot back into the same maps and array, so references tests hold stay live. */
function restore(state: MemoryState, snapshot: MemoryState): void {
  state.audit.splice(0, state.audit.length, ...snapshot.audit);
  for (const name of MAPS) {
    const records = state[name] as Map<string, unknown>;
    records.clear();
    for (const [key, value] of snapshot[name]) records.set(key, value);
  }
}

/** A minimal employee record. */
export function employeeRecord(id: string, patch: Partial<Employee> = {}): Employee {
  return {
    id,
    badge: `B-${id.slice(0, 4)}`,
    firstName: 'Test',
    lastName: 'Person',
    email: null,
    department: null,
    role: null,
    status: 'active',
    faceLoginLocked: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...patch,
  };
}
