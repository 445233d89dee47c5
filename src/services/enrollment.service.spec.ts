import { describe, expect, it } from 'vitest';
import type { Actor } from '../domain/access.js';
import { EmployeeService } from './employee.service.js';
import { EnrollmentService } from './enrollment.service.js';
import { ErasureService } from './erasure.service.js';
import { fakeDeps, vec } from './testing/fake-ports.js';

const cli: Actor = { type: 'cli', id: 'tester' };

function setup(keepPhotos = true) {
  const deps = fakeDeps();
  deps.config.keepPhotos = keepPhotos;
  return {
    ...deps,
    enrollment: new EnrollmentService(deps),
    employees: new EmployeeService(deps),
    erasure: new ErasureService(deps),
  };
}

describe('EnrollmentService', () => {
  it('creates the employee with its accepted templates in one step and indexes them after commit', async () => {
    const s = setup();
    const a1 = s.engine.define('ann-1', { embedding: vec(0) });
    const a2 = s.engine.define('ann-2', { embedding: vec(0, 0.1) });
    const r = await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [
        { bytes: a1, file: 'a1.jpg' },
        { bytes: a2, file: 'a2.jpg' },
      ],
      cli,
    );
    expect(r.created).toBe(true);
    expect(r.added).toBe(2);
    expect(r.photos.map((p) => p.accepted)).toEqual([true, true]);
    expect(s.store.state.templates.size).toBe(2);
    expect(s.gallery.templateCount(r.employee!.id)).toBe(2);
    expect(s.blobs.objects.size).toBe(2);
    const t = [...s.store.state.templates.values()][0]!;
    expect(t).toMatchObject({
      engine: 'fake',
      model: 'fake-model',
      modelVersion: '1',
      photoContentType: 'image/jpeg',
    });
    expect(t.quality).toMatchObject({ faceSize: 100, yaw: 1, detectorScore: 0.99 });
    const audit = s.store.state.audit.at(-1)!;
    expect(audit).toMatchObject({
      action: 'enroll',
      outcome: 'success',
      actorType: 'cli',
      employeeId: r.employee!.id,
    });
    expect(JSON.stringify(audit)).not.toMatch(/embedding|ann-1/);
  });

  it('does not create an employee when no photo is accepted, and returns every reason', async () => {
    const s = setup();
    const none = s.engine.define('none', 'NO_FACE');
    const bad = s.engine.define('bad', { embedding: vec(1), issues: ['SMALL_FACE', 'EXTREME_POSE'] });
    const junk = s.engine.define('junk', 'UNREADABLE');
    const r = await s.enrollment.enrollByBadge(
      { badge: 'B2', firstName: 'Bo', lastName: 'Ek' },
      [{ bytes: none, file: 'none.jpg' }, { bytes: bad, file: 'bad.jpg' }, { bytes: junk }],
      cli,
    );
    expect(r.employee).toBeNull();
    expect(r.created).toBe(false);
    expect(r.photos.map((p) => p.reasons.map((x) => x.code))).toEqual([
      ['NO_FACE'],
      ['SMALL_FACE', 'EXTREME_POSE'],
      ['IMAGE_UNREADABLE'],
    ]);
    expect(r.photos[1]!.reasons[0]).toMatchObject({ value: 1, threshold: 2 });
    expect(s.store.state.employees.size).toBe(0);
    expect(s.blobs.objects.size).toBe(0);
    expect(s.store.state.audit.at(-1)).toMatchObject({
      action: 'enroll',
      outcome: 'refused',
      reason: 'NO_FACE',
    });
  });

  it('is idempotent by photo content: the same photo adds nothing the second time', async () => {
    const s = setup();
    const a1 = s.engine.define('ann-1', { embedding: vec(0) });
    const first = await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [{ bytes: a1 }],
      cli,
    );
    const again = await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [{ bytes: a1 }, { bytes: a1 }],
      cli,
    );
    expect(again.added).toBe(0);
    expect(again.created).toBe(false);
    expect(again.photos[0]).toMatchObject({
      accepted: true,
      alreadyEnrolled: true,
      templateId: first.photos[0]!.templateId,
    });
    expect(again.photos[1]).toMatchObject({ alreadyEnrolled: true });
    expect(s.store.state.templates.size).toBe(1);
    expect(s.gallery.size()).toBe(1);
    expect(s.engine.calls).toBe(1);
  });

  it('refuses a face matching another employee, naming them, unless forced', async () => {
    const s = setup();
    await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [{ bytes: s.engine.define('ann-1', { embedding: vec(0) }) }],
      cli,
    );
    const lookalike = s.engine.define('ann-2', { embedding: vec(0, 0.2) });
    const refused = await s.enrollment.enrollByBadge(
      { badge: 'B9', firstName: 'Eve', lastName: 'X' },
      [{ bytes: lookalike }],
      cli,
    );
    expect(refused.employee).toBeNull();
    const reason = refused.photos[0]!.reasons[0]!;
    expect(reason).toMatchObject({
      code: 'DUPLICATE_FACE',
      threshold: 0.8,
      employee: { badge: 'B1', firstName: 'Ann' },
    });
    expect(reason.value).toBeGreaterThan(0.9);
    expect(reason.message).toContain('B1');

    const forced = await s.enrollment.enrollByBadge(
      { badge: 'B9', firstName: 'Eve', lastName: 'X' },
      [{ bytes: lookalike }],
      cli,
      { force: true },
    );
    expect(forced.created).toBe(true);
    expect(forced.photos[0]!.accepted).toBe(true);
    expect(s.store.state.audit.at(-1)!.details).toMatchObject({ forcedDuplicateOf: [expect.any(String)] });
  });

  it('counts the same photo twice in one request once', async () => {
    const s = setup();
    const a1 = s.engine.define('ann-1', { embedding: vec(0) });
    const r = await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [{ bytes: a1 }, { bytes: a1 }],
      cli,
    );
    expect(r.added).toBe(1);
    expect(r.photos[1]).toMatchObject({
      accepted: true,
      alreadyEnrolled: true,
      templateId: r.photos[0]!.templateId,
    });
  });

  it('lets only one of two concurrent look-alike enrollments through', async () => {
    const s = setup();
    const [a, b] = await Promise.all([
      s.enrollment.enrollByBadge(
        { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
        [{ bytes: s.engine.define('x-1', { embedding: vec(0) }) }],
        cli,
      ),
      s.enrollment.enrollByBadge(
        { badge: 'B2', firstName: 'Ann', lastName: 'Twin' },
        [{ bytes: s.engine.define('x-2', { embedding: vec(0, 0.05) }) }],
        cli,
      ),
    ]);
    expect([a!.added, b!.added].sort()).toEqual([0, 1]);
    expect(s.store.state.employees.size).toBe(1);
  });

  it('does not count the employee’s own faces as duplicates', async () => {
    const s = setup();
    const r = await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [{ bytes: s.engine.define('ann-1', { embedding: vec(0) }) }],
      cli,
    );
    const more = await s.enrollment.enrollPhotos(
      r.employee!.badge,
      [{ bytes: s.engine.define('ann-2', { embedding: vec(0, 0.1) }) }],
      cli,
    );
    expect(more.added).toBe(1);
  });

  it('refuses a face that does not match the employee’s own faces unless the enroller confirms, and audits it', async () => {
    const s = setup();
    const r = await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [{ bytes: s.engine.define('ann-1', { embedding: vec(0) }) }],
      cli,
    );
    const stranger = s.engine.define('eve-1', { embedding: vec(2) });
    const refused = await s.enrollment.enrollPhotos(r.employee!.id, [{ bytes: stranger }], cli);
    expect(refused.added).toBe(0);
    expect(refused.photos[0]).toMatchObject({
      accepted: false,
      reasons: [{ code: 'FACE_MISMATCH', threshold: 0.8 }],
    });
    expect(s.gallery.templateCount(r.employee!.id)).toBe(1);
    expect(s.store.state.audit.at(-1)).toMatchObject({ outcome: 'refused', reason: 'FACE_MISMATCH' });

    const confirmed = await s.enrollment.enrollPhotos(r.employee!.id, [{ bytes: stranger }], cli, {
      confirmMismatch: true,
    });
    expect(confirmed.added).toBe(1);
    expect(confirmed.photos[0]).toMatchObject({ accepted: true, reasons: [{ code: 'FACE_MISMATCH' }] });
    expect(s.store.state.audit.at(-1)).toMatchObject({
      outcome: 'success',
      details: { mismatchConfirmed: true, mismatchScores: [0] },
    });
  });

  it('deletes one face: template, photo and gallery entry, audited; another employee’s face is not found', async () => {
    const s = setup();
    const r = await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [
        { bytes: s.engine.define('ann-1', { embedding: vec(0) }) },
        { bytes: s.engine.define('ann-2', { embedding: vec(0, 0.1) }) },
      ],
      cli,
    );
    const other = await s.enrollment.enrollByBadge(
      { badge: 'B2', firstName: 'Bo', lastName: 'Ek' },
      [{ bytes: s.engine.define('bo-1', { embedding: vec(2) }) }],
      cli,
    );
    const [first] = r.photos;
    await expect(
      s.enrollment.deleteFace(r.employee!.id, other.photos[0]!.templateId!, cli),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const deleted = await s.enrollment.deleteFace(r.employee!.id, first!.templateId!, cli);
    expect(deleted).toMatchObject({ photoDeleted: true, galleryEntryRemoved: true });
    expect(s.store.state.templates.has(first!.templateId!)).toBe(false);
    expect(s.gallery.templateCount(r.employee!.id)).toBe(1);
    expect(s.blobs.objects.size).toBe(2);
    expect(s.store.state.audit.at(-1)).toMatchObject({
      action: 'face.delete',
      employeeId: r.employee!.id,
      details: { templateId: first!.templateId, remaining: 1 },
    });
  });

  it('refuses the exact same photo for a different employee', async () => {
    const s = setup();
    const a1 = s.engine.define('ann-1', { embedding: vec(0) });
    await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [{ bytes: a1 }],
      cli,
    );
    const r = await s.enrollment.enrollByBadge(
      { badge: 'B2', firstName: 'Bo', lastName: 'Ek' },
      [{ bytes: a1 }],
      cli,
      {
        force: true,
      },
    );
    expect(r.photos[0]!.reasons[0]!.code).toBe('DUPLICATE_FACE');
    expect(s.store.state.employees.size).toBe(1);
  });

  it('rolls back employee and templates when the transaction fails, removes its blobs, and leaves the gallery alone', async () => {
    const s = setup();
    s.store.failNextTemplateAdd = true;
    await expect(
      s.enrollment.enrollByBadge(
        { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
        [{ bytes: s.engine.define('ann-1', { embedding: vec(0) }) }],
        cli,
      ),
    ).rejects.toThrow('disk full');
    expect(s.store.state.employees.size).toBe(0);
    expect(s.store.state.templates.size).toBe(0);
    expect(s.gallery.size()).toBe(0);
    expect(s.blobs.objects.size).toBe(0);
  });

  it('sweeps blobs that no template references', async () => {
    const s = setup();
    await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [{ bytes: s.engine.define('ann-1', { embedding: vec(0) }) }],
      cli,
    );
    await s.blobs.put(new TextEncoder().encode('orphan'));
    expect(await s.enrollment.sweepOrphanBlobs()).toBe(1);
    expect(s.blobs.objects.size).toBe(1);
  });

  it('keeps no photo when keepPhotos is off', async () => {
    const s = setup(false);
    const r = await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [{ bytes: s.engine.define('ann-1', { embedding: vec(0) }) }],
      cli,
    );
    expect(r.added).toBe(1);
    expect(s.blobs.objects.size).toBe(0);
    expect([...s.store.state.templates.values()][0]!.photoKey).toBeNull();
  });

  it('validates the new employee before running the engine, and needs a photo', async () => {
    const s = setup();
    await expect(
      s.enrollment.enrollByBadge(
        { badge: 'bad badge', firstName: 'A', lastName: 'B' },
        [{ bytes: new Uint8Array(1) }],
        cli,
      ),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      s.enrollment.enrollByBadge({ badge: 'B1', firstName: 'A', lastName: 'B' }, [], cli),
    ).rejects.toMatchObject({
      code: 'IMAGE_MISSING',
    });
    expect(s.engine.calls).toBe(0);
  });

  it('asks the policy first: a kiosk key cannot enroll under the default policy', async () => {
    const s = setup();
    await expect(
      s.enrollment.enrollByBadge(
        { badge: 'B1', firstName: 'A', lastName: 'B' },
        [{ bytes: new Uint8Array(1) }],
        {
          type: 'api_key',
          id: 'k1',
          role: 'kiosk',
        },
      ),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('ErasureService', () => {
  it('erases employee, templates, photos and gallery entry, verifies, and audits without biometrics', async () => {
    const s = setup();
    const ann = await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [
        { bytes: s.engine.define('ann-1', { embedding: vec(0) }) },
        { bytes: s.engine.define('ann-2', { embedding: vec(0, 0.1) }) },
      ],
      cli,
    );
    await s.enrollment.enrollByBadge(
      { badge: 'B2', firstName: 'Bo', lastName: 'Ek' },
      [{ bytes: s.engine.define('bo-1', { embedding: vec(2) }) }],
      cli,
    );
    const report = await s.erasure.deleteEmployee('B1', cli);
    expect(report).toMatchObject({
      employeeId: ann.employee!.id,
      badge: 'B1',
      templatesDeleted: 2,
      photosDeleted: 2,
      galleryEntriesRemoved: 2,
      verified: { employeeRow: true, templates: true, photos: true, galleryIndex: true },
    });
    expect(s.store.state.employees.size).toBe(1);
    expect(s.store.state.templates.size).toBe(1);
    expect(s.blobs.objects.size).toBe(1);
    expect(s.gallery.templateCount(ann.employee!.id)).toBe(0);
    const audit = s.store.state.audit.at(-1)!;
    expect(audit).toMatchObject({
      action: 'employee.delete',
      employeeId: ann.employee!.id,
      actorId: 'tester',
    });
    expect(audit.details).toEqual({ badge: 'B1', templatesDeleted: 2 });
    await expect(s.erasure.deleteEmployee('B1', cli)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
