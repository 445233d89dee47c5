import { randomUUID } from 'node:crypto';
import { FacegateError } from '../../domain/errors.js';
import type { ApiKey, AuditEvent, Employee, LockoutState, Session, User } from '../../domain/models.js';
import type { Store } from '../../store/store.port.js';

/** In-memory store of the repositories the auth services use (unit tests only). */
export function createMemoryAuthStore(now: () => Date = () => new Date()) {
  const users = new Map<string, User>();
  const keys = new Map<string, ApiKey>();
  const sessions = new Map<string, Session>();
  const lockouts = new Map<string, LockoutState>();
  const employees = new Map<string, Employee>();
  const settings = new Map<string, unknown>();
  const audit: AuditEvent[] = [];
  const iso = () => now().toISOString();

  const store = {
    kind: 'memory',
    users: <Store['users']>{
      async create(u) {
        const user: User = { ...u, createdAt: iso(), updatedAt: iso(), lastLoginAt: null };
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
        return users.delete(id);
      },
      async count() {
        return users.size;
      },
    },
    apiKeys: <Store['apiKeys']>{
      async create(k) {
        const key: ApiKey = { ...k, createdAt: iso(), lastUsedAt: null, revokedAt: null };
        keys.set(key.id, key);
        return key;
      },
      async get(id) {
        return keys.get(id);
      },
      async getByPrefix(prefix) {
        return [...keys.values()].find((k) => k.prefix === prefix);
      },
      async list() {
        return [...keys.values()];
      },
      async touch(id, at) {
        const key = keys.get(id);
        if (key) keys.set(id, { ...key, lastUsedAt: at });
      },
      async revoke(id, at) {
        const key = keys.get(id);
        if (!key) return false;
        keys.set(id, { ...key, revokedAt: at });
        return true;
      },
    },
    sessions: <Store['sessions']>{
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
    },
    lockouts: <Store['lockouts']>{
      async get(subject) {
        return lockouts.get(subject);
      },
      async put(state) {
        lockouts.set(state.subject, state);
      },
      async clear(subject) {
        lockouts.delete(subject);
      },
      async list() {
        return [...lockouts.values()];
      },
    },
    audit: <Store['audit']>{
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
      async query() {
        return { items: [...audit].reverse(), nextCursor: null };
      },
      async deleteOlderThan() {
        return 0;
      },
    },
    employees: <Pick<Store['employees'], 'get' | 'getByBadge'>>{
      async get(id) {
        return employees.get(id);
      },
      async getByBadge(badge) {
        return [...employees.values()].find((e) => e.badge === badge);
      },
    },
    settings: <Store['settings']>{
      async get<T>(key: string) {
        return settings.get(key) as T | undefined;
      },
      async set<T>(key: string, value: T) {
        settings.set(key, value);
      },
      async all() {
        return Object.fromEntries(settings);
      },
    },
    async transaction<T>(fn: (tx: Store) => Promise<T>) {
      return fn(store as unknown as Store);
    },
    async ping() {},
    async close() {},
  } satisfies Partial<{ [K in keyof Store]: unknown }> as unknown as Store;

  return { store, users, keys, sessions, lockouts, employees, audit, settings };
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
