import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { MIGRATIONS } from '../../../src/store/sqlite/migrations.js';
import type { Store } from '../../../src/store/store.port.js';
import { codeOf, floatBytes, template } from './store-fixtures.js';

/** One store under test, over its own empty database. */
export interface StoreUnderTest {
  store: Store;
  /** Closes the current store and opens the same database with `cipher` (key rotation). */
  reopen(cipher: DataCipher): Promise<Store>;
  /** The same database read and changed behind the store's back: tampering and storage checks. */
  raw: RawStorage;
  /** Closes what is open and removes the database. */
  dispose(): Promise<void>;
}

/** A stored template as it sits in the database. */
export interface RawTemplate {
  embeddingEnc: Uint8Array;
  /** The keyed hash of the photo digest. */
  sourceHash: string;
  sourceDigestEnc: Uint8Array;
}

/**
 * What the contract reads and changes in the database itself, each store in its own terms (SQL rows, DynamoDB
 * items): the encrypted bytes at rest, ciphertext moved between rows, and the schema version.
 */
export interface RawStorage {
  /** Applied migration versions; null for a store without migrations (DynamoDB: schemaless, no versions). */
  schemaVersions(): Promise<number[] | null>;
  template(id: string): Promise<RawTemplate>;
  /** Copies one template's embedding ciphertext onto another row. */
  copyTemplateCiphertext(fromId: string, toId: string): Promise<void>;
  /**
   * Overwrites every audit event in place. Rejects when the database refuses (SQL: an append-only trigger);
   * `unsupported` where the database cannot refuse it (DynamoDB: only the functions' IAM policy, which grants no
   * UpdateItem, keeps the audit append-only).
   */
  rewriteAudit(): Promise<'done' | 'unsupported'>;
  userTotpCiphertext(userId: string): Promise<Uint8Array>;
  factorSecretCiphertext(id: string): Promise<Uint8Array>;
  setFactorSecretCiphertext(id: string, ciphertext: Uint8Array): Promise<void>;
}

/** The {@link RawStorage} of a SQL store, over one raw query function (`?` placeholders). */
export function sqlRawStorage(
  query: (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>,
): RawStorage {
  const bytes = (value: unknown) => Buffer.from(value as Uint8Array);
  return {
    async schemaVersions() {
      const rows = await query('SELECT version FROM schema_migrations ORDER BY version');
      return rows.map((r) => Number(r.version));
    },
    async template(id) {
      const [row] = await query(
        'SELECT embedding_enc, source_hash, source_digest_enc FROM face_templates WHERE id = ?',
        [id],
      );
      return {
        embeddingEnc: bytes(row?.embedding_enc),
        sourceHash: String(row?.source_hash),
        sourceDigestEnc: bytes(row?.source_digest_enc),
      };
    },
    async copyTemplateCiphertext(fromId, toId) {
      await query(
        'UPDATE face_templates SET embedding_enc = (SELECT embedding_enc FROM face_templates WHERE id = ?) WHERE id = ?',
        [fromId, toId],
      );
    },
    async rewriteAudit() {
      await query("UPDATE audit_events SET outcome = 'match'");
      return 'done' as const;
    },
    async userTotpCiphertext(userId) {
      const [row] = await query('SELECT totp_secret_enc FROM users WHERE id = ?', [userId]);
      return bytes(row?.totp_secret_enc);
    },
    async factorSecretCiphertext(id) {
      const [row] = await query('SELECT secret_enc FROM second_factors WHERE id = ?', [id]);
      return bytes(row?.secret_enc);
    },
    async setFactorSecretCiphertext(id, ciphertext) {
      await query('UPDATE second_factors SET secret_enc = ? WHERE id = ?', [ciphertext, id]);
    },
  };
}

/** Opens a {@link StoreUnderTest} over a fresh, empty database with `cipher`. */
export type OpenStore = (cipher: DataCipher) => Promise<StoreUnderTest>;

/** What each part of the contract sees: the current store and its harness. */
interface Ctx {
  readonly store: Store;
  readonly sut: StoreUnderTest;
  readonly cipher: DataCipher;
  readonly keys: { key1: { id: string; key: Buffer }; key2: { id: string; key: Buffer } };
  reopen(cipher: DataCipher): Promise<Store>;
}

/**
 * The behaviour every `Store` adapter must have: each repository of the port, encryption of templates and TOTP
 * secrets bound to their rows, key rotation, and the transaction semantics (all or nothing, isolation from callers
 * outside, savepoints, statement atomicity). Run by each adapter's spec with its own `open`.
 */
export function describeStoreContract(name: string, open: OpenStore): void {
  const key1 = { id: 'k1', key: randomBytes(32) };
  const key2 = { id: 'k2', key: randomBytes(32) };
  const cipher = new DataCipher([key1]);
  let sut: StoreUnderTest;
  let store: Store;
  const ctx: Ctx = {
    get store() {
      return store;
    },
    get sut() {
      return sut;
    },
    cipher,
    keys: { key1, key2 },
    async reopen(next) {
      store = await sut.reopen(next);
      return store;
    },
  };

  describe(`${name} store contract`, () => {
    beforeEach(async () => {
      sut = await open(cipher);
      store = sut.store;
    });
    afterEach(async () => {
      await sut.dispose();
    });
    schemaContract(ctx);
    employeeContract(ctx);
    templateContract(ctx);
    transactionContract(ctx);
    auditContract(ctx);
    accountContract(ctx);
    stateContract(ctx);
    secondFactorContract(ctx);
    enrolmentContract(ctx);
  });
}

function schemaContract(ctx: Ctx): void {
  it('is migrated to the latest version, keeps data across a re-open, answers ping and refuses use after close', async () => {
    await ctx.store.employees.create({ badge: 'B1', firstName: 'Ann', lastName: 'Lee' });
    const reopened = await ctx.reopen(ctx.cipher);
    const versions = await ctx.sut.raw.schemaVersions();
    if (versions !== null) expect(versions).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await reopened.employees.count()).toBe(1);
    await reopened.ping();
    await reopened.close();
    expect(await codeOf(reopened.ping())).toBe('NOT_READY');
    expect(await codeOf(reopened.employees.count())).toBe('NOT_READY');
    await ctx.reopen(ctx.cipher);
  });
}

function employeeContract(ctx: Ctx): void {
  it('employees: creates, reads, updates, lists with search/paging/total, statuses and deletes', async () => {
    const { store } = ctx;
    const ann = await store.employees.create({
      badge: 'E-001',
      firstName: 'Ann',
      lastName: 'Lee',
      email: 'ann@example.com',
      department: 'R&D',
    });
    expect(ann).toMatchObject({ badge: 'E-001', status: 'active', faceLoginLocked: false, role: null });
    for (let i = 2; i <= 12; i++) {
      const badge = `E-${String(i).padStart(3, '0')}`;
      await store.employees.create({ badge, firstName: `P${i}`, lastName: 'Zed' });
    }
    expect(await store.employees.getByBadge('e-001')).toMatchObject({ id: ann.id });
    const updated = await store.employees.update(ann.id, {
      status: 'suspended',
      faceLoginLocked: true,
      email: null,
    });
    expect(updated).toMatchObject({ status: 'suspended', faceLoginLocked: true, email: null });
    expect(updated.updatedAt >= ann.updatedAt).toBe(true);
    const list = (query: Parameters<Store['employees']['list']>[0]) => store.employees.list(query);
    const page = await list({ limit: 5, offset: 5 });
    expect(page.total).toBe(12);
    expect(page.items.map((e) => e.badge)).toEqual(['E-003', 'E-004', 'E-005', 'E-006', 'E-007']);
    expect((await list({ search: 'ann lee', limit: 10, offset: 0 })).items.map((e) => e.id)).toEqual([
      ann.id,
    ]);
    expect((await list({ search: 'EXAMPLE.COM', limit: 10, offset: 0 })).total).toBe(0);
    await store.employees.update(ann.id, { email: 'ann@example.com' });
    expect((await list({ search: 'EXAMPLE.COM', limit: 10, offset: 0 })).total).toBe(1);
    expect((await list({ search: '%', limit: 10, offset: 0 })).total).toBe(0);
    expect((await list({ search: 'e_0', limit: 10, offset: 0 })).total).toBe(0);
    expect((await list({ search: "'; DROP TABLE employees; --", limit: 10, offset: 0 })).total).toBe(0);
    expect((await list({ status: 'suspended', limit: 10, offset: 0 })).total).toBe(1);
    const statuses = await store.employees.statuses!();
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

  it('employees: a taken badge (any case) is CONFLICT, unknown ids NOT_FOUND, a bad status VALIDATION_FAILED', async () => {
    const { store } = ctx;
    const a = await store.employees.create({ badge: 'A1', firstName: 'A', lastName: 'A' });
    await store.employees.create({ badge: 'B1', firstName: 'B', lastName: 'B' });
    expect(await codeOf(store.employees.create({ badge: 'a1', firstName: 'X', lastName: 'Y' }))).toBe(
      'CONFLICT',
    );
    expect(
      await codeOf(store.employees.create({ id: a.id, badge: 'C1', firstName: 'X', lastName: 'Y' })),
    ).toBe('CONFLICT');
    expect(await codeOf(store.employees.update(a.id, { badge: 'B1' }))).toBe('CONFLICT');
    expect(await codeOf(store.employees.update(randomUUID(), { firstName: 'Z' }))).toBe('NOT_FOUND');
    expect(await codeOf(store.employees.update(randomUUID(), {}))).toBe('NOT_FOUND');
    expect(await codeOf(store.employees.update(a.id, { status: 'gone' as unknown as 'active' }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await codeOf(store.employees.create({ badge: '', firstName: 'E', lastName: 'E' }))).toBe(
      'VALIDATION_FAILED',
    );
    expect(await store.employees.count()).toBe(2);
  });

  it('employees: concurrent creates of one badge leave exactly one employee', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        ctx.store.employees.create({ badge: i % 2 ? 'race-1' : 'RACE-1', firstName: 'R', lastName: `${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await ctx.store.employees.count()).toBe(1);
  });
}

function templateContract(ctx: Ctx): void {
  it('templates: stored encrypted, read back exactly, with quality and photo fields', async () => {
    const { store } = ctx;
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
    const row = await ctx.sut.raw.template(saved.id);
    // The photo digest is kept only as a keyed hash and a ciphertext.
    expect(row.sourceHash).not.toBe('hash-1');
    expect(Buffer.from(row.sourceDigestEnc).includes(Buffer.from('hash-1'))).toBe(false);
    const stored = Buffer.from(row.embeddingEnc);
    const floats = floatBytes(input.embedding);
    expect(stored.length).toBeGreaterThan(floats.length);
    expect(stored.includes(floats.subarray(0, 16))).toBe(false);
    expect(
      Buffer.from(ctx.cipher.decrypt(stored, `facegate:template:${saved.id}:${e.id}`)).equals(floats),
    ).toBe(true);
  });

  it('templates: ciphertext moved to another row is refused (AAD binds id and owner)', async () => {
    const { store } = ctx;
    const e = await store.employees.create({ badge: 'T2', firstName: 'T', lastName: 'Two' });
    const a = await store.templates.add(e.id, template(2));
    const b = await store.templates.add(e.id, template(3));
    await ctx.sut.raw.copyTemplateCiphertext(a.id, b.id);
    expect(await codeOf(store.templates.get(b.id))).toBe('INTERNAL');
    expect((await store.templates.get(a.id))!.id).toBe(a.id);
  });

  it('templates: by employee, by source hash, batches, summaries, photo keys, delete, cascade, refusals', async () => {
    const { store } = ctx;
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
    const summaries = await store.templates.faceSummaries!([e1.id, e2.id, randomUUID()]);
    expect(summaries.size).toBe(2);
    expect(summaries.get(e1.id)?.templateCount).toBe(4);
    expect([ids[0], ids[2]]).toContain(summaries.get(e1.id)?.firstPhotoTemplateId);
    expect(summaries.get(e2.id)).toEqual({ templateCount: 3, firstPhotoTemplateId: ids[1] });
    expect(await store.templates.listPhotoKeys()).toEqual(['0'.repeat(64), '1'.repeat(64), '2'.repeat(64)]);
    expect(await store.templates.delete(ids[1]!)).toBe(true);
    expect(await store.templates.delete(ids[1]!)).toBe(false);
    expect(await store.templates.count()).toBe(6);
    await store.employees.delete(e1.id);
    expect(await store.templates.count()).toBe(2);
    expect(await store.templates.listByEmployee(e1.id)).toEqual([]);
    expect(await codeOf(store.templates.add(randomUUID(), template(99)))).toBe('NOT_FOUND');
    expect(await codeOf(store.templates.add(e2.id, template(98, { id: ids[3] })))).toBe('CONFLICT');
    const nan = template(97, { embedding: Float32Array.of(1, Number.NaN) });
    expect(await codeOf(store.templates.add(e2.id, nan))).toBe('VALIDATION_FAILED');
  });

  it('templates and TOTP secrets: readable after a key rotation, and reencrypt rewrites them once', async () => {
    const { key1, key2 } = ctx.keys;
    const e = await ctx.store.employees.create({ badge: 'R1', firstName: 'R', lastName: 'One' });
    const t = await ctx.store.templates.add(e.id, template(5));
    const user = { username: 'old', passwordHash: 'h', role: 'admin' as const, disabled: false };
    await ctx.store.users.create({ ...user, id: 'u-old', totpSecret: 'OLDSECRET' });
    const rotated = await ctx.reopen(new DataCipher([key2, key1]));
    expect(Array.from((await rotated.templates.get(t.id))!.embedding)).toEqual(Array.from(t.embedding));
    const t2 = await rotated.templates.add(e.id, template(6));
    expect(await rotated.reencrypt!()).toBe(2);
    expect(await rotated.reencrypt!()).toBe(0);
    const onlyNew = await ctx.reopen(new DataCipher([key2]));
    expect((await onlyNew.templates.listByEmployee(e.id)).map((x) => x.id).sort()).toEqual(
      [t.id, t2.id].sort(),
    );
    expect((await onlyNew.users.get('u-old'))?.totpSecret).toBe('OLDSECRET');
  });
}

function transactionContract(ctx: Ctx): void {
  it('transaction: commits all writes together', async () => {
    const id = await ctx.store.transaction(async (tx) => {
      const e = await tx.employees.create({ badge: 'X1', firstName: 'X', lastName: 'One' });
      await tx.templates.add(e.id, template(1));
      await tx.audit.append({ action: 'enroll', outcome: 'success', actorType: 'cli', employeeId: e.id });
      return e.id;
    });
    expect(await ctx.store.templates.listByEmployee(id)).toHaveLength(1);
    expect((await ctx.store.audit.query({})).items).toHaveLength(1);
  });

  it('transaction: rolls back everything when fn throws; callers outside never see uncommitted rows', async () => {
    const { store } = ctx;
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
      written();
      await gate;
      throw new Error('boom');
    });
    await wrote;
    const during = store.employees.count();
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await expect(tx).rejects.toThrow('boom');
    expect(await during).toBe(0);
    expect(await store.employees.count()).toBe(0);
    expect(await store.templates.count()).toBe(0);
    expect((await store.audit.query({})).items).toHaveLength(0);
  });

  it('transaction: refuses the root store inside it and the tx store after it; savepoints roll back alone', async () => {
    const { store } = ctx;
    let leaked: Store | undefined;
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
      expect(await tx.employees.count()).toBe(1);
    });
    expect(await codeOf(leaked!.employees.count())).toBe('INTERNAL');
    expect(await codeOf(leaked!.close())).toBe('INTERNAL');
    expect((await store.employees.list({ limit: 10, offset: 0 })).items.map((e) => e.badge)).toEqual(['N1']);
  });

  it('transaction: a constraint failure is mapped and, when fn lets it escape, rolls back the earlier writes', async () => {
    const { store } = ctx;
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

  it('transaction: a failed statement undoes only itself, so fn may catch it and go on', async () => {
    const { store } = ctx;
    await store.employees.create({ badge: 'S1', firstName: 'S', lastName: 'One' });
    await store.transaction(async (tx) => {
      await tx.employees.create({ badge: 'S2', firstName: 'S', lastName: 'Two' });
      expect(await codeOf(tx.employees.create({ badge: 's1', firstName: 'S', lastName: 'Dup' }))).toBe(
        'CONFLICT',
      );
      await tx.employees.create({ badge: 'S3', firstName: 'S', lastName: 'Three' });
    });
    const badges = (await store.employees.list({ limit: 10, offset: 0 })).items.map((e) => e.badge).sort();
    expect(badges).toEqual(['S1', 'S2', 'S3']);
  });
}

function auditContract(ctx: Ctx): void {
  it('audit: appends, pages newest first with a cursor, filters, is append-only, applies retention', async () => {
    const { store } = ctx;
    for (let i = 0; i < 5; i++) {
      await store.audit.append({
        action: i % 2 === 0 ? 'authenticate' : 'login',
        outcome: i === 4 ? 'match' : 'failure',
        actorType: 'api_key',
        actorId: i === 0 ? 'key-0' : 'key-1',
        employeeId: i === 4 ? 'emp-1' : null,
        score: i === 4 ? 0.91 : null,
        durationMs: 12.5,
        at: `2026-01-0${i + 1}T00:00:00.000Z`,
        details: { n: i, nested: { ok: true } },
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
    expect(first.items[0]).toMatchObject({ durationMs: 12.5, details: { n: 4, nested: { ok: true } } });
    const second = await store.audit.query({ limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((e) => e.details.n)).toEqual([2, 1]);
    const third = await store.audit.query({ limit: 2, cursor: second.nextCursor! });
    expect(third.items.map((e) => e.details.n)).toEqual([0]);
    expect(third.nextCursor).toBeNull();
    expect((await store.audit.query({ action: 'login' })).items).toHaveLength(2);
    expect((await store.audit.query({ outcome: 'match' })).items).toHaveLength(1);
    expect((await store.audit.query({ employeeId: 'emp-1' })).items).toHaveLength(1);
    expect((await store.audit.query({ actorId: 'key-0' })).items.map((e) => e.details.n)).toEqual([0]);
    const range = { from: '2026-01-02T00:00:00.000Z', to: '2026-01-03T00:00:00.000Z' };
    expect((await store.audit.query(range)).items).toHaveLength(2);
    expect(await codeOf(store.audit.query({ cursor: 'garbage' }))).toBe('VALIDATION_FAILED');
    const rewrite = ctx.sut.raw.rewriteAudit();
    if ((await rewrite.catch(() => 'refused')) !== 'unsupported') {
      await expect(rewrite).rejects.toThrow(/append-only/);
    }
    const binary = {
      action: 'x',
      outcome: 'y',
      actorType: 'cli' as const,
      details: { v: new Float32Array(2) },
    };
    expect(await codeOf(store.audit.append(binary))).toBe('INTERNAL');
    expect(await store.audit.deleteOlderThan('2026-01-03T00:00:00.000Z')).toBe(2);
    expect((await store.audit.query({})).items).toHaveLength(3);
  });
}

function accountContract(ctx: Ctx): void {
  it('users: unique username in any case, patch, encrypted TOTP secret, delete cascades sessions', async () => {
    const { store } = ctx;
    const secret = 'JBSWY3DPEHPK3PXPSECRET';
    const base = { passwordHash: '$argon2id$x', disabled: false };
    const user = await store.users.create({
      ...base,
      id: 'u1',
      username: 'Admin',
      role: 'admin',
      totpSecret: secret,
    });
    expect(user).toMatchObject({ username: 'Admin', totpSecret: secret, lastLoginAt: null });
    const dup = store.users.create({ ...base, id: 'u2', username: 'admin', role: 'kiosk', totpSecret: null });
    expect(await codeOf(dup)).toBe('CONFLICT');
    const totpEnc = await ctx.sut.raw.userTotpCiphertext('u1');
    expect(Buffer.from(totpEnc).includes(Buffer.from(secret))).toBe(false);
    const patch = { lastLoginAt: '2026-01-01T00:00:00.000Z', totpSecret: null, disabled: true };
    expect(await store.users.update('u1', patch)).toMatchObject(patch);
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
    expect(await store.users.delete('u1')).toBe(false);
    expect(await store.sessions.get('s1')).toBeUndefined();
    expect(await codeOf(store.users.update('u1', { disabled: false }))).toBe('NOT_FOUND');
  });

  it('users: createFirstAdmin creates an admin only while no enabled admin exists', async () => {
    const { store } = ctx;
    const first = (id: string) =>
      store.users.createFirstAdmin({
        id,
        username: id,
        passwordHash: 'h',
        disabled: false,
        totpSecret: null,
      });
    await store.users.create({
      id: 'k',
      username: 'kiosk',
      passwordHash: 'h',
      role: 'kiosk',
      disabled: false,
      totpSecret: null,
    });
    await store.users.create({
      id: 'off',
      username: 'off',
      passwordHash: 'h',
      role: 'admin',
      disabled: true,
      totpSecret: null,
    });
    expect(await first('root')).toMatchObject({ id: 'root', role: 'admin', disabled: false });
    expect(await codeOf(first('again'))).toBe('SETUP_ALREADY_DONE');
    expect(
      await codeOf(
        store.transaction(async (tx) =>
          tx.users.createFirstAdmin({
            id: 'tx',
            username: 'tx',
            passwordHash: 'h',
            disabled: false,
            totpSecret: null,
          }),
        ),
      ),
    ).toBe('SETUP_ALREADY_DONE');
    expect(await store.users.count()).toBe(3);
  });

  it('API keys: create, unique prefix, lookup, touch, revoke once, list newest first', async () => {
    const { store } = ctx;
    const key = { name: 'door', secretHash: 'hash', role: 'kiosk' as const, createdBy: null };
    expect(await store.apiKeys.create({ ...key, id: 'k1', prefix: 'fg_ab12' })).toMatchObject({
      lastUsedAt: null,
      revokedAt: null,
    });
    expect(await codeOf(store.apiKeys.create({ ...key, id: 'k2', prefix: 'fg_ab12' }))).toBe('CONFLICT');
    await store.apiKeys.touch('k1', '2026-01-01T00:00:00.000Z');
    expect((await store.apiKeys.getByPrefix('fg_ab12'))?.lastUsedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(await store.apiKeys.getByPrefix('FG_AB12')).toBeUndefined();
    expect(await store.apiKeys.revoke('k1', '2026-01-02T00:00:00.000Z')).toBe(true);
    expect(await store.apiKeys.revoke('k1', '2026-01-03T00:00:00.000Z')).toBe(false);
    expect(await store.apiKeys.revoke('nope', '2026-01-03T00:00:00.000Z')).toBe(false);
    expect((await store.apiKeys.get('k1'))?.revokedAt).toBe('2026-01-02T00:00:00.000Z');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await store.apiKeys.create({ ...key, id: 'k3', prefix: 'fg_cd34' });
    expect((await store.apiKeys.list()).map((k) => k.id)).toEqual(['k3', 'k1']);
  });

  it('sessions: expiry sweep, per-user deletion, unknown user refused', async () => {
    const { store } = ctx;
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
    expect(await codeOf(store.sessions.create({ ...base, id: 'new', expiresAt: 'x' }))).toBe('CONFLICT');
    expect(await store.sessions.deleteExpired('2026-01-02T00:00:00.000Z')).toBe(1);
    expect(await store.sessions.get('new')).toMatchObject({ userId: 'u', csrfToken: 'c' });
    await store.sessions.delete('old');
    await store.sessions.deleteForUser('u');
    expect(await store.sessions.get('new')).toBeUndefined();
    const ghost = { ...base, userId: 'ghost', id: 'x', expiresAt: 'z' };
    expect(await codeOf(store.sessions.create(ghost))).toBe('NOT_FOUND');
  });
}

function stateContract(ctx: Ctx): void {
  it('lockouts: put upserts, get, list in subject order, clear', async () => {
    const { store } = ctx;
    const state = {
      subject: 'ip:10.0.0.1',
      consecutiveFailures: 1,
      totalFailures: 1,
      lockedUntil: null,
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    await store.lockouts.put(state);
    const locked = {
      ...state,
      consecutiveFailures: 5,
      totalFailures: 6,
      lockedUntil: '2026-01-01T00:01:00.000Z',
    };
    await store.lockouts.put(locked);
    await store.lockouts.put({ ...state, subject: 'badge:E-1' });
    expect(await store.lockouts.get('ip:10.0.0.1')).toEqual(locked);
    expect((await store.lockouts.list()).map((s) => s.subject)).toEqual(['badge:E-1', 'ip:10.0.0.1']);
    await store.lockouts.clear('ip:10.0.0.1');
    expect(await store.lockouts.get('ip:10.0.0.1')).toBeUndefined();
    expect(await store.lockouts.list()).toHaveLength(1);
  });

  it('settings: JSON values round-trip, all() in key order, undefined removes', async () => {
    const { store } = ctx;
    await store.settings.set('match', { preset: 'strict', margin: 0.05 });
    await store.settings.set('liveness', 'active');
    await store.settings.set('limits', [1, 2.5, null]);
    expect(await store.settings.get('match')).toEqual({ preset: 'strict', margin: 0.05 });
    expect(await store.settings.get('limits')).toEqual([1, 2.5, null]);
    await store.settings.set('liveness', 'passive');
    expect(await store.settings.all()).toEqual({
      limits: [1, 2.5, null],
      liveness: 'passive',
      match: { preset: 'strict', margin: 0.05 },
    });
    await store.settings.set('liveness', undefined);
    expect(await store.settings.get('liveness')).toBeUndefined();
    expect(await store.settings.get('never-set')).toBeUndefined();
  });

  it('kiosk pairings: a code is taken once, an expired one never, and the sweep removes expired ones', async () => {
    const { store } = ctx;
    const base = {
      name: 'Door 1',
      allowPhotoUpload: false,
      createdBy: 'admin',
      createdAt: '2026-01-01T00:00:00Z',
    };
    await store.kioskPairings.create({ ...base, codeHash: 'h-live', expiresAt: '2026-01-01T00:10:00Z' });
    await store.kioskPairings.create({ ...base, codeHash: 'h-old', expiresAt: '2026-01-01T00:01:00Z' });
    await store.kioskPairings.create({ ...base, codeHash: 'h-gone', expiresAt: '2026-01-01T00:02:00Z' });
    const taken = await store.kioskPairings.take('h-live', '2026-01-01T00:05:00Z');
    expect(taken).toEqual({ ...base, codeHash: 'h-live', expiresAt: '2026-01-01T00:10:00Z' });
    expect(await store.kioskPairings.take('h-live', '2026-01-01T00:05:00Z')).toBeUndefined();
    expect(await store.kioskPairings.take('h-old', '2026-01-01T00:05:00Z')).toBeUndefined();
    expect(await store.kioskPairings.deleteExpired('2026-01-01T00:05:00Z')).toBe(1);
  });

  it('audit: actions() lists each recorded action once, in order', async () => {
    const { store } = ctx;
    for (const action of ['identify', 'authenticate', 'identify', 'employee.create']) {
      await store.audit.append({ action, outcome: 'success', actorType: 'system' });
    }
    expect(await store.audit.actions()).toEqual(['authenticate', 'employee.create', 'identify']);
  });
}

/** The second-factor repository of a store (every adapter under this contract has one). */
function factorsOf(store: Store): NonNullable<Store['secondFactors']> {
  if (!store.secondFactors) throw new Error(`${store.kind} store has no second factors`);
  return store.secondFactors;
}

function secondFactorContract(ctx: Ctx): void {
  const at = '2026-03-01T10:00:00.000Z';
  const owners = async (store: Store) => {
    const e = await store.employees.create({ badge: 'F1', firstName: 'Fay', lastName: 'Two' });
    await store.users.create({
      id: 'u-mfa',
      username: 'mfa',
      passwordHash: 'h',
      role: 'admin',
      disabled: false,
      totpSecret: null,
    });
    return {
      employee: { type: 'employee' as const, id: e.id },
      user: { type: 'user' as const, id: 'u-mfa' },
    };
  };

  it('second factors: TOTP secrets encrypted and bound to their row, listed per subject, activated once', async () => {
    const factors = factorsOf(ctx.store);
    const { employee, user } = await owners(ctx.store);
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    const totp = await factors.add({
      id: randomUUID(),
      subject: employee,
      kind: 'totp',
      status: 'pending',
      secret,
    });
    expect(totp).toMatchObject({
      subject: employee,
      kind: 'totp',
      status: 'pending',
      secret,
      lastUsedAt: null,
    });
    const raw = await ctx.sut.raw.factorSecretCiphertext(totp.id);
    expect(Buffer.from(raw).toString('latin1')).not.toContain('JBSWY3DP');
    const other = await factors.add({
      id: randomUUID(),
      subject: employee,
      kind: 'totp',
      status: 'pending',
      secret: 'GEZDGNBVGY3TQOJQ',
    });
    await ctx.sut.raw.setFactorSecretCiphertext(other.id, raw);
    expect(await codeOf(factors.get(other.id))).toBe('INTERNAL');
    await factors.delete(other.id);

    await factors.add({
      id: randomUUID(),
      subject: user,
      kind: 'pin',
      status: 'active',
      secretHash: '$argon2id$x',
    });
    expect((await factors.listBySubject(employee)).map((f) => f.kind)).toEqual(['totp']);
    expect((await factors.listBySubject(user, 'pin')).map((f) => f.secretHash)).toEqual(['$argon2id$x']);
    expect(await factors.listBySubject(user, 'totp')).toEqual([]);
    expect(await factors.activate(totp.id, at)).toBe(true);
    expect(await factors.activate(totp.id, at)).toBe(false);
    expect(await factors.get(totp.id)).toMatchObject({ status: 'active', lastUsedAt: at });
  });

  it('second factors: a TOTP step and a passkey counter are used at most once; delete per kind', async () => {
    const factors = factorsOf(ctx.store);
    const { employee, user } = await owners(ctx.store);
    const totp = await factors.add({
      id: randomUUID(),
      subject: user,
      kind: 'totp',
      status: 'active',
      secret: 'JBSWY3DPEHPK3PXP',
    });
    expect(await factors.useTotpStep(totp.id, 100, at)).toBe(true);
    expect(await factors.useTotpStep(totp.id, 100, at)).toBe(false);
    expect(await factors.useTotpStep(totp.id, 99, at)).toBe(false);
    expect(await factors.useTotpStep(totp.id, 101, at)).toBe(true);
    expect((await factors.get(totp.id))?.lastUsedStep).toBe(101);

    const passkey = {
      credentialId: 'cred-1',
      publicKey: new Uint8Array([1, 2, 3]),
      counter: 5,
      transports: ['usb'],
      multiDevice: false,
    };
    const key = await factors.add({
      id: randomUUID(),
      subject: employee,
      kind: 'webauthn',
      status: 'active',
      passkey,
    });
    expect((await factors.findByCredentialId('cred-1'))?.passkey).toEqual(passkey);
    expect(await factors.useCounter(key.id, 5, at)).toBe(false);
    expect(await factors.useCounter(key.id, 6, at)).toBe(true);
    expect((await factors.get(key.id))?.passkey?.counter).toBe(6);
    expect(
      await codeOf(
        factors.add({ id: randomUUID(), subject: user, kind: 'webauthn', status: 'active', passkey }),
      ),
    ).toBe('CONFLICT');

    for (let i = 0; i < 3; i++) {
      await factors.add({
        id: randomUUID(),
        subject: employee,
        kind: 'recovery',
        status: 'active',
        label: `r${i}`,
        secretHash: `h${i}`,
      });
    }
    expect(await factors.deleteBySubject(employee, ['recovery', 'pin'])).toBe(3);
    expect(await factors.deleteBySubject(employee)).toBe(1);
    expect(await factors.delete(key.id)).toBe(false);
    expect((await factors.listBySubject(user)).map((f) => f.id)).toEqual([totp.id]);
    await ctx.store.users.delete(user.id);
    expect(await factors.get(totp.id)).toBeUndefined();
  });

  it('second factors: TOTP secrets readable after a key rotation; reencrypt rewrites them once', async () => {
    const { employee } = await owners(ctx.store);
    const totp = await factorsOf(ctx.store).add({
      id: randomUUID(),
      subject: employee,
      kind: 'totp',
      status: 'pending',
      secret: 'OLDSECRET',
    });
    const rotated = await ctx.reopen(new DataCipher([ctx.keys.key2, ctx.keys.key1]));
    expect(await rotated.reencrypt?.()).toBe(1);
    expect(await rotated.reencrypt?.()).toBe(0);
    const onlyNew = await ctx.reopen(new DataCipher([ctx.keys.key2]));
    expect((await factorsOf(onlyNew).get(totp.id))?.secret).toBe('OLDSECRET');
  });
}

/** The self-service enrolment repositories of a store (every adapter under this contract has them). */
function enrolmentOf(store: Store) {
  const { invitations, enrolmentSubmissions } = store;
  if (!invitations || !enrolmentSubmissions) throw new Error('store without enrolment repositories');
  return { invitations, submissions: enrolmentSubmissions };
}

function enrolmentContract(ctx: Ctx): void {
  const T0 = '2026-01-01T00:00:00.000Z';
  const invite = (employeeId: string, id: string, expiresAt = '2026-01-08T00:00:00.000Z') => ({
    id,
    employeeId,
    tokenHash: `hash-${id}`,
    createdBy: 'admin',
    createdAt: T0,
    expiresAt,
  });

  it('invitations: created, found by token hash, used once, revoked unless used, consent recorded', async () => {
    const { invitations } = enrolmentOf(ctx.store);
    const employee = await ctx.store.employees.create({ badge: 'INV1', firstName: 'Ida', lastName: 'Nv' });
    const created = await invitations.create(invite(employee.id, 'i1'));
    expect(created).toMatchObject({ id: 'i1', usedAt: null, revokedAt: null, consentVersion: null });
    await invitations.create(invite(employee.id, 'i2'));
    await invitations.create(invite(employee.id, 'i3', '2026-01-01T00:01:00.000Z'));
    expect(await codeOf(invitations.create(invite('ghost', 'i4')))).toBe('NOT_FOUND');
    expect(await codeOf(invitations.create({ ...invite(employee.id, 'i5'), tokenHash: 'hash-i1' }))).toBe(
      'CONFLICT',
    );
    expect((await invitations.getByTokenHash('hash-i2'))?.id).toBe('i2');
    expect(await invitations.getByTokenHash('nope')).toBeUndefined();
    expect(await invitations.recordConsent('i1', 'v2', T0)).toBe(true);
    expect(await invitations.get('i1')).toMatchObject({ consentVersion: 'v2', consentedAt: T0 });
    const at = '2026-01-02T00:00:00.000Z';
    expect(await invitations.markUsed('i1', at)).toBe(true);
    expect(await invitations.markUsed('i1', at)).toBe(false);
    expect(await invitations.revoke('i1', at)).toBe(false);
    expect(await invitations.markUsed('i3', at)).toBe(false); // expired
    expect(await invitations.revoke('i2', at)).toBe(true);
    expect(await invitations.revoke('i2', at)).toBe(false);
    expect(await invitations.markUsed('i2', at)).toBe(false);
    const all = await invitations.list({ limit: 10, offset: 0 });
    expect(all.map((i) => i.id).sort()).toEqual(['i1', 'i2', 'i3']);
    expect(await invitations.list({ employeeId: 'other', limit: 10, offset: 0 })).toEqual([]);
  });

  it('submissions: a queue by status, decided once, photo keys emptied by the decision, cascade with the employee', async () => {
    const { invitations, submissions } = enrolmentOf(ctx.store);
    const employee = await ctx.store.employees.create({ badge: 'SUB1', firstName: 'Sue', lastName: 'Bm' });
    await invitations.create(invite(employee.id, 'j1'));
    const checks = {
      liveness: { outcome: 'pass', checks: [] },
      photos: [],
      duplicate: null,
      consistency: null,
    };
    const base = { invitationId: 'j1', employeeId: employee.id, checks, consentVersion: 'v1' };
    await submissions.create({
      ...base,
      id: 's1',
      status: 'pending',
      photoKeys: ['k1', 'k2'],
      createdAt: T0,
    });
    await submissions.create({
      ...base,
      id: 's2',
      status: 'held',
      photoKeys: ['k3'],
      createdAt: '2026-01-01T00:00:01.000Z',
    });
    expect(await submissions.get('s1')).toMatchObject({ checks, photoKeys: ['k1', 'k2'], reviewerId: null });
    expect((await submissions.getByInvitation('j1'))?.id).toBe('s2');
    expect((await submissions.list({ statuses: ['held'], limit: 10, offset: 0 })).map((s) => s.id)).toEqual([
      's2',
    ]);
    expect((await submissions.list({ limit: 10, offset: 0 })).map((s) => s.id)).toEqual(['s1', 's2']);
    expect((await submissions.listPhotoKeys()).sort()).toEqual(['k1', 'k2', 'k3']);
    const decision = { status: 'rejected' as const, reviewerId: 'u1', reason: 'blurry', decidedAt: T0 };
    expect(await submissions.decide('s1', decision)).toBe(true);
    expect(await submissions.decide('s1', { ...decision, status: 'approved' })).toBe(false);
    expect(await submissions.get('s1')).toMatchObject({
      status: 'rejected',
      reason: 'blurry',
      photoKeys: [],
    });
    expect(await submissions.listPhotoKeys(employee.id)).toEqual(['k3']);
    await ctx.store.employees.delete(employee.id);
    expect(await submissions.get('s2')).toBeUndefined();
    expect(await invitations.get('j1')).toBeUndefined();
  });

  const checks = {
    liveness: { outcome: 'pass', checks: [{ check: 'turns', passed: true, reason: '' }] },
    photos: [{ accepted: false, reasons: [{ code: 'LOW_SHARPNESS', message: 'Hold still' }] }],
    duplicate: null,
    consistency: { score: 0.71, threshold: 0.5, passed: true },
  };
  const minute = (m: number) => `2026-01-01T00:0${m}:00.000Z`;

  it('invitations: listed newest first then by id, of one employee when asked, with limit and offset', async () => {
    const { invitations } = enrolmentOf(ctx.store);
    const a = await ctx.store.employees.create({ badge: 'LST1', firstName: 'La', lastName: 'St' });
    const b = await ctx.store.employees.create({ badge: 'LST2', firstName: 'Lb', lastName: 'St' });
    await invitations.create({ ...invite(a.id, 'k2'), createdAt: minute(1) });
    await invitations.create({ ...invite(b.id, 'k3'), createdAt: minute(2) });
    await invitations.create({ ...invite(a.id, 'k1'), createdAt: minute(1) });
    await invitations.create({ ...invite(a.id, 'k4'), createdAt: minute(0) });
    const ids = async (query: { employeeId?: string; limit: number; offset: number }) =>
      (await invitations.list(query)).map((i) => i.id);
    expect(await ids({ limit: 10, offset: 0 })).toEqual(['k3', 'k1', 'k2', 'k4']);
    expect(await ids({ limit: 2, offset: 1 })).toEqual(['k1', 'k2']);
    expect(await ids({ employeeId: a.id, limit: 10, offset: 0 })).toEqual(['k1', 'k2', 'k4']);
    expect(await ids({ employeeId: a.id, limit: 1, offset: 2 })).toEqual(['k4']);
    expect(await ids({ employeeId: b.id, limit: 10, offset: 1 })).toEqual([]);
  });

  it('submissions: the queue oldest first then by id, over several statuses and paged; a link answers its latest', async () => {
    const { invitations, submissions } = enrolmentOf(ctx.store);
    const employee = await ctx.store.employees.create({ badge: 'QUE1', firstName: 'Quo', lastName: 'Ue' });
    await invitations.create(invite(employee.id, 'm1'));
    await invitations.create(invite(employee.id, 'm2'));
    const base = { invitationId: 'm1', employeeId: employee.id, checks, consentVersion: 'v1', photoKeys: [] };
    const add = (id: string, status: 'pending' | 'held' | 'rejected', m: number, invitationId = 'm1') =>
      submissions.create({ ...base, id, status, createdAt: minute(m), invitationId });
    await add('q3', 'pending', 1);
    await add('q1', 'held', 1);
    await add('q4', 'pending', 0);
    await add('q2', 'rejected', 2);
    await add('q5', 'rejected', 2);
    await add('q9', 'pending', 3, 'm2');
    const ids = async (query: {
      statuses?: Array<'pending' | 'held' | 'rejected'>;
      limit: number;
      offset: number;
    }) => (await submissions.list(query)).map((s) => s.id);
    expect(await ids({ limit: 10, offset: 0 })).toEqual(['q4', 'q1', 'q3', 'q2', 'q5', 'q9']);
    expect(await ids({ statuses: ['pending', 'held'], limit: 10, offset: 0 })).toEqual([
      'q4',
      'q1',
      'q3',
      'q9',
    ]);
    expect(await ids({ statuses: ['pending', 'held'], limit: 2, offset: 1 })).toEqual(['q1', 'q3']);
    expect(await ids({ statuses: ['rejected'], limit: 1, offset: 1 })).toEqual(['q5']);
    // Latest by time, then by id descending.
    expect((await submissions.getByInvitation('m1'))?.id).toBe('q5');
    expect((await submissions.getByInvitation('m2'))?.id).toBe('q9');
    expect(await submissions.getByInvitation('nope')).toBeUndefined();
    expect((await submissions.get('q1'))?.checks).toEqual(checks);
    expect(await codeOf(add('q6', 'pending', 4, 'ghost'))).toBe('NOT_FOUND');
    expect(
      await codeOf(
        submissions.create({ ...base, id: 'q7', status: 'pending', createdAt: T0, employeeId: 'ghost' }),
      ),
    ).toBe('NOT_FOUND');
    expect(await codeOf(add('q1', 'pending', 5))).toBe('CONFLICT');
    const bogus = { ...base, id: 'q8', status: 'bogus' as 'pending', createdAt: T0 };
    expect(await codeOf(submissions.create(bogus))).toBe('VALIDATION_FAILED');
    expect((await submissions.list({ limit: 10, offset: 0 })).map((s) => s.id)).toHaveLength(6);
  });

  it('invitations and submissions: one use of a link and one decision under concurrency; a revocation survives a concurrent consent', async () => {
    const { invitations, submissions } = enrolmentOf(ctx.store);
    const employee = await ctx.store.employees.create({ badge: 'RACE1', firstName: 'Ra', lastName: 'Ce' });
    await invitations.create(invite(employee.id, 'r1'));
    await invitations.create(invite(employee.id, 'r2'));
    const at = '2026-01-02T00:00:00.000Z';
    const used = await Promise.all(Array.from({ length: 6 }, () => invitations.markUsed('r1', at)));
    expect(used.filter(Boolean)).toHaveLength(1);
    const [revoked] = await Promise.all([
      invitations.revoke('r2', at),
      invitations.recordConsent('r2', 'v3', at),
      invitations.recordConsent('r2', 'v3', at),
    ]);
    expect(revoked).toBe(true);
    expect(await invitations.get('r2')).toMatchObject({ revokedAt: at, consentVersion: 'v3' });
    expect(await invitations.markUsed('r2', at)).toBe(false);
    await submissions.create({
      id: 'd1',
      invitationId: 'r1',
      employeeId: employee.id,
      status: 'held',
      checks,
      consentVersion: 'v1',
      photoKeys: ['p1'],
      createdAt: T0,
    });
    const decisions = await Promise.all(
      (['approved', 'rejected', 'approved', 'rejected'] as const).map((status, i) =>
        submissions.decide('d1', { status, reviewerId: `u${i}`, reason: null, decidedAt: at }),
      ),
    );
    expect(decisions.filter(Boolean)).toHaveLength(1);
    const decided = await submissions.get('d1');
    const winner = decisions.indexOf(true);
    expect(decided).toMatchObject({ reviewerId: `u${winner}`, photoKeys: [], decidedAt: at });
    expect(
      await submissions.decide('ghost', { status: 'approved', reviewerId: 'u', reason: null, decidedAt: at }),
    ).toBe(false);
    expect(await invitations.revoke('ghost', at)).toBe(false);
    expect(await invitations.recordConsent('ghost', 'v1', at)).toBe(false);
  });

  it('invitations and submissions join transactions: undone with them, and an erasure inside one sees the photos and cascades', async () => {
    const { store } = ctx;
    const employee = await store.employees.create({ badge: 'TXE1', firstName: 'Tx', lastName: 'En' });
    const at = '2026-01-02T00:00:00.000Z';
    await expect(
      store.transaction(async (tx) => {
        const repos = enrolmentOf(tx);
        await repos.invitations.create(invite(employee.id, 't1'));
        expect(await repos.invitations.markUsed('t1', at)).toBe(true);
        await repos.submissions.create({
          id: 'u1',
          invitationId: 't1',
          employeeId: employee.id,
          status: 'pending',
          checks,
          consentVersion: 'v1',
          photoKeys: ['x1'],
          createdAt: at,
        });
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    const { invitations, submissions } = enrolmentOf(store);
    expect(await invitations.get('t1')).toBeUndefined();
    expect(await invitations.getByTokenHash('hash-t1')).toBeUndefined();
    expect(await submissions.get('u1')).toBeUndefined();
    expect(await submissions.listPhotoKeys()).toEqual([]);

    await invitations.create(invite(employee.id, 't1'));
    await submissions.create({
      id: 'u1',
      invitationId: 't1',
      employeeId: employee.id,
      status: 'pending',
      checks,
      consentVersion: 'v1',
      photoKeys: ['x1', 'x2'],
      createdAt: at,
    });
    // The erasure service's transaction: the photo keys, then the employee with everything that cascades.
    const keys = await store.transaction(async (tx) => {
      const photos = await enrolmentOf(tx).submissions.listPhotoKeys(employee.id);
      expect(await tx.employees.delete(employee.id)).toBe(true);
      return photos;
    });
    expect(keys.sort()).toEqual(['x1', 'x2']);
    expect(await submissions.get('u1')).toBeUndefined();
    expect(await submissions.getByInvitation('t1')).toBeUndefined();
    expect(await invitations.getByTokenHash('hash-t1')).toBeUndefined();
    expect(await submissions.listPhotoKeys()).toEqual([]);
    // The token hash is free again once its invitation is gone.
    const other = await store.employees.create({ badge: 'TXE2', firstName: 'Tx', lastName: 'Two' });
    await invitations.create({ ...invite(other.id, 't2'), tokenHash: 'hash-t1' });
    expect((await invitations.getByTokenHash('hash-t1'))?.id).toBe('t2');
  });
}
