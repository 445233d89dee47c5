import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../../src/app/composition-root.js';
import { createEngine } from '../../../src/app/local-engine.js';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { KEEP_PHOTOS_KEY } from '../../../src/services/match-settings.js';
import type { TemplateUpgradeSummary } from '../../../src/services/template-upgrade.service.js';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import { bearer, body, imagePost, openApi, setupAdmin } from '../api/api-test-kit.js';
import { loadEngine, operator, testConfig } from './service-test-kit.js';

const run = promisify(execFile);
/** The engine setting the gallery was enrolled with before the default changed. */
const OLD_ENGINE = { engine: { embedder: 'fr_feature' as const } };

let oldEngine: FaceEngine;
let engine: FaceEngine;
const dirs: string[] = [];
const apps: App[] = [];

beforeAll(async () => {
  oldEngine = createEngine(testConfig(tmpdir(), OLD_ENGINE));
  await oldEngine.load();
  engine = await loadEngine();
});
afterAll(async () => {
  await oldEngine?.close();
  await engine?.close();
});
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function open(dir: string, withEngine: FaceEngine, overrides = {}): Promise<App> {
  const app = await createApp(testConfig(dir, overrides), { engine: withEngine });
  apps.push(app);
  return app;
}

async function close(app: App): Promise<void> {
  apps.splice(apps.indexOf(app), 1);
  await app.close();
}

/**
 * A data directory enrolled with the old engine: E1..E3 with kept photos, E4 enrolled while photos were not kept.
 * Returns the directory and the old templates by badge.
 */
async function oldGallery() {
  const dir = await mkdtemp(join(tmpdir(), 'facegate-upgrade-'));
  dirs.push(dir);
  const app = await open(dir, oldEngine, OLD_ENGINE);
  const people = [
    ['E1', 'Ana', 's1-0'],
    ['E2', 'Bea', 's2-0'],
    ['E3', 'Cleo', 's3-0'],
    ['E4', 'Dora', 's4-0'],
  ] as const;
  for (const [badge, firstName, crop] of people) {
    if (badge === 'E4') await app.store.settings.set(KEEP_PHOTOS_KEY, false);
    const r = await app.services.enrollment.enrollByBadge(
      { badge, firstName, lastName: 'Old' },
      [{ bytes: await faceCrop(crop), file: `${crop}.jpg` }],
      operator,
    );
    expect(r.added, `${badge}: ${JSON.stringify(r.photos[0]?.reasons)}`).toBe(1);
  }
  await app.store.settings.set(KEEP_PHOTOS_KEY, true);
  const old = new Map<string, Awaited<ReturnType<App['store']['templates']['listByEmployee']>>[number]>();
  for (const [badge] of people) {
    const employee = (await app.store.employees.getByBadge(badge))!;
    old.set(badge, (await app.store.templates.listByEmployee(employee.id))[0]!);
  }
  await close(app);
  return { dir, old };
}

describe('model upgrade with the real engine and SQLite', () => {
  it('rebuilds stale templates from their kept photos, reports the one without, and is idempotent', async () => {
    const { dir, old } = await oldGallery();
    expect(old.get('E1')).toMatchObject({
      model: oldEngine.info.model,
      modelVersion: oldEngine.info.version,
    });
    expect(engine.info.model).not.toBe(oldEngine.info.model);

    const app = await open(dir, engine);
    expect(app.startup).toMatchObject({ templatesLoaded: 0, templatesSkipped: 4 });
    const probe = await transform(await faceCrop('s2-0'), 'flip');
    expect((await app.services.identification.identify(probe, operator)).decision).toBe('no_match');

    const dry = await app.services.templateUpgrade.upgrade(operator, { dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, stale: 4, employees: 4, withPhoto: 3, upgraded: 0 });
    expect(dry.needsReEnrollment.map((n) => [n.employee.badge, n.reasons[0]!.code])).toEqual([
      ['E4', 'NO_PHOTO'],
    ]);
    expect(app.gallery.size()).toBe(0);

    const first = await app.services.templateUpgrade.upgrade(operator);
    expect(first).toMatchObject({
      dryRun: false,
      engine: { model: engine.info.model, version: engine.info.version },
      stale: 4,
      withPhoto: 3,
      upgraded: 3,
      lookAlikes: [],
    });
    expect(first.needsReEnrollment).toEqual([
      {
        templateId: old.get('E4')!.id,
        employee: expect.objectContaining({ badge: 'E4', firstName: 'Dora', lastName: 'Old' }),
        model: oldEngine.info.model,
        modelVersion: oldEngine.info.version,
        reasons: [expect.objectContaining({ code: 'NO_PHOTO' })],
      },
    ]);

    for (const badge of ['E1', 'E2', 'E3']) {
      const employee = (await app.store.employees.getByBadge(badge))!;
      const templates = await app.store.templates.listByEmployee(employee.id);
      expect(templates, badge).toHaveLength(1);
      const before = old.get(badge)!;
      expect(templates[0]).toMatchObject({
        model: engine.info.model,
        modelVersion: engine.info.version,
        sourceHash: before.sourceHash,
        photoKey: before.photoKey,
        photoContentType: before.photoContentType,
      });
      expect(templates[0]!.id).not.toBe(before.id);
      expect(templates[0]!.embedding.length).toBe(engine.info.dimension);
      // The kept photo is still served for the new template.
      const photo = await app.services.employees.getPhoto(badge, templates[0]!.id, operator);
      expect(
        Buffer.from(photo.bytes).equals(
          await faceCrop(badge === 'E1' ? 's1-0' : badge === 'E2' ? 's2-0' : 's3-0'),
        ),
      ).toBe(true);
    }
    const e4 = (await app.store.employees.getByBadge('E4'))!;
    expect(await app.store.templates.listByEmployee(e4.id)).toMatchObject([
      { id: old.get('E4')!.id, model: oldEngine.info.model, photoKey: null },
    ]);

    // The running process matches at once: the gallery took the new templates (and the employees' status).
    expect(app.gallery.size()).toBe(3);
    const hit = await app.services.identification.identify(probe, operator);
    expect(hit).toMatchObject({ decision: 'match', employee: { badge: 'E2', firstName: 'Bea' } });
    const other = await transform(await faceCrop('s1-0'), 'recompress');
    expect((await app.services.identification.identify(other, operator)).employee?.badge).toBe('E1');

    const rows = async () =>
      JSON.stringify(
        (await app.store.templates.listByEmployee((await app.store.employees.getByBadge('E1'))!.id)).concat(
          await app.store.templates.listByEmployee(e4.id),
        ),
      );
    const afterFirst = await rows();
    const second = await app.services.templateUpgrade.upgrade(operator);
    expect(second).toMatchObject({ stale: 1, withPhoto: 0, upgraded: 0 });
    expect(second.needsReEnrollment.map((n) => n.employee.badge)).toEqual(['E4']);
    expect(await rows()).toBe(afterFirst);
    expect(await app.store.templates.count()).toBe(4);

    const { items } = await app.store.audit.query({ action: 'templates.upgrade' });
    expect(items.map((e) => e.outcome).sort()).toEqual(['dry_run', 'partial', 'partial']);
    expect(JSON.stringify(items)).not.toMatch(/embedding/);

    // After a restart the store alone gives the same gallery.
    await close(app);
    const restarted = await open(dir, engine);
    expect(restarted.startup).toMatchObject({ templatesLoaded: 3, templatesSkipped: 1 });
    expect((await restarted.services.identification.identify(probe, operator)).employee?.badge).toBe('E2');
  });

  it('upgrades through the admin API, and the server matches the rebuilt templates at once', async () => {
    const { dir } = await oldGallery();
    const api = await openApi(engine, {}, dir);
    try {
      const admin = bearer(await setupAdmin(api));
      const probe = await transform(await faceCrop('s3-0'), 'flip');
      const before = await api.server.inject(imagePost('/v1/authenticate', probe, admin));
      expect(body(before).decision).toBe('no_match');

      const res = await api.server.inject({
        method: 'POST',
        url: '/v1/templates/upgrade',
        headers: admin,
        payload: { dryRun: false },
      });
      expect(res.statusCode, res.body).toBe(200);
      const summary = body<Record<string, unknown>>(res);
      expect(summary).toMatchObject({ dryRun: false, stale: 4, upgraded: 3 });
      expect(summary.needsReEnrollment).toEqual([
        expect.objectContaining({
          faceId: expect.any(String),
          employee: expect.objectContaining({ badge: 'E4' }),
        }),
      ]);
      expect(res.body).not.toMatch(/embedding|templateId/);

      const after = await api.server.inject(imagePost('/v1/authenticate', probe, admin));
      expect(body(after)).toMatchObject({ decision: 'match', employee: { badge: 'E3' } });

      const bad = await api.server.inject({
        method: 'POST',
        url: '/v1/templates/upgrade',
        headers: admin,
        payload: { dryRun: 'maybe', extra: 1 },
      });
      expect(bad.statusCode).toBe(400);
    } finally {
      await api.close();
    }
  });

  it('facegate templates upgrade --dry-run prints the JSON summary and changes nothing', async () => {
    const { dir, old } = await oldGallery();
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'templates', 'upgrade', '--dry-run'],
      {
        cwd: process.cwd(),
        env: {
          ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FACEGATE_'))),
          FACEGATE_ENV: 'test',
          FACEGATE_DATA_DIR: dir,
          FACEGATE_LOG_LEVEL: 'silent',
        },
        timeout: 60_000,
      },
    );
    const summary = JSON.parse(stdout) as TemplateUpgradeSummary;
    expect(summary).toMatchObject({
      dryRun: true,
      engine: { model: engine.info.model },
      stale: 4,
      withPhoto: 3,
      upgraded: 0,
    });
    expect(summary.needsReEnrollment[0]).toMatchObject({
      templateId: old.get('E4')!.id,
      employee: { badge: 'E4' },
    });
    const app = await open(dir, engine);
    expect(app.startup.templatesSkipped).toBe(4);
  });
});
