import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createStore } from '../../../src/app/adapters.js';
import { loadConfig } from '../../../src/config/config.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { migratePostgres } from '../../../src/store/postgres/postgres-migrations.js';
import { PostgresStore } from '../../../src/store/postgres/postgres-store.js';
import { MIGRATIONS } from '../../../src/store/sqlite/migrations.js';
import { requirePostgres, TEST_DATABASE_URL, TestSchema } from './postgres-harness.js';
import { describeStoreContract, type StoreUnderTest, sqlRawStorage } from './store-contract.js';
import { codeOf } from './store-fixtures.js';

await requirePostgres();

/** A PostgreSQL store in a fresh random schema, dropped afterwards. */
async function openPostgres(cipher: DataCipher): Promise<StoreUnderTest> {
  const schema = await new TestSchema().create();
  const open = (c: DataCipher) =>
    PostgresStore.open({ connectionString: TEST_DATABASE_URL, schema: schema.name }, c);
  let current = await open(cipher);
  return {
    get store() {
      return current;
    },
    async reopen(next) {
      await current.close();
      current = await open(next);
      return current;
    },
    raw: sqlRawStorage((sql, params) => schema.query(sql, params)),
    async dispose() {
      await current.close();
      await schema.drop();
    },
  };
}

describeStoreContract('PostgreSQL', openPostgres);

const cipher = new DataCipher([{ id: 'k1', key: randomBytes(32) }]);

describe('PostgreSQL store: its own behaviour', () => {
  it('nodes opening one schema together apply each migration once; templates are bytea', async () => {
    const schema = await new TestSchema().create();
    try {
      const options = { connectionString: TEST_DATABASE_URL, schema: schema.name };
      const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open(options, cipher)));
      const rows = await schema.query('SELECT version FROM schema_migrations');
      expect(rows).toHaveLength(MIGRATIONS.length);
      const [column] = await schema.query(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = 'face_templates' AND column_name = 'embedding_enc'",
        [schema.name],
      );
      expect(column?.data_type).toBe('bytea');
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await schema.drop();
    }
  });

  it('createStore opens FACEGATE_DATABASE_URL (schema from its search path) and migrates it', async () => {
    const schema = await new TestSchema().create();
    try {
      const url = new URL(TEST_DATABASE_URL);
      url.searchParams.set('options', `-c search_path=${schema.name}`);
      const config = loadConfig({
        FACEGATE_ENV: 'test',
        FACEGATE_STORE: 'postgres',
        FACEGATE_DATABASE_URL: url.href,
      });
      const store = await createStore(config, cipher);
      expect(store.kind).toBe('postgres');
      await store.employees.create({ badge: 'P1', firstName: 'P', lastName: 'G' });
      expect(await schema.query('SELECT badge FROM employees')).toEqual([{ badge: 'P1' }]);
      await store.close();
    } finally {
      await schema.drop();
    }
  });

  it('an unreachable server is NOT_READY at open; a bad schema name is CONFIG_INVALID', async () => {
    const dead = 'postgres://postgres@127.0.0.1:1/test';
    expect(await codeOf(PostgresStore.open({ connectionString: dead }, cipher))).toBe('NOT_READY');
    const bad = { connectionString: TEST_DATABASE_URL, schema: 'x; DROP SCHEMA public' };
    expect(await codeOf(PostgresStore.open(bad, cipher))).toBe('CONFIG_INVALID');
  });
});

describe('PostgreSQL store: first-run setup across nodes', () => {
  it('createFirstAdmin: setups racing on several nodes create exactly one admin; the others get SETUP_ALREADY_DONE', async () => {
    const schema = await new TestSchema().create();
    const options = { connectionString: TEST_DATABASE_URL, schema: schema.name };
    const nodes = await Promise.all([1, 2, 3].map(() => PostgresStore.open(options, cipher)));
    try {
      const attempts = Array.from({ length: 9 }, (_, i) =>
        nodes[i % 3]!.users.createFirstAdmin({
          id: `u${i}`,
          username: `admin${i}`,
          passwordHash: 'h',
          disabled: false,
          totpSecret: null,
        }),
      );
      const codes = await Promise.all(attempts.map((a) => codeOf(a)));
      expect(codes.filter((c) => c === undefined)).toHaveLength(1);
      expect(codes.filter((c) => c === 'SETUP_ALREADY_DONE')).toHaveLength(8);
      expect(await nodes[0]!.users.count()).toBe(1);
      const inside = nodes[1]!.transaction((tx) =>
        (tx.users as (typeof nodes)[0]['users']).createFirstAdmin({
          id: 'late',
          username: 'late',
          passwordHash: 'h',
          disabled: false,
          totpSecret: null,
        }),
      );
      expect(await codeOf(inside)).toBe('SETUP_ALREADY_DONE');
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      await schema.drop();
    }
  });
});

describe('PostgreSQL store: migration 2 (keyed photo hashes) on existing rows', () => {
  it('keys the plain source hashes of a version-1 schema and keeps finding them by digest', async () => {
    const schema = await new TestSchema().create();
    const pool = new pg.Pool({
      connectionString: TEST_DATABASE_URL,
      options: `-c search_path=${schema.name}`,
    });
    try {
      await migratePostgres(pool, MIGRATIONS.slice(0, 1));
      const at = '2026-01-01T00:00:00.000Z';
      await pool.query(
        `INSERT INTO employees (id, badge, first_name, last_name, created_at, updated_at) VALUES ('e1', 'B1', 'A', 'B', $1, $1)`,
        [at],
      );
      const embedding = Buffer.from(
        cipher.encrypt(new Uint8Array(Float32Array.of(0.6, 0.8).buffer), 'facegate:template:t1:e1'),
      );
      await pool.query(
        `INSERT INTO face_templates (id, employee_id, embedding_enc, dimension, engine, model, model_version, quality,
           source_hash, created_at) VALUES ('t1', 'e1', $1, 2, 'local', 'm', '1', '{}', 'plain-digest', $2)`,
        [embedding, at],
      );
      const store = await PostgresStore.open(
        { connectionString: TEST_DATABASE_URL, schema: schema.name },
        cipher,
      );
      try {
        const [row] = await schema.query('SELECT source_hash FROM face_templates');
        expect(row?.source_hash).not.toBe('plain-digest');
        expect((await store.templates.findBySourceHash('plain-digest'))?.id).toBe('t1');
        expect((await store.templates.get('t1'))?.sourceHash).toBe('plain-digest');
      } finally {
        await store.close();
      }
    } finally {
      await pool.end();
      await schema.drop();
    }
  });
});
