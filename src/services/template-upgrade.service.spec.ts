import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../crypto/hash.js';
import type { Actor } from '../domain/access.js';
import type { Employee } from '../domain/models.js';
import { EnrollmentService } from './enrollment.service.js';
import { TemplateUpgradeService } from './template-upgrade.service.js';
import { FakeGallery, fakeDeps, vec } from './testing/fake-ports.js';

const cli: Actor = { type: 'cli', id: 'tester' };
const OLD = { model: 'old-model', modelVersion: '0' };

/** The fake gallery plus the one method the upgrade needs beyond the services' view. */
class UpgradeFakeGallery extends FakeGallery {
  override removeTemplate(templateId: string): boolean {
    for (const [employeeId, list] of this.templates) {
      const kept = list.filter((t) => t.id !== templateId);
      if (kept.length === list.length) continue;
      this.templates.set(employeeId, kept);
      return true;
    }
    return false;
  }
}

function setup() {
  const deps = { ...fakeDeps(), gallery: new UpgradeFakeGallery() };
  return {
    ...deps,
    upgrade: new TemplateUpgradeService(deps),
    enrollment: new EnrollmentService(deps),
    employee(badge: string, firstName = `First ${badge}`): Promise<Employee> {
      return deps.store.employees.create({ badge, firstName, lastName: 'Old' });
    },
    /** A template of the old model, with its photo kept unless `photo` is false. */
    async stale(
      employee: Employee,
      label: string,
      options: { photo?: boolean; embedding?: Float32Array } = {},
    ) {
      const bytes = new TextEncoder().encode(label);
      const photoKey = options.photo === false ? null : await deps.blobs.put(bytes, 'image/png');
      return deps.store.templates.add(employee.id, {
        embedding: options.embedding ?? vec(3),
        engine: 'fake',
        ...OLD,
        quality: { faceSize: 1, sharpness: 1, brightness: 1, yaw: 0, pitch: 0, roll: 0, detectorScore: 1 },
        sourceHash: sha256Hex(bytes),
        photoKey,
        photoContentType: photoKey ? 'image/png' : null,
      });
    },
  };
}

describe('TemplateUpgradeService', () => {
  it('replaces each stale template by one of the current model from the same kept photo', async () => {
    const s = setup();
    const ann = await s.employee('A1', 'Ann');
    const old1 = await s.stale(ann, 'ann-1');
    const old2 = await s.stale(ann, 'ann-2');
    s.engine.define('ann-1', { embedding: vec(0) });
    s.engine.define('ann-2', { embedding: vec(0, 0.1) });

    const r = await s.upgrade.upgrade(cli);

    expect(r).toMatchObject({
      dryRun: false,
      engine: { model: 'fake-model', version: '1' },
      stale: 2,
      employees: 1,
      withPhoto: 2,
      upgraded: 2,
      needsReEnrollment: [],
      lookAlikes: [],
    });
    const templates = [...s.store.state.templates.values()];
    expect(templates).toHaveLength(2);
    expect(templates.map((t) => t.id)).not.toContain(old1.id);
    expect(templates.map((t) => t.id)).not.toContain(old2.id);
    for (const [t, old] of [
      [templates.find((x) => x.sourceHash === old1.sourceHash), old1],
      [templates.find((x) => x.sourceHash === old2.sourceHash), old2],
    ] as const) {
      expect(t).toMatchObject({
        employeeId: ann.id,
        model: 'fake-model',
        modelVersion: '1',
        photoKey: old.photoKey,
        photoContentType: 'image/png',
      });
    }
    // The blob store is untouched: the new templates point at the same photos.
    expect(s.blobs.objects.size).toBe(2);
    // Gallery: the new templates are indexed (eligibility on the real gallery: medium test).
    expect(s.gallery.templateCount(ann.id)).toBe(2);
    expect(s.gallery.identify(vec(0), { threshold: 0.8, margin: 0 })).toMatchObject({
      decision: 'match',
      best: { employeeId: ann.id },
    });

    expect(s.store.state.audit).toHaveLength(1);
    const audit = s.store.state.audit[0]!;
    expect(audit).toMatchObject({
      action: 'templates.upgrade',
      outcome: 'success',
      actorType: 'cli',
      actorId: 'tester',
      engine: 'fake-model@1',
      details: { dryRun: false, stale: 2, upgraded: 2, needsReEnrollment: 0 },
    });
    expect(JSON.stringify(audit)).not.toMatch(/embedding|ann-1/);
  });

  it('leaves templates it cannot rebuild and names their employees for re-enrollment', async () => {
    const s = setup();
    const bea = await s.employee('B1', 'Bea');
    const cleo = await s.employee('C1', 'Cleo');
    const dora = await s.employee('D1', 'Dora');
    const eve = await s.employee('E1', 'Eve');
    const noPhoto = await s.stale(bea, 'bea-1', { photo: false });
    const noFace = await s.stale(cleo, 'cleo-1');
    const blurred = await s.stale(dora, 'dora-1');
    const lost = await s.stale(eve, 'eve-1');
    s.engine.define('cleo-1', 'NO_FACE');
    s.engine.define('dora-1', { embedding: vec(1), issues: ['LOW_SHARPNESS'] });
    s.engine.define('eve-1', { embedding: vec(2) });
    await s.blobs.delete(lost.photoKey!);

    const r = await s.upgrade.upgrade(cli);

    expect(r).toMatchObject({ stale: 4, employees: 4, withPhoto: 2, upgraded: 0 });
    const byBadge = Object.fromEntries(
      r.needsReEnrollment.map((n) => [n.employee.badge, { ...n, codes: n.reasons.map((x) => x.code) }]),
    );
    expect(byBadge.B1).toMatchObject({
      templateId: noPhoto.id,
      employee: { id: bea.id, badge: 'B1', firstName: 'Bea', lastName: 'Old' },
      ...OLD,
      codes: ['NO_PHOTO'],
    });
    expect(byBadge.C1).toMatchObject({ templateId: noFace.id, codes: ['NO_FACE'] });
    expect(byBadge.D1).toMatchObject({ templateId: blurred.id, codes: ['LOW_SHARPNESS'] });
    expect(byBadge.E1).toMatchObject({ templateId: lost.id, codes: ['PHOTO_MISSING'] });
    expect(s.engine.calls).toBe(2);
    // Nothing was removed: every employee keeps the template it had.
    expect([...s.store.state.templates.keys()].sort()).toEqual(
      [noPhoto.id, noFace.id, blurred.id, lost.id].sort(),
    );
    expect(s.gallery.size()).toBe(0);
    expect(s.store.state.audit.at(-1)).toMatchObject({
      outcome: 'partial',
      details: { stale: 4, upgraded: 0, needsReEnrollment: 4 },
    });
  });

  it('only counts in a dry run: no engine call, no write but the audit event', async () => {
    const s = setup();
    const ann = await s.employee('A1');
    const bea = await s.employee('B1');
    await s.stale(ann, 'ann-1');
    await s.stale(bea, 'bea-1', { photo: false });
    s.engine.define('ann-1', { embedding: vec(0) });
    const before = structuredClone([...s.store.state.templates.values()]);

    const r = await s.upgrade.upgrade(cli, { dryRun: true });

    expect(r).toMatchObject({ dryRun: true, stale: 2, employees: 2, withPhoto: 1, upgraded: 0 });
    expect(r.needsReEnrollment.map((n) => [n.employee.badge, n.reasons[0]!.code])).toEqual([
      ['B1', 'NO_PHOTO'],
    ]);
    expect(s.engine.calls).toBe(0);
    expect([...s.store.state.templates.values()]).toEqual(before);
    expect(s.gallery.size()).toBe(0);
    expect(s.store.state.audit).toHaveLength(1);
    expect(s.store.state.audit[0]).toMatchObject({ outcome: 'dry_run', details: { dryRun: true, stale: 2 } });
  });

  it('does nothing on a second run, and leaves current-model templates alone', async () => {
    const s = setup();
    s.engine.define('cur-1', { embedding: vec(1) });
    const current = await s.enrollment.enrollByBadge(
      { badge: 'C1', firstName: 'Cur', lastName: 'Rent' },
      [{ bytes: new TextEncoder().encode('cur-1') }],
      cli,
    );
    const ann = await s.employee('A1');
    await s.stale(ann, 'ann-1');
    s.engine.define('ann-1', { embedding: vec(0) });

    expect((await s.upgrade.upgrade(cli)).upgraded).toBe(1);
    const afterFirst = structuredClone([...s.store.state.templates.values()]);
    const calls = s.engine.calls;

    const second = await s.upgrade.upgrade(cli);

    expect(second).toMatchObject({ stale: 0, employees: 0, upgraded: 0, needsReEnrollment: [] });
    expect(s.engine.calls).toBe(calls);
    expect([...s.store.state.templates.values()]).toEqual(afterFirst);
    expect(afterFirst.map((t) => t.id)).toContain(current.photos[0]!.templateId);
    expect(s.gallery.size()).toBe(2);
    expect(s.store.state.audit.at(-1)).toMatchObject({ action: 'templates.upgrade', outcome: 'unchanged' });
  });

  it('keeps the old template when the replacing transaction fails (never neither)', async () => {
    const s = setup();
    const ann = await s.employee('A1');
    const old = await s.stale(ann, 'ann-1');
    s.engine.define('ann-1', { embedding: vec(0) });
    s.store.failNextTemplateAdd = true;

    await expect(s.upgrade.upgrade(cli)).rejects.toThrow('disk full');

    expect([...s.store.state.templates.keys()]).toEqual([old.id]);
    expect(s.store.state.templates.get(old.id)).toMatchObject(OLD);
    expect(s.gallery.size()).toBe(0);
    expect(s.store.state.audit.at(-1)).toMatchObject({ outcome: 'failure', reason: 'INTERNAL' });
    // A later run completes it.
    expect((await s.upgrade.upgrade(cli)).upgraded).toBe(1);
  });

  it('accepts a photo resembling another employee but reports it; never compares with her own templates', async () => {
    const s = setup();
    s.engine.define('cur-1', { embedding: vec(0) });
    await s.enrollment.enrollByBadge(
      { badge: 'C1', firstName: 'Cur', lastName: 'Rent' },
      [{ bytes: new TextEncoder().encode('cur-1') }],
      cli,
    );
    const twin = await s.employee('T1', 'Twin');
    await s.stale(twin, 'twin-1');
    s.engine.define('twin-1', { embedding: vec(0, 0.05) });
    const self = await s.employee('S1', 'Self');
    await s.stale(self, 'self-1');
    await s.stale(self, 'self-2');
    s.engine.define('self-1', { embedding: vec(2) });
    s.engine.define('self-2', { embedding: vec(2, 0.01) });

    const r = await s.upgrade.upgrade(cli);

    expect(r.upgraded).toBe(3);
    expect(r.lookAlikes).toEqual([
      {
        templateId: expect.any(String),
        employee: expect.objectContaining({ badge: 'T1' }),
        resembles: expect.objectContaining({ badge: 'C1' }),
        score: expect.any(Number),
        threshold: 0.8,
      },
    ]);
    expect(s.gallery.templateCount(twin.id)).toBe(1);
  });

  it('checks the policy first and refuses a second concurrent run', async () => {
    const s = setup();
    const kiosk: Actor = { type: 'api_key', id: 'k1', role: 'kiosk' };
    await expect(s.upgrade.upgrade(kiosk)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(s.store.state.audit).toHaveLength(0);

    const ann = await s.employee('A1');
    await s.stale(ann, 'ann-1');
    s.engine.define('ann-1', { embedding: vec(0) });
    const first = s.upgrade.upgrade(cli);
    await expect(s.upgrade.upgrade(cli)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await s.upgrade.upgrade(cli, { dryRun: true })).dryRun).toBe(true);
    expect((await first).upgraded).toBe(1);
  });
});
