import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../../../src/app/adapters.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { sha256Hex } from '../../../src/crypto/hash.js';
import type { NewFaceTemplate } from '../../../src/domain/models.js';
import { embeddingToBytes } from '../../../src/store/row-mappers.js';
import { MIGRATIONS, migrate } from '../../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { templateAad } from '../../../src/store/template-codec.js';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const keyed = (cipher: DataCipher, digest: string) => cipher.keyedHash(Buffer.from(digest), 'source-hash');

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-source-hash-'));
  path = join(dir, SQLITE_FILE);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function template(digest: string): NewFaceTemplate {
  return {
    embedding: Float32Array.from({ length: 128 }, (_, i) => Math.cos(i) / 8),
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
    sourceHash: digest,
    photoKey: null,
    photoContentType: null,
  };
}

/** The database file and its WAL, raw. */
async function rawDatabase(): Promise<Buffer> {
  const parts = [path, `${path}-wal`].filter(existsSync).map((p) => readFile(p));
  return Buffer.concat(await Promise.all(parts));
}

function storedHashes(store: SqliteStore): string[] {
  return store.database
    .prepare('SELECT source_hash FROM face_templates ORDER BY id')
    .all()
    .map((r) => (r as { source_hash: string }).source_hash);
}

/** A database as the schema of version 1 wrote it: one employee, one template with a plain sha256. */
function writeVersion1Database(
  cipher: DataCipher,
  digest: string,
): { employeeId: string; templateId: string } {
  const db = new BetterSqlite3(path);
  migrate(db, MIGRATIONS.slice(0, 1));
  const employeeId = randomUUID();
  const templateId = randomUUID();
  const at = new Date().toISOString();
  db.prepare(
    `INSERT INTO employees (id, badge, first_name, last_name, created_at, updated_at) VALUES (?, 'M-1', 'Mig', 'Rate', ?, ?)`,
  ).run(employeeId, at, at);
  const t = template(digest);
  db.prepare(
    `INSERT INTO face_templates (id, employee_id, embedding_enc, dimension, engine, model, model_version, quality,
       source_hash, created_at) VALUES (?, ?, ?, ?, 'local', 'test-model', '1', ?, ?, ?)`,
  ).run(
    templateId,
    employeeId,
    cipher.encrypt(embeddingToBytes(t.embedding), templateAad(templateId, employeeId)),
    t.embedding.length,
    JSON.stringify(t.quality),
    digest,
    at,
  );
  db.close();
  return { employeeId, templateId };
}

describe('photo source hashes at rest', () => {
  it('migration 2 turns a plain sha256 into the keyed hash of that digest, and the digest stays findable', async () => {
    const cipher = new DataCipher([k1]);
    const digest = sha256Hex(randomBytes(5000));
    const { templateId } = writeVersion1Database(cipher, digest);
    expect((await rawDatabase()).includes(Buffer.from(digest))).toBe(true);

    const store = SqliteStore.open(path, cipher);
    expect(storedHashes(store)).toEqual([keyed(cipher, digest)]);
    expect((await store.templates.findBySourceHash(digest))?.id).toBe(templateId);
    expect((await store.templates.get(templateId))?.sourceHash).toBe(digest);
    // Enrolling the same photo again is recognised through the keyed hash the runtime computes.
    expect(await store.templates.findBySourceHash(sha256Hex(randomBytes(10)))).toBeUndefined();
    await store.close();
    expect((await rawDatabase()).includes(Buffer.from(digest))).toBe(false);
  });

  it('a database holds no plain sha256 of an enrolled photo', async () => {
    const store = SqliteStore.open(path, new DataCipher([k1]));
    const employee = await store.employees.create({ badge: 'S-1', firstName: 'Src', lastName: 'Hash' });
    const digest = sha256Hex(randomBytes(5000));
    await store.templates.add(employee.id, template(digest));
    expect((await rawDatabase()).includes(Buffer.from(digest))).toBe(false);
    await store.close();
    expect((await rawDatabase()).includes(Buffer.from(digest))).toBe(false);
  });

  it('a key rotation keeps lookups working before re-encryption, and re-encryption re-keys the hashes', async () => {
    const digest = sha256Hex(randomBytes(5000));
    const before = SqliteStore.open(path, new DataCipher([k1]));
    const employee = await before.employees.create({ badge: 'R-1', firstName: 'Ro', lastName: 'Tate' });
    const added = await before.templates.add(employee.id, template(digest));
    await before.close();

    const rotated = new DataCipher([k2, k1]);
    const during = SqliteStore.open(path, rotated);
    expect((await during.templates.findBySourceHash(digest))?.id).toBe(added.id);
    expect(await during.reencrypt()).toBe(1);
    expect(storedHashes(during)).toEqual([keyed(rotated, digest)]);
    expect(await during.reencrypt()).toBe(0);
    await during.close();

    // The retired key is gone: the digest is still found and read under the new key alone.
    const after = SqliteStore.open(path, new DataCipher([k2]));
    const found = await after.templates.findBySourceHash(digest);
    expect(found?.id).toBe(added.id);
    expect(found?.sourceHash).toBe(digest);
    await after.close();
  });
});
