import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../../../src/app/adapters.js';
import { SettingsService } from '../../../src/auth/settings.service.js';
import { type FacegateConfig, loadConfig } from '../../../src/config/config.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import { type Actor, rolePolicy } from '../../../src/domain/access.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';

const admin: Actor = { type: 'user', id: 'u-admin', role: 'admin', name: 'root', ip: '10.0.0.1' };
const auditor: Actor = { type: 'user', id: 'u-audit', role: 'auditor', name: 'audrey', ip: null };

let dir: string;
let store: SqliteStore;
let settings: SettingsService;
let config: FacegateConfig;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-settings-'));
  store = SqliteStore.open(join(dir, SQLITE_FILE), new DataCipher([{ id: 'k1', key: randomBytes(32) }]));
  config = loadConfig({ FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dir });
  settings = new SettingsService({ policy: rolePolicy, store, config });
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SettingsService.patch over SQLite', () => {
  it('keeps every one of concurrent changes to different fields, each audited', async () => {
    const before = await settings.current(); // a warm 1 s cache: no merge may start from it
    await Promise.all([
      settings.patch(admin, { auditRetentionDays: 45 }),
      settings.patch(admin, { lockout: { baseDelaySeconds: 7 } }),
      settings.patch(admin, { lockout: { hardCap: 40 } }),
      settings.update(admin, { kioskShowPhoto: true }),
    ]);
    const expected = {
      ...before,
      auditRetentionDays: 45,
      lockout: { ...before.lockout, baseDelaySeconds: 7, hardCap: 40 },
      kioskShowPhoto: true,
    };
    expect(await settings.current()).toEqual(expected);
    expect(await new SettingsService({ policy: rolePolicy, store, config }).current()).toEqual(expected);
    const audit = await store.audit.query({ action: 'settings.update', limit: 10 });
    expect(audit.items).toHaveLength(4);
    expect(audit.items[0]).toMatchObject({
      actorId: 'u-admin',
      ip: '10.0.0.1',
      details: { after: expected },
    });
  });

  it('refuses an invalid merge or a caller without settings:write, writing nothing', async () => {
    await expect(settings.patch(admin, { lockout: { threshold: 50 } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'lockout.hardCap' },
    });
    await expect(settings.patch(auditor, { keepPhotos: false })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await store.settings.all()).toEqual({});
    expect((await store.audit.query({ action: 'settings.update', limit: 10 })).items).toEqual([]);
  });
});
