import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { isFacegateError } from '../../../src/domain/errors.js';
import type { NewFaceTemplate } from '../../../src/domain/models.js';
import { createStore, SQLITE_FILE } from '../../../src/store/create-store.js';
import { MIGRATIONS, migrate } from '../../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';

const key1 = { id: 'k1', key: randomBytes(32) };
const key2 = { id: 'k2', key: randomBytes(32) };

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isFacegateError(error) ? error.code : `non-facegate: ${String(error)}`;
  }
  return undefined;
}

function embedding(seed: number, dim = 512): Float32Array {
  const v = Float32Array.from({ length: dim }, (_, i) => Math.sin(seed * 1000 + i * 0.37) + 0.001 * seed);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function template(seed: number, extra: Partial<NewFaceTemplate> = {}): NewFaceTemplate {
  return {
    embedding: embedding(seed),
    engine: 'local',
    model: 'test-model',
    modelVersion: '1',
    quality: {
      faceSize: 120,
      sharpness: 0.3,
      brightness: 0.5,
      yaw: 1,
      pitch: 2,
      roll: 3,
      detectorScore: 0.99,
    },
    sourceHash: `hash-${seed}`,
    photoKey: null,
    photoContentType: null,
    ...extra,
  };
}

async function rawBytes(dir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const name of [SQLITE_FILE, `${SQLITE_FILE}-wal`]) {
    const path = join(dir, name);
    if (existsSync(path)) parts.push(await readFile(path));
  }
  return Buffer.concat(parts);
}

let dir: string;
let store: SqliteStore;
const cipher = new DataCipher([key1]);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-store-'));
  store = SqliteStore.open(join(dir, SQLITE_FILE), cipher);
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SQLite store: schema', () => {
  it('uses WAL and foreign keys, and migrations are idempotent on re-open', async () => {
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.database.pragma('foreign_keys', { simple: true })).toBe(1);
    expect((await stat(join(dir, SQLITE_FILE))).mode & 0o777).toBe(0o600);
    await store.employees.create({ badge: 'B1', firstName: 'Ann', lastName: 'Lee' });
    await store.close();
    store = SqliteStore.open(join(dir, SQLITE_FILE), cipher);
    expect(migrate(store.database)).toEqual([]);
    const rows = store.database.prepare('SELECT version FROM schema_migrations').all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    expect(await store.employees.count()).toBe(1);
    await store.ping();
  });

  it('createStore opens <dataDir>/facegate.db and refuses postgres for now', async () => {
    const config = loadConfig({ FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dir });
    const other = await createStore({ ...config, dataDir: join(dir, 'sub') }, cipher);
    expect(existsSync(join(dir, 'sub', SQLITE_FILE))).toBe(true);
    await other.close();
    expect(await codeOf(other.ping())).toBe('NOT_READY');
    const pg = { ...config, store: { kind: 'postgres' as const, postgresUrl: 'postgres://x' } };
    expect(await codeOf(createStore(pg, cipher))).toBe('CONFIG_INVALID');
  });
});

describe('SQLite store: employees', () => {
  it('creates, reads, updates, lists with search/paging/total and deletes', async () => {
    const ann = await store.employees.create({
      badge: 'E-001',
      firstName: 'Ann',
      lastName: 'Lee',
      email: 'ann@example.com',
      department: 'R&D',
    });
    expect(ann).toMatchObject({ badge: 'E-001', status: 'active', faceLoginLocked: false, role: null });
    for (let i = 2; i <= 12; i++) {
      await store.employees.create({
        badge: `E-${String(i).padStart(3, '0')}`,
        firstName: `P${i}`,
        lastName: 'Zed',
      });
    }
    expect(await store.employees.getByBadge('e-001')).toMatchObject({ id: ann.id });
    const updated = await store.employees.update(ann.id, {
      status: 'suspended',
      faceLoginLocked: true,
      email: null,
    });
    expect(updated).toMatchObject({ status: 'suspended', faceLoginLocked: true, email: null });
    expect(updated.updatedAt >= ann.updatedAt).toBe(true);

    const page = await store.employees.list({ limit: 5, offset: 5 });
    expect(page.total).toBe(12);
    expect(page.items).toHaveLength(5);
    expect(
      (await store.employees.list({ search: 'ann lee', limit: 10, offset: 0 })).items.map((e) => e.id),
    ).toEqual([ann.id]);
    expect((await store.employees.list({ search: 'EXAMPLE.COM', limit: 10, offset: 0 })).total).toBe(0);
    await store.employees.update(ann.id, { email: 'ann@example.com' });
    expect((await store.employees.list({ search: 'EXAMPLE.COM', limit: 10, offset: 0 })).total).toBe(1);
    expect((await store.employees.list({ search: '%', limit: 10, offset: 0 })).total).toBe(0);
    expect(
      (await store.employees.list({ search: "'; DROP TABLE employees; --", limit: 10, offset: 0 })).total,
    ).toBe(0);
    expect((await store.employees.list({ status: 'suspended', limit: 10, offset: 0 })).total).toBe(1);
    const statuses = await store.employees.statuses();
    expect(statuses).toHaveLength(12);
    expect(statuses.find((s) => s.id === ann.id)).toEqual({
      id: ann.id,
      status: 'suspended',
      faceLoginLocked: true,
    });

    expect(await store.employees.delete(ann.id)).toBe(true);
    expect(await store.employees.delete(ann.id)).toBe(false);
    expect(await store.employees.get(ann.id)).toBeUndefined();
    expect(await store.employees.count()).toBe(11);
  });

  it('erasure leaves no trace of the deleted row in the database or WAL files', async () => {
    const marker = 'Zyxwvut-Erasure-Marker';
    const keep = await store.employees.create({ badge: 'KEEP', firstName: 'Keep', lastName: 'Me' });
    const gone = await store.employees.create({ badge: 'GONE-1', firstName: marker, lastName: marker });
    await store.templates.add(gone.id, template(41, { sourceHash: `${marker}-hash` }));
    expect((await rawBytes(dir)).includes(Buffer.from(marker))).toBe(true);
    await store.transaction(async (tx) => {
      await tx.employees.delete(gone.id);
      await tx.audit.append({
        action: 'employee.delete',
        outcome: 'success',
        actorType: 'cli',
        employeeId: gone.id,
      });
    });
    const raw = await rawBytes(dir);
    expect(raw.includes(Buffer.from(marker))).toBe(false);
    expect(raw.includes(Buffer.from('GONE-1'))).toBe(false);
    expect(await store.employees.get(keep.id)).toMatchObject({ id: keep.id, badge: 'KEEP' });
  });

  it('refuses a taken badge (any case) with CONFLICT, unknown ids with NOT_FOUND, bad status with VALIDATION_FAILED', async () => {
    const a = await store.employees.create({ badge: 'A1', firstName: 'A', lastName: 'A' });
    await store.employees.create({ badge: 'B1', firstName: 'B', lastName: 'B' });
    expect(await codeOf(store.employees.create({ badge: 'a1', firstName: 'X', lastName: 'Y' }))).toBe(
      'CONFLICT',
    );
    expect(await codeOf(store.employees.update(a.id, { badge: 'B1' }))).toBe('CONFLICT');
    expect(await codeOf(store.employees.update(randomUUID(), { firstName: 'Z' }))).toBe('NOT_FOUND');
    expect(await codeOf(store.employees.update(randomUUID(), {}))).toBe('NOT_FOUND');
    expect(await codeOf(store.employees.update(a.id, { status: 'gone' as unknown as 'active' }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await store.employees.count()).toBe(2);
  });
});

describe('SQLite store: templates', () => {
  it('stores templates encrypted (no plaintext float bytes in the files) and reads them back exactly', async () => {
    const e = await store.employees.create({ badge: 'T1', firstName: 'T', lastName: 'One' });
    const input = template(1, { photoKey: 'a'.repeat(64), photoContentType: 'image/jpeg' });
    const saved = await store.templates.add(e.id, input);
    const loaded = await store.templates.get(saved.id);
    expect(loaded).toMatchObject({
      employeeId: e.id,
      model: 'test-model',
      sourceHash: 'hash-1',
      photoKey: 'a'.repeat(64),
    });
    expect(Array.from(loaded!.embedding)).toEqual(Array.from(input.embedding));
    expect(loaded!.quality).toEqual(input.quality);

    const floats = Buffer.from(
      input.embedding.buffer,
      input.embedding.byteOffset,
      input.embedding.byteLength,
    );
    const raw = await rawBytes(dir);
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.includes(floats)).toBe(false);
    expect(raw.includes(floats.subarray(0, 16))).toBe(false);
    expect(raw.includes(floats.subarray(1024, 1040))).toBe(false);
    // The test can fail: the same bytes stored in plain would be found.
    store.database
      .prepare("INSERT INTO settings (key, value, updated_at) VALUES ('probe', ?, 'x')")
      .run(floats);
    expect((await rawBytes(dir)).includes(floats)).toBe(true);
  });

  it('detects ciphertext moved between rows (AAD binds id and owner)', async () => {
    const e = await store.employees.create({ badge: 'T2', firstName: 'T', lastName: 'Two' });
    const a = await store.templates.add(e.id, template(2));
    const b = await store.templates.add(e.id, template(3));
    store.database
      .prepare(
        'UPDATE face_templates SET embedding_enc = (SELECT embedding_enc FROM face_templates WHERE id = ?) WHERE id = ?',
      )
      .run(a.id, b.id);
    expect(await codeOf(store.templates.get(b.id))).toBe('INTERNAL');
    expect((await store.templates.get(a.id))!.id).toBe(a.id);
  });

  it('lists by employee, by source hash, iterates everything in batches, lists photo keys, deletes, cascades', async () => {
    const e1 = await store.employees.create({ badge: 'I1', firstName: 'I', lastName: 'One' });
    const e2 = await store.employees.create({ badge: 'I2', firstName: 'I', lastName: 'Two' });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const owner = i % 2 === 0 ? e1 : e2;
      const photoKey = i < 3 ? String(i).repeat(64) : null;
      ids.push((await store.templates.add(owner.id, template(10 + i, { photoKey }))).id);
    }
    expect((await store.templates.listByEmployee(e1.id)).map((t) => t.id).sort()).toEqual(
      [ids[0], ids[2], ids[4], ids[6]].sort(),
    );
    expect((await store.templates.findBySourceHash('hash-13'))?.id).toBe(ids[3]);
    expect(await store.templates.findBySourceHash('nope')).toBeUndefined();
    const batches: number[] = [];
    const seen: string[] = [];
    for await (const batch of store.templates.iterateAll(3)) {
      batches.push(batch.length);
      seen.push(...batch.map((t) => t.id));
    }
    expect(batches).toEqual([3, 3, 1]);
    expect(seen.sort()).toEqual([...ids].sort());
    expect(await store.templates.listPhotoKeys()).toEqual(['0'.repeat(64), '1'.repeat(64), '2'.repeat(64)]);
    expect(await store.templates.delete(ids[1]!)).toBe(true);
    expect(await store.templates.delete(ids[1]!)).toBe(false);
    expect(await store.templates.count()).toBe(6);
    await store.employees.delete(e1.id);
    expect(await store.templates.count()).toBe(2);
    expect(await store.templates.listByEmployee(e1.id)).toEqual([]);
    expect(await codeOf(store.templates.add(randomUUID(), template(99)))).toBe('NOT_FOUND');
    expect(await codeOf(store.templates.add(e2.id, template(98, { id: ids[3] })))).toBe('CONFLICT');
    expect(
      await codeOf(store.templates.add(e2.id, template(97, { embedding: Float32Array.of(1, Number.NaN) }))),
    ).toBe('VALIDATION_FAILED');
  });

  it('rotation: old templates stay readable with a new current key and reencrypt rewrites them', async () => {
    const e = await store.employees.create({ badge: 'R1', firstName: 'R', lastName: 'One' });
    const t = await store.templates.add(e.id, template(5));
    await store.close();
    const rotated = new DataCipher([key2, key1]);
    store = SqliteStore.open(join(dir, SQLITE_FILE), rotated);
    expect(Array.from((await store.templates.get(t.id))!.embedding)).toEqual(Array.from(t.embedding));
    const t2 = await store.templates.add(e.id, template(6));
    await store.database
      .prepare(
        'INSERT INTO users (id, username, password_hash, role, totp_secret_enc, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        'u-old',
        'old',
        'h',
        'admin',
        new DataCipher([key1]).encrypt(Buffer.from('OLDSECRET'), 'facegate:user-totp:u-old'),
        'x',
        'x',
      );
    expect(await store.reencrypt()).toBe(2);
    expect(await store.reencrypt()).toBe(0);
    await store.close();
    store = SqliteStore.open(join(dir, SQLITE_FILE), new DataCipher([key2]));
    expect((await store.templates.listByEmployee(e.id)).map((x) => x.id).sort()).toEqual(
      [t.id, t2.id].sort(),
    );
  });
});

describe('SQLite store: transactions', () => {
  it('commits all writes together', async () => {
    const id = await store.transaction(async (tx) => {
      const e = await tx.employees.create({ badge: 'X1', firstName: 'X', lastName: 'One' });
      await tx.templates.add(e.id, template(1));
      await tx.audit.append({ action: 'enroll', outcome: 'success', actorType: 'cli', employeeId: e.id });
      return e.id;
    });
    expect(await store.templates.listByEmployee(id)).toHaveLength(1);
    expect((await store.audit.query({})).items).toHaveLength(1);
  });

  it('rolls back everything when fn throws, and other callers wait and never see uncommitted rows', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let outsideSaw: number | undefined;
    const tx = store.transaction(async (t) => {
      const e = await t.employees.create({ badge: 'Y1', firstName: 'Y', lastName: 'One' });
      await t.templates.add(e.id, template(2));
      await gate;
      throw new Error('boom');
    });
    const outside = store.employees.count().then((n) => {
      outsideSaw = n;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(outsideSaw).toBeUndefined();
    release();
    await expect(tx).rejects.toThrow('boom');
    await outside;
    expect(outsideSaw).toBe(0);
    expect(await store.employees.count()).toBe(0);
    expect(await store.templates.count()).toBe(0);
    expect((await store.audit.query({})).items).toHaveLength(0);
  });

  it('refuses the root store inside a transaction and the tx store afterwards; nested savepoints roll back alone', async () => {
    let leaked: import('../../../src/store/store.port.js').Store | undefined;
    await store.transaction(async (tx) => {
      leaked = tx;
      expect(await codeOf(store.employees.count())).toBe('INTERNAL');
      await tx.employees.create({ badge: 'N1', firstName: 'N', lastName: 'One' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.employees.create({ badge: 'N2', firstName: 'N', lastName: 'Two' });
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
    });
    expect(await codeOf(leaked!.employees.count())).toBe('INTERNAL');
    expect((await store.employees.list({ limit: 10, offset: 0 })).items.map((e) => e.badge)).toEqual(['N1']);
  });

  it('maps a constraint failure inside a transaction and rolls back the earlier writes', async () => {
    await store.employees.create({ badge: 'D1', firstName: 'D', lastName: 'One' });
    const code = await codeOf(
      store.transaction(async (tx) => {
        await tx.employees.create({ badge: 'D2', firstName: 'D', lastName: 'Two' });
        await tx.employees.create({ badge: 'D1', firstName: 'D', lastName: 'Dup' });
      }),
    );
    expect(code).toBe('CONFLICT');
    expect(await store.employees.count()).toBe(1);
  });
});

describe('SQLite store: audit', () => {
  it('appends, pages newest first with a cursor, filters, is append-only, and applies retention', async () => {
    for (let i = 0; i < 5; i++) {
      await store.audit.append({
        action: i % 2 === 0 ? 'authenticate' : 'login',
        outcome: i === 4 ? 'match' : 'failure',
        actorType: 'api_key',
        actorId: 'key-1',
        employeeId: i === 4 ? 'emp-1' : null,
        score: i === 4 ? 0.91 : null,
        at: `2026-01-0${i + 1}T00:00:00.000Z`,
        details: { n: i },
      });
    }
    const first = await store.audit.query({ limit: 2 });
    expect(first.items.map((e) => e.details.n)).toEqual([4, 3]);
    expect(first.items[0]).toMatchObject({
      action: 'authenticate',
      outcome: 'match',
      employeeId: 'emp-1',
      score: 0.91,
    });
    const second = await store.audit.query({ limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((e) => e.details.n)).toEqual([2, 1]);
    const third = await store.audit.query({ limit: 2, cursor: second.nextCursor! });
    expect(third.items.map((e) => e.details.n)).toEqual([0]);
    expect(third.nextCursor).toBeNull();
    expect((await store.audit.query({ action: 'login' })).items).toHaveLength(2);
    expect((await store.audit.query({ employeeId: 'emp-1' })).items).toHaveLength(1);
    expect(
      (await store.audit.query({ from: '2026-01-02T00:00:00.000Z', to: '2026-01-03T00:00:00.000Z' })).items,
    ).toHaveLength(2);
    expect(await codeOf(store.audit.query({ cursor: 'garbage' }))).toBe('VALIDATION_FAILED');
    expect(() => store.database.prepare("UPDATE audit_events SET outcome = 'match'").run()).toThrow(
      /append-only/,
    );
    expect(
      await codeOf(
        store.audit.append({
          action: 'x',
          outcome: 'y',
          actorType: 'cli',
          details: { v: new Float32Array(2) },
        }),
      ),
    ).toBe('INTERNAL');
    expect(await store.audit.deleteOlderThan('2026-01-03T00:00:00.000Z')).toBe(2);
    expect((await store.audit.query({})).items).toHaveLength(3);
  });
});

describe('SQLite store: users, API keys, sessions, lockouts, settings', () => {
  it('users: unique username, patch, encrypted TOTP secret, delete cascades sessions', async () => {
    const user = await store.users.create({
      id: 'u1',
      username: 'Admin',
      passwordHash: '$argon2id$x',
      role: 'admin',
      disabled: false,
      totpSecret: 'JBSWY3DPEHPK3PXPSECRET',
    });
    expect(user).toMatchObject({
      username: 'Admin',
      totpSecret: 'JBSWY3DPEHPK3PXPSECRET',
      lastLoginAt: null,
    });
    expect(
      await codeOf(
        store.users.create({
          id: 'u2',
          username: 'admin',
          passwordHash: 'h',
          role: 'kiosk',
          disabled: false,
          totpSecret: null,
        }),
      ),
    ).toBe('CONFLICT');
    expect((await rawBytes(dir)).includes(Buffer.from('JBSWY3DPEHPK3PXPSECRET'))).toBe(false);
    const updated = await store.users.update('u1', {
      lastLoginAt: '2026-01-01T00:00:00.000Z',
      totpSecret: null,
      disabled: true,
    });
    expect(updated).toMatchObject({
      totpSecret: null,
      disabled: true,
      lastLoginAt: '2026-01-01T00:00:00.000Z',
    });
    expect((await store.users.getByUsername('ADMIN'))?.id).toBe('u1');
    expect(await store.users.count()).toBe(1);
    expect(await store.users.list()).toHaveLength(1);
    await store.sessions.create({
      id: 's1',
      userId: 'u1',
      csrfToken: 'c',
      createdAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-02T00:00:00.000Z',
    });
    expect(await store.users.delete('u1')).toBe(true);
    expect(await store.sessions.get('s1')).toBeUndefined();
    expect(await codeOf(store.users.update('u1', { disabled: false }))).toBe('NOT_FOUND');
  });

  it('API keys: create, unique prefix, lookup, touch, revoke once', async () => {
    const k = await store.apiKeys.create({
      id: 'k1',
      name: 'door',
      prefix: 'fg_ab12',
      secretHash: 'hash',
      role: 'kiosk',
      createdBy: null,
    });
    expect(k).toMatchObject({ lastUsedAt: null, revokedAt: null });
    expect(
      await codeOf(
        store.apiKeys.create({
          id: 'k2',
          name: 'x',
          prefix: 'fg_ab12',
          secretHash: 'h',
          role: 'kiosk',
          createdBy: null,
        }),
      ),
    ).toBe('CONFLICT');
    await store.apiKeys.touch('k1', '2026-01-01T00:00:00.000Z');
    expect((await store.apiKeys.getByPrefix('fg_ab12'))?.lastUsedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(await store.apiKeys.revoke('k1', '2026-01-02T00:00:00.000Z')).toBe(true);
    expect(await store.apiKeys.revoke('k1', '2026-01-03T00:00:00.000Z')).toBe(false);
    expect((await store.apiKeys.get('k1'))?.revokedAt).toBe('2026-01-02T00:00:00.000Z');
    expect(await store.apiKeys.list()).toHaveLength(1);
  });

  it('sessions: expiry sweep and per-user deletion', async () => {
    await store.users.create({
      id: 'u',
      username: 'u',
      passwordHash: 'h',
      role: 'admin',
      disabled: false,
      totpSecret: null,
    });
    const base = { userId: 'u', csrfToken: 'c', createdAt: '2026-01-01T00:00:00.000Z' };
    await store.sessions.create({ ...base, id: 'old', expiresAt: '2026-01-01T01:00:00.000Z' });
    await store.sessions.create({ ...base, id: 'new', expiresAt: '2026-01-09T00:00:00.000Z' });
    expect(await store.sessions.deleteExpired('2026-01-02T00:00:00.000Z')).toBe(1);
    expect(await store.sessions.get('new')).toMatchObject({ userId: 'u', csrfToken: 'c' });
    await store.sessions.deleteForUser('u');
    expect(await store.sessions.get('new')).toBeUndefined();
    expect(await codeOf(store.sessions.create({ ...base, userId: 'ghost', id: 'x', expiresAt: 'z' }))).toBe(
      'NOT_FOUND',
    );
  });

  it('lockouts and settings', async () => {
    const state = {
      subject: 'ip:10.0.0.1',
      consecutiveFailures: 1,
      totalFailures: 1,
      lockedUntil: null,
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    await store.lockouts.put(state);
    await store.lockouts.put({
      ...state,
      consecutiveFailures: 5,
      totalFailures: 6,
      lockedUntil: '2026-01-01T00:01:00.000Z',
    });
    expect(await store.lockouts.get('ip:10.0.0.1')).toMatchObject({
      consecutiveFailures: 5,
      totalFailures: 6,
    });
    expect(await store.lockouts.list()).toHaveLength(1);
    await store.lockouts.clear('ip:10.0.0.1');
    expect(await store.lockouts.get('ip:10.0.0.1')).toBeUndefined();

    await store.settings.set('match', { preset: 'strict', margin: 0.05 });
    await store.settings.set('liveness', 'active');
    expect(await store.settings.get('match')).toEqual({ preset: 'strict', margin: 0.05 });
    expect(await store.settings.all()).toEqual({
      liveness: 'active',
      match: { preset: 'strict', margin: 0.05 },
    });
    await store.settings.set('liveness', undefined);
    expect(await store.settings.get('liveness')).toBeUndefined();
  });
});
