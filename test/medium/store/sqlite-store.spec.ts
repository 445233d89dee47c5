import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorage, SQLITE_FILE } from '../../../src/app/adapters.js';
import { loadConfig } from '../../../src/config/config.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { MIGRATIONS, migrate } from '../../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { describeStoreContract, type StoreUnderTest, sqlRawStorage } from './store-contract.js';
import { codeOf, floatBytes, template } from './store-fixtures.js';

/** A SQLite store in a fresh temp directory; raw SQL goes through its own connection. */
async function openSqlite(cipher: DataCipher): Promise<StoreUnderTest> {
  const root = await mkdtemp(join(tmpdir(), 'facegate-store-'));
  const path = join(root, SQLITE_FILE);
  let current = SqliteStore.open(path, cipher);
  return {
    get store() {
      return current;
    },
    async reopen(next) {
      await current.close();
      current = SqliteStore.open(path, next);
      return current;
    },
    raw: sqlRawStorage(async (sql, params = []) => {
      const statement = current.database.prepare(sql);
      if (statement.reader) return statement.all(...params) as Array<Record<string, unknown>>;
      statement.run(...params);
      return [];
    }),
    async dispose() {
      await current.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

describeStoreContract('SQLite', openSqlite);

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
const cipher = new DataCipher([{ id: 'k1', key: randomBytes(32) }]);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-store-'));
  store = SqliteStore.open(join(dir, SQLITE_FILE), cipher);
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SQLite store: the file', () => {
  it('uses WAL and foreign keys, is owner-only, and migrations are idempotent on re-open', async () => {
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
  });

  it('createStore opens <dataDir>/facegate.db', async () => {
    const config = loadConfig({ FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dir });
    const other = await openStorage({ ...config, dataDir: join(dir, 'sub') });
    expect(existsSync(join(dir, 'sub', SQLITE_FILE))).toBe(true);
    expect(other.store.kind).toBe('sqlite');
    await other.close();
    expect(await codeOf(other.store.ping())).toBe('NOT_READY');
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

  it('no plaintext embedding or TOTP secret bytes anywhere in the files', async () => {
    const e = await store.employees.create({ badge: 'T1', firstName: 'T', lastName: 'One' });
    const input = template(1);
    await store.templates.add(e.id, input);
    const secret = 'JBSWY3DPEHPK3PXPSECRET';
    await store.users.create({
      id: 'u1',
      username: 'a',
      passwordHash: 'h',
      role: 'admin',
      disabled: false,
      totpSecret: secret,
    });
    const floats = floatBytes(input.embedding);
    const raw = await rawBytes(dir);
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.includes(floats)).toBe(false);
    expect(raw.includes(floats.subarray(0, 16))).toBe(false);
    expect(raw.includes(floats.subarray(1024, 1040))).toBe(false);
    expect(raw.includes(Buffer.from(secret))).toBe(false);
    // The test can fail: the same bytes stored in plain would be found.
    store.database
      .prepare("INSERT INTO settings (key, value, updated_at) VALUES ('probe', ?, 'x')")
      .run(floats);
    expect((await rawBytes(dir)).includes(floats)).toBe(true);
  });

  it('one connection: a caller outside a transaction waits for it to end', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let outsideSaw: number | undefined;
    const tx = store.transaction(async (t) => {
      await t.employees.create({ badge: 'Y1', firstName: 'Y', lastName: 'One' });
      await gate;
    });
    const outside = store.employees.count().then((n) => {
      outsideSaw = n;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(outsideSaw).toBeUndefined();
    release();
    await tx;
    await outside;
    expect(outsideSaw).toBe(1);
  });
});
