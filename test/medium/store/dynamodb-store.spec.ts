import { randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { isFacegateError } from '../../../src/domain/errors.js';
import type { NewFaceTemplate } from '../../../src/domain/models.js';
import { DynamoStore } from '../../../src/store/dynamodb/dynamodb-store.js';
import { codeOf } from '../../fixtures/error-code.js';
import { type LocalDynamo, startLocalDynamo } from '../aws/dynalite-server.js';
import { describeStoreContract, type RawStorage, type StoreUnderTest } from './store-contract.js';

const key1 = { id: 'k1', key: randomBytes(32) };
const key2 = { id: 'k2', key: randomBytes(32) };
const cipher = new DataCipher([key1]);

function template(seed: number, extra: Partial<NewFaceTemplate> = {}): NewFaceTemplate {
  const v = Float32Array.from({ length: 128 }, (_, i) => Math.sin(seed * 100 + i));
  return {
    embedding: v,
    engine: 'local',
    model: 'm',
    modelVersion: '1',
    quality: {
      faceSize: 100,
      sharpness: 0.3,
      brightness: 0.5,
      yaw: 1,
      pitch: 2,
      roll: 3,
      detectorScore: 0.9,
    },
    sourceHash: `hash-${seed}`,
    photoKey: null,
    photoContentType: null,
    ...extra,
  };
}

let local: LocalDynamo;
let table: string;
let store: DynamoStore;

/** The items behind the store, read and written with the document client (no SQL: hooks in DynamoDB terms). */
function dynamoRawStorage(doc: DynamoDBDocumentClient, tableName: string): RawStorage {
  const item = async (pk: string, sk: string) => {
    const out = await doc.send(
      new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    if (!out.Item) throw new Error(`no item ${pk}/${sk}`);
    return out.Item;
  };
  const patch = async (pk: string, sk: string, fields: Record<string, unknown>) => {
    await doc.send(new PutCommand({ TableName: tableName, Item: { ...(await item(pk, sk)), ...fields } }));
  };
  return {
    schemaVersions: async () => null,
    async template(id) {
      const t = await item('TEMPLATE', id);
      return {
        embeddingEnc: t.embeddingEnc as Uint8Array,
        sourceHash: String(t.sourceHash),
        sourceDigestEnc: t.sourceDigestEnc as Uint8Array,
      };
    },
    async copyTemplateCiphertext(fromId, toId) {
      await patch('TEMPLATE', toId, { embeddingEnc: (await item('TEMPLATE', fromId)).embeddingEnc });
    },
    rewriteAudit: async () => 'unsupported',
    userTotpCiphertext: async (userId) => (await item('USER', userId)).totpSecretEnc as Uint8Array,
    factorSecretCiphertext: async (id) => (await item('FACTOR', id)).secretEnc as Uint8Array,
    async setFactorSecretCiphertext(id, ciphertext) {
      await patch('FACTOR', id, { secretEnc: ciphertext });
    },
  };
}

/** A DynamoDB store on a fresh table of the dynalite the contract run starts. */
async function openDynamo(c: DataCipher): Promise<StoreUnderTest> {
  const tableName = await local.freshTable();
  const client = local.client();
  const doc = DynamoDBDocumentClient.from(client);
  // The store destroys its client on close, so each open gets its own.
  let current = DynamoStore.open({ tableName, client: local.client() }, c);
  return {
    get store() {
      return current;
    },
    async reopen(next) {
      await current.close();
      current = DynamoStore.open({ tableName, client: local.client() }, next);
      return current;
    },
    raw: dynamoRawStorage(doc, tableName),
    async dispose() {
      await current.close();
      client.destroy();
    },
  };
}

describeStoreContract('DynamoDB', openDynamo);

beforeAll(async () => {
  local = await startLocalDynamo();
});
afterAll(async () => {
  await local.stop();
});
beforeEach(async () => {
  table = await local.freshTable();
  store = DynamoStore.open({ tableName: table, client: local.client() }, cipher);
});
afterEach(async () => {
  await store.close();
});

describe('DynamoDB store on dynalite: employees', () => {
  it('creates, reads, updates, lists with search/paging/total, statuses and deletes', async () => {
    const ann = await store.employees.create({
      badge: 'B1',
      firstName: 'Ann',
      lastName: 'Lee',
      email: 'a@x.io',
    });
    await store.employees.create({ badge: 'B2', firstName: 'Bob', lastName: 'Adams' });
    await store.employees.create({ badge: 'B3', firstName: 'Cy', lastName: 'lee', status: 'suspended' });
    expect(await store.employees.get(ann.id)).toEqual(ann);
    expect((await store.employees.getByBadge('b1'))?.id).toBe(ann.id);
    const all = await store.employees.list({ limit: 10, offset: 0 });
    expect(all.items.map((e) => e.badge)).toEqual(['B2', 'B1', 'B3']);
    const lee = await store.employees.list({ search: 'LEE', limit: 1, offset: 1 });
    expect([lee.total, lee.items[0]?.badge]).toEqual([2, 'B3']);
    expect((await store.employees.list({ status: 'suspended', limit: 9, offset: 0 })).total).toBe(1);
    const renamed = await store.employees.update(ann.id, { badge: 'B9', faceLoginLocked: true });
    expect([renamed.badge, renamed.faceLoginLocked]).toEqual(['B9', true]);
    expect(await store.employees.getByBadge('B1')).toBeUndefined();
    await store.employees.create({ badge: 'b1', firstName: 'New', lastName: 'Owner' });
    expect((await store.employees.statuses?.())?.length).toBe(4);
    expect(await store.employees.delete(ann.id)).toBe(true);
    expect(await store.employees.delete(ann.id)).toBe(false);
    expect(await store.employees.count()).toBe(3);
  });

  it('a taken badge (any case) is CONFLICT, unknown ids NOT_FOUND, a bad status VALIDATION_FAILED', async () => {
    const e = await store.employees.create({ badge: 'AB', firstName: 'A', lastName: 'B' });
    await store.employees.create({ badge: 'CD', firstName: 'C', lastName: 'D' });
    expect(await codeOf(store.employees.create({ badge: 'ab', firstName: 'X', lastName: 'Y' }))).toBe(
      'CONFLICT',
    );
    expect(await codeOf(store.employees.update(e.id, { badge: 'cd' }))).toBe('CONFLICT');
    expect((await store.employees.get(e.id))?.badge).toBe('AB');
    expect(await codeOf(store.employees.update('nope', { firstName: 'Z' }))).toBe('NOT_FOUND');
    const bad = { badge: 'EF', firstName: 'E', lastName: 'F', status: 'gone' as 'active' };
    expect(await codeOf(store.employees.create(bad))).toBe('VALIDATION_FAILED');
    expect(await store.employees.count()).toBe(2);
  });

  it('concurrent creates of one badge leave exactly one employee', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        store.employees.create({ badge: 'RACE', firstName: `F${i}`, lastName: 'R' }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await store.employees.count()).toBe(1);
  });
});

describe('DynamoDB store on dynalite: templates', () => {
  it('stores embeddings encrypted, reads them back exactly, finds by source hash, summarises, cascades', async () => {
    const e = await store.employees.create({ badge: 'T1', firstName: 'T', lastName: 'One' });
    const first = await store.templates.add(
      e.id,
      template(1, { photoKey: 'p/1.jpg', photoContentType: 'image/jpeg' }),
    );
    await store.templates.add(e.id, template(2));
    const doc = DynamoDBDocumentClient.from(local.client());
    const raw = await doc.send(new GetCommand({ TableName: table, Key: { pk: 'TEMPLATE', sk: first.id } }));
    const stored = Buffer.from(raw.Item?.embeddingEnc as Uint8Array);
    expect(stored.includes(Buffer.from(template(1).embedding.buffer).subarray(0, 16))).toBe(false);
    expect(JSON.stringify(raw.Item)).not.toContain('hash-1');
    expect((await store.templates.get(first.id))?.embedding).toEqual(template(1).embedding);
    expect((await store.templates.findBySourceHash('hash-1'))?.id).toBe(first.id);
    expect(await store.templates.findBySourceHash('hash-9')).toBeUndefined();
    expect((await store.templates.listByEmployee(e.id)).map((t) => t.sourceHash)).toEqual([
      'hash-1',
      'hash-2',
    ]);
    const summary = await store.templates.faceSummaries?.([e.id, 'nobody']);
    expect(summary?.get(e.id)).toEqual({ templateCount: 2, firstPhotoTemplateId: first.id });
    expect(summary?.has('nobody')).toBe(false);
    const batches: number[] = [];
    for await (const batch of store.templates.iterateAll(1)) batches.push(batch.length);
    expect(batches).toEqual([1, 1]);
    expect(await store.templates.listPhotoKeys()).toEqual(['p/1.jpg']);
    expect(await codeOf(store.templates.add('nobody', template(3)))).toBe('NOT_FOUND');
    expect(await store.templates.delete(first.id)).toBe(true);
    expect(await store.templates.findBySourceHash('hash-1')).toBeUndefined();
    await store.employees.delete(e.id);
    expect(await store.templates.count()).toBe(0);
  });
});

describe('DynamoDB store on dynalite: key rotation', () => {
  it('old templates and TOTP secrets stay readable under a new key; reencrypt rewrites them once', async () => {
    const e = await store.employees.create({ badge: 'R1', firstName: 'R', lastName: 'One' });
    const old = await store.templates.add(e.id, template(5));
    await store.users.create({
      id: 'u',
      username: 'u',
      role: 'admin',
      passwordHash: 'h',
      disabled: false,
      totpSecret: 'OLD',
    });
    await store.close();
    store = DynamoStore.open({ tableName: table, client: local.client() }, new DataCipher([key2, key1]));
    expect((await store.templates.get(old.id))?.embedding).toEqual(template(5).embedding);
    await store.templates.add(e.id, template(6));
    expect(await store.reencrypt()).toBe(2);
    expect(await store.reencrypt()).toBe(0);
    await store.close();
    store = DynamoStore.open({ tableName: table, client: local.client() }, new DataCipher([key2]));
    expect((await store.templates.listByEmployee(e.id)).map((t) => t.sourceHash)).toEqual([
      'hash-5',
      'hash-6',
    ]);
    expect((await store.templates.findBySourceHash('hash-5'))?.id).toBe(old.id);
    expect((await store.users.get('u'))?.totpSecret).toBe('OLD');
  });
});

describe('DynamoDB store on dynalite: transactions', () => {
  it('commits all writes together; rolls everything back when fn throws, while other callers wait', async () => {
    await store.transaction(async (tx) => {
      const e = await tx.employees.create({ badge: 'X1', firstName: 'X', lastName: 'One' });
      await tx.templates.add(e.id, template(1));
      expect(await tx.employees.count()).toBe(1);
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => {
      written = resolve;
    });
    const tx = store.transaction(async (t) => {
      const e = await t.employees.create({ badge: 'Y1', firstName: 'Y', lastName: 'One' });
      await t.templates.add(e.id, template(2));
      await t.employees.update((await t.employees.getByBadge('X1'))!.id, { firstName: 'Changed' });
      written();
      await gate;
      throw new Error('boom');
    });
    await wrote;
    const during = store.employees.count();
    release();
    await expect(tx).rejects.toThrow('boom');
    expect(await during).toBe(1);
    expect(await store.templates.count()).toBe(1);
    expect((await store.employees.getByBadge('X1'))?.firstName).toBe('X');
    expect(await store.employees.getByBadge('Y1')).toBeUndefined();
  });

  it('refuses the root store inside and the tx store after; savepoints and failed statements undo alone', async () => {
    await store.employees.create({ badge: 'S1', firstName: 'S', lastName: 'One' });
    let leaked: typeof store | undefined;
    await store.transaction(async (tx) => {
      leaked = tx as typeof store;
      expect(await codeOf(store.employees.count())).toBe('INTERNAL');
      await tx.employees.create({ badge: 'S2', firstName: 'S', lastName: 'Two' });
      await expect(
        tx.transaction(async (inner) => {
          await inner.employees.create({ badge: 'N2', firstName: 'N', lastName: 'Two' });
          throw new Error('inner');
        }),
      ).rejects.toThrow('inner');
      expect(await codeOf(tx.employees.create({ badge: 's1', firstName: 'S', lastName: 'Dup' }))).toBe(
        'CONFLICT',
      );
      await tx.employees.create({ badge: 'S3', firstName: 'S', lastName: 'Three' });
    });
    expect(await codeOf(leaked!.employees.count())).toBe('INTERNAL');
    const badges = (await store.employees.list({ limit: 10, offset: 0 })).items.map((e) => e.badge).sort();
    expect(badges).toEqual(['S1', 'S2', 'S3']);
  });
});

describe('DynamoDB store on dynalite: audit, accounts and state', () => {
  it('audit: appends, pages newest first with a cursor, filters and applies retention', async () => {
    for (let i = 0; i < 5; i++) {
      await store.audit.append({
        action: i % 2 ? 'verify' : 'authenticate',
        outcome: 'match',
        actorType: 'system',
        at: `2026-01-0${i + 1}T00:00:00.000Z`,
      });
    }
    const first = await store.audit.query({ limit: 2 });
    expect(first.items.map((e) => e.at.slice(8, 10))).toEqual(['05', '04']);
    const second = await store.audit.query({ limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((e) => e.at.slice(8, 10))).toEqual(['03', '02']);
    const filtered = await store.audit.query({ action: 'verify', to: '2026-01-04T00:00:00.000Z' });
    expect(filtered.items.map((e) => e.at.slice(8, 10))).toEqual(['04', '02']);
    expect(await codeOf(store.audit.query({ cursor: 'garbage' }))).toBe('VALIDATION_FAILED');
    expect(await store.audit.deleteOlderThan('2026-01-03T00:00:00.000Z')).toBe(2);
    expect((await store.audit.query({})).items).toHaveLength(3);
  });

  it('users: unique username, encrypted TOTP secret, first admin created once under a race, delete cascades sessions', async () => {
    const base = { passwordHash: 'h', disabled: false, totpSecret: 'SECRET' };
    const results = await Promise.allSettled(
      ['a', 'b', 'c', 'd'].map((id) =>
        store.users.createFirstAdmin({ id, username: `admin-${id}`, ...base }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await codeOf(store.users.createFirstAdmin({ id: 'z', username: 'z', ...base }))).toBe(
      'SETUP_ALREADY_DONE',
    );
    const admin = (await store.users.list())[0]!;
    expect(admin.totpSecret).toBe('SECRET');
    const doc = DynamoDBDocumentClient.from(local.client());
    const raw = await doc.send(new GetCommand({ TableName: table, Key: { pk: 'USER', sk: admin.id } }));
    expect(JSON.stringify(raw.Item)).not.toContain('SECRET');
    expect(
      await codeOf(
        store.users.create({ id: 'u2', username: admin.username.toUpperCase(), role: 'kiosk', ...base }),
      ),
    ).toBe('CONFLICT');
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    await store.sessions.create({
      id: 's1',
      userId: admin.id,
      csrfToken: 'c',
      createdAt: expiresAt,
      expiresAt,
    });
    expect(
      await codeOf(
        store.sessions.create({
          id: 's2',
          userId: 'nobody',
          csrfToken: 'c',
          createdAt: expiresAt,
          expiresAt,
        }),
      ),
    ).toBe('NOT_FOUND');
    expect((await store.users.update(admin.id, { disabled: true })).disabled).toBe(true);
    expect(await store.users.delete(admin.id)).toBe(true);
    expect(await store.sessions.get('s1')).toBeUndefined();
    expect((await store.users.createFirstAdmin({ id: 'n', username: admin.username, ...base })).role).toBe(
      'admin',
    );
  });

  it('API keys, sessions sweep, lockouts and settings', async () => {
    const key = {
      id: 'k1',
      name: 'kiosk',
      prefix: 'fg_abc',
      secretHash: 'x',
      role: 'kiosk' as const,
      createdBy: null,
    };
    await store.apiKeys.create(key);
    expect(await codeOf(store.apiKeys.create({ ...key, id: 'k2' }))).toBe('CONFLICT');
    expect((await store.apiKeys.getByPrefix('fg_abc'))?.id).toBe('k1');
    await store.apiKeys.touch('k1', '2026-01-01T00:00:00.000Z');
    expect(await store.apiKeys.revoke('k1', '2026-01-02T00:00:00.000Z')).toBe(true);
    expect(await store.apiKeys.revoke('k1', '2026-01-03T00:00:00.000Z')).toBe(false);
    expect(await store.apiKeys.get('k1')).toMatchObject({
      lastUsedAt: '2026-01-01T00:00:00.000Z',
      revokedAt: '2026-01-02T00:00:00.000Z',
    });
    await store.users.create({
      id: 'u',
      username: 'u',
      role: 'admin',
      passwordHash: 'h',
      disabled: false,
      totpSecret: null,
    });
    const at = '2026-01-01T00:00:00.000Z';
    await store.sessions.create({ id: 'old', userId: 'u', csrfToken: 'c', createdAt: at, expiresAt: at });
    await store.sessions.create({
      id: 'new',
      userId: 'u',
      csrfToken: 'c',
      createdAt: at,
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
    expect(await store.sessions.deleteExpired('2026-06-01T00:00:00.000Z')).toBe(1);
    const lock = {
      subject: 'ip:1',
      consecutiveFailures: 2,
      totalFailures: 3,
      lockedUntil: null,
      updatedAt: at,
    };
    await store.lockouts.put(lock);
    await store.lockouts.put({ ...lock, subject: 'employee:1' });
    expect((await store.lockouts.list()).map((l) => l.subject)).toEqual(['employee:1', 'ip:1']);
    await store.lockouts.clear('ip:1');
    expect(await store.lockouts.get('ip:1')).toBeUndefined();
    await store.settings.set('b', { preset: 'strict' });
    await store.settings.set('a', 1);
    expect(await store.settings.all()).toEqual({ a: 1, b: { preset: 'strict' } });
    await store.settings.set('a', undefined);
    expect(await store.settings.get('a')).toBeUndefined();
    await store.ping();
    await store.close();
    expect(await codeOf(store.ping())).toBe('NOT_READY');
  });
});
