import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import BetterSqlite3 from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportStorage, importStorage } from '../../../src/app/adapters.js';
import { createS3Client } from '../../../src/blobs/s3-blob-store.js';
import type { DeepPartial, FacegateConfig } from '../../../src/config/config.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { isFacegateError } from '../../../src/domain/errors.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { TRANSFER_TABLES } from '../../../src/store/store-transfer.port.js';
import type { ArchiveManifest } from '../../../src/store/transfer/archive-manifest.js';
import type { ImportReport } from '../../../src/store/transfer/import-archive.js';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import {
  body,
  createKey,
  createUser,
  enrollEmployee,
  imagePost,
  loadEngine,
  openApi,
  PASSWORD,
  setupAdmin,
  testConfig,
} from '../api/api-test-kit.js';
import { requirePostgres, TEST_DATABASE_URL, TestSchema } from '../store/postgres-harness.js';
import { freshBucketName, type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from '../store/s3-harness.js';

// Moving an embedded install (SQLite + files) to PostgreSQL + S3 with the real commands: `facegate export` on the
// old configuration, `facegate import` on the new one, then a node on the target recognises the same employee
// through the same kiosk key. Also: a changed archive and a non-empty target are refused.

/** The engine runs in this process: on a busy machine its event-loop delay must not refuse the set-up. */
const BUSY_MACHINE = { maxEventLoopDelayMs: 0 };
const DATA_KEY = `k1:${randomBytes(32).toString('base64')}`;

let engine: FaceEngine;
let s3: LocalS3;
let work: string;
let sourceDir: string;
let archive: string;
let photo: Buffer;
let employeeId: string;
let kioskSecret: string;
const schemas: TestSchema[] = [];

/** Runs the CLI (`facegate <args>`) with only the given environment; resolves with its exit code and output. */
function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      {
        // The AWS SDK warns about Node 20 on stderr, which the assertions read.
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_NO_WARNINGS: '1', ...env },
        maxBuffer: 1 << 24,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * The response once the node serves it: a node on a loaded machine may answer 503 for a moment (its gallery feed
 * behind its 1-s bound, or the event loop over its delay limit), which a client retries.
 */
async function untilServed(send: () => Promise<LightMyRequestResponse>): Promise<LightMyRequestResponse> {
  let res = await send();
  for (let i = 0; i < 10 && res.statusCode === 503; i++) {
    await sleep(500);
    res = await send();
  }
  return res;
}

const sourceEnv = () => ({
  FACEGATE_ENV: 'test',
  FACEGATE_DATA_DIR: sourceDir,
  FACEGATE_DATA_KEY: DATA_KEY,
  FACEGATE_ENGINE_WORKERS: '0',
});

/** A fresh PostgreSQL schema and S3 bucket, and the environment of a node (or CLI) on them. */
async function freshTarget(): Promise<{
  env: Record<string, string>;
  overrides: DeepPartial<FacegateConfig>;
}> {
  const schema = await new TestSchema().create();
  schemas.push(schema);
  const bucket = freshBucketName();
  const client = createS3Client({ ...s3Settings(bucket) });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  const postgresUrl = `${TEST_DATABASE_URL}?options=-c%20search_path%3D${schema.name}`;
  const dataDir = await mkdtemp(join(work, 'target-'));
  return {
    env: {
      FACEGATE_ENV: 'test',
      FACEGATE_DATA_DIR: dataDir,
      FACEGATE_DATA_KEY: DATA_KEY,
      FACEGATE_ENGINE_WORKERS: '0',
      FACEGATE_STORE: 'postgres',
      FACEGATE_DATABASE_URL: postgresUrl,
      FACEGATE_BLOBS: 's3',
      FACEGATE_S3_ENDPOINT: s3.endpoint,
      FACEGATE_S3_BUCKET: bucket,
      FACEGATE_S3_PREFIX: 'photos/',
      FACEGATE_S3_FORCE_PATH_STYLE: 'true',
      FACEGATE_S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      FACEGATE_S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    overrides: {
      dataDir,
      security: { dataKeys: DATA_KEY },
      store: { kind: 'postgres', postgresUrl },
      blobs: { kind: 's3', s3: { ...s3Settings(bucket), prefix: 'photos/' } },
    },
  };
}

function s3Settings(bucket: string) {
  return {
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket,
    prefix: '',
    forcePathStyle: true,
    ...S3RVER_CREDENTIALS,
    sse: undefined,
    sseKmsKeyId: undefined,
  };
}

/** An install with everything a store holds: employees with photos, users, keys, factors, lockouts, audit. */
async function populateSource(): Promise<void> {
  const api = await openApi(engine, { security: { dataKeys: DATA_KEY } }, sourceDir, undefined, BUSY_MACHINE);
  try {
    const admin = { authorization: `Bearer ${await setupAdmin(api)}` };
    const kiosk = await createKey(api, admin.authorization.slice(7), 'kiosk');
    kioskSecret = kiosk.secret;
    await createUser(api, admin.authorization.slice(7), 'auditor-1', 'auditor');
    photo = await faceCrop('s4-0');
    employeeId = await enrollEmployee(
      api,
      admin,
      { badge: 'MV-1', firstName: 'Mona', lastName: 'Mover' },
      photo,
    );
    await enrollEmployee(
      api,
      admin,
      { badge: 'MV-2', firstName: 'Otto', lastName: 'Other' },
      await faceCrop('s1-0'),
    );
    const factors = api.app.store.secondFactors;
    if (!factors) throw new Error('the SQLite store has second factors');
    await factors.add({
      id: 'f-totp',
      subject: { type: 'employee', id: employeeId },
      kind: 'totp',
      status: 'active',
      secret: 'JBSWY3DPEHPK3PXP',
    });
    await factors.add({
      id: 'f-key',
      subject: { type: 'employee', id: employeeId },
      kind: 'webauthn',
      status: 'active',
      passkey: {
        credentialId: 'cred-1',
        publicKey: randomBytes(77),
        counter: 3,
        transports: ['usb'],
        multiDevice: false,
      },
    });
    await api.app.store.settings.set('thresholdPreset', 'strict');
    // A wrong password leaves a lockout row; the kiosk's match leaves audit rows with scores.
    await api.server.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { username: 'auditor-1', password: `${PASSWORD}!`, session: 'bearer' },
    });
    const matched = await api.server.inject(
      imagePost('/v1/authenticate', await transform(photo, 'flip'), {
        authorization: `Bearer ${kioskSecret}`,
      }),
    );
    expect(body(matched)).toMatchObject({ decision: 'match' });
  } finally {
    await api.close();
  }
}

/** Row counts of the source's SQLite file, read directly. */
function sourceCounts(): Record<string, number> {
  const db = new BetterSqlite3(join(sourceDir, 'facegate.db'), { readonly: true });
  try {
    return Object.fromEntries(
      TRANSFER_TABLES.map((t) => [
        t.name,
        (db.prepare(`SELECT count(*) AS n FROM ${t.name}`).get() as { n: number }).n,
      ]),
    );
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  await requirePostgres();
  engine = await loadEngine();
  s3 = await startLocalS3();
  work = await mkdtemp(join(tmpdir(), 'facegate-move-'));
  sourceDir = join(work, 'source');
  archive = join(work, 'archive');
  await populateSource();
}, 300_000);

afterAll(async () => {
  for (const schema of schemas) await schema.drop().catch(() => undefined);
  await s3?.stop();
  await engine?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('facegate export / import', () => {
  it('the transfer tables are exactly the data tables and columns of the schema', () => {
    const store = SqliteStore.open(':memory:', new DataCipher([{ id: 'k1', key: randomBytes(32) }]));
    try {
      const db = store.database;
      const names = (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>
      )
        .map((r) => r.name)
        .filter(
          (n) =>
            !['schema_migrations', 'gallery_changes', 'gallery_change_horizon', 'sqlite_sequence'].includes(
              n,
            ),
        );
      expect(new Set(names)).toEqual(new Set(TRANSFER_TABLES.map((t) => t.name)));
      for (const table of TRANSFER_TABLES) {
        const columns = (db.prepare(`PRAGMA table_info(${table.name})`).all() as Array<{ name: string }>).map(
          (c) => c.name,
        );
        expect(new Set(columns), table.name).toEqual(new Set(table.columns.map(([name]) => name)));
      }
    } finally {
      void store.close();
    }
  });

  it('moves SQLite + files to PostgreSQL + S3 with equal counts and hashes, and the target authenticates the same employee', async () => {
    const exported = await cli(['export', archive, '--json'], sourceEnv());
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const counts = sourceCounts();
    for (const name of [
      'employees',
      'face_templates',
      'users',
      'api_keys',
      'second_factors',
      'audit_events',
      'lockouts',
      'settings',
    ]) {
      expect(counts[name], name).toBeGreaterThan(0);
    }
    const manifest = JSON.parse(await readFile(join(archive, 'manifest.json'), 'utf8')) as ArchiveManifest;
    expect(Object.fromEntries(manifest.tables.map((t) => [t.name, t.rows]))).toEqual(counts);
    expect(manifest.blobs.count).toBe(2); // the two kept enrolment photos
    // Ciphertexts travel as they are: no photo bytes and no TOTP secret in clear anywhere in the archive.
    const archived = await readFile(join(archive, 'tables', 'second_factors.ndjson'), 'utf8');
    expect(archived).not.toContain('JBSWY3DPEHPK3PXP');
    const index = (await readFile(join(archive, 'blobs.ndjson'), 'utf8')).trim().split('\n');
    for (const line of index) {
      const stored = await readFile(join(archive, 'blobs', (JSON.parse(line) as { key: string }).key));
      expect(stored.includes(photo.subarray(0, 64))).toBe(false);
    }

    const target = await freshTarget();
    const imported = await cli(['import', archive, '--json'], target.env);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const report = JSON.parse(imported.stdout) as ImportReport;
    expect(report).toMatchObject({ ok: true, alreadyImported: false, target: 'postgres' });
    expect(report.blobs).toEqual({ expected: 2, present: 2, matching: 2 });
    for (const t of report.tables) {
      expect(t.rows, t.name).toBe(counts[t.name]);
      expect(t.hashMatches, t.name).toBe(true);
    }
    const targetConfig = testConfig(target.env.FACEGATE_DATA_DIR ?? '', target.overrides);
    expect(await importStorage(targetConfig, archive)).toMatchObject({ ok: true, alreadyImported: true });

    // The same hashes seen from the other side: exporting the target gives the same table files.
    const back = join(work, 'archive-back');
    await exportStorage(targetConfig, back);
    const second = JSON.parse(await readFile(join(back, 'manifest.json'), 'utf8')) as ArchiveManifest;
    expect(second.tables.map((t) => [t.name, t.rows, t.sha256])).toEqual(
      manifest.tables.map((t) => [t.name, t.rows, t.sha256]),
    );
    expect(second.blobs.sha256).toBe(manifest.blobs.sha256);
    expect(second.source).toEqual({ store: 'postgres', blobs: 's3' });

    const node = await openApi(
      engine,
      target.overrides,
      target.env.FACEGATE_DATA_DIR,
      undefined,
      BUSY_MACHINE,
    );
    try {
      const probe = await transform(photo, 'flip');
      const res = await untilServed(() =>
        node.server.inject(imagePost('/v1/authenticate', probe, { authorization: `Bearer ${kioskSecret}` })),
      );
      expect(res.statusCode, res.body).toBe(200);
      expect(body(res)).toMatchObject({ decision: 'match', employee: { id: employeeId } });
      const totp = await node.app.store.secondFactors?.get('f-totp');
      expect(totp?.secret).toBe('JBSWY3DPEHPK3PXP');
      const [template] = await node.app.store.templates.listByEmployee(employeeId);
      const key = template?.photoKey;
      expect(key).toBeTruthy();
      expect(Buffer.from((await node.app.blobs.get(key ?? '')) ?? [])).toEqual(photo);
    } finally {
      await node.close();
    }
    // The node wrote a setting of its own: the target is no longer this archive alone.
    const refused = await cli(['import', archive], target.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^TARGET_NOT_EMPTY: /m);
  }, 300_000);

  it('refuses a changed archive before writing anything', async () => {
    const target = await freshTarget();
    const changedRow = join(work, 'changed-row');
    await cp(archive, changedRow, { recursive: true });
    const file = join(changedRow, 'tables', 'employees.ndjson');
    await writeFile(file, (await readFile(file, 'utf8')).replace('Mona', 'Mina'));
    const refused = await cli(['import', changedRow], target.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^ARCHIVE_INVALID: .*employees\.ndjson/m);

    // Rewriting the manifest to fit the change does not help: its seal needs the data key.
    const manifestPath = join(changedRow, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as ArchiveManifest;
    const { createHash } = await import('node:crypto');
    const entry = manifest.tables.find((t) => t.name === 'employees');
    if (entry)
      entry.sha256 = createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
    await writeFile(manifestPath, JSON.stringify(manifest));
    const config = testConfig(target.env.FACEGATE_DATA_DIR ?? '', target.overrides);
    const error = await importStorage(config, changedRow).catch((e: unknown) => e);
    expect(isFacegateError(error, 'ARCHIVE_INVALID')).toBe(true);

    // A photo object changed in place.
    const changedBlob = join(work, 'changed-blob');
    await cp(archive, changedBlob, { recursive: true });
    const [first] = (await readFile(join(changedBlob, 'blobs.ndjson'), 'utf8')).split('\n');
    const blob = join(changedBlob, 'blobs', (JSON.parse(first ?? '{}') as { key: string }).key);
    const bytes = await readFile(blob);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    await writeFile(blob, bytes);
    const blobRefused = await importStorage(config, changedBlob).catch((e: unknown) => e);
    expect(isFacegateError(blobRefused, 'ARCHIVE_INVALID')).toBe(true);

    // Other data keys on the target: the seal does not verify.
    const otherKeys = testConfig(target.env.FACEGATE_DATA_DIR ?? '', {
      ...target.overrides,
      security: { dataKeys: `k1:${randomBytes(32).toString('base64')}` },
    });
    const keyRefused = await importStorage(otherKeys, archive).catch((e: unknown) => e);
    expect(isFacegateError(keyRefused, 'ARCHIVE_INVALID')).toBe(true);

    const rows = await schemas.at(-1)?.query('SELECT count(*)::int AS n FROM employees');
    expect(rows?.[0]?.n).toBe(0);
  }, 300_000);
});
