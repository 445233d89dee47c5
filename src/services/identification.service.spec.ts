import { describe, expect, it } from 'vitest';
import type { Actor } from '../domain/access.js';
import { EmployeeService } from './employee.service.js';
import { EnrollmentService } from './enrollment.service.js';
import { IdentificationService } from './identification.service.js';
import { fakeDeps, vec } from './testing/fake-ports.js';

const cli: Actor = { type: 'cli', id: 'tester' };

async function setup() {
  const deps = fakeDeps();
  const s = {
    ...deps,
    enrollment: new EnrollmentService(deps),
    employees: new EmployeeService(deps),
    id: new IdentificationService(deps),
  };
  const ann = await s.enrollment.enrollByBadge(
    { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
    [{ bytes: s.engine.define('ann-1', { embedding: vec(0) }) }],
    cli,
  );
  const bo = await s.enrollment.enrollByBadge(
    { badge: 'B2', firstName: 'Bo', lastName: 'Ek' },
    [{ bytes: s.engine.define('bo-1', { embedding: vec(2) }) }],
    cli,
  );
  return { ...s, annId: ann.employee!.id, boId: bo.employee!.id };
}

describe('IdentificationService.identify', () => {
  it('matches the enrolled person, with score, threshold, engine and timings, and audits the decision', async () => {
    const s = await setup();
    // A slow engine, so the measured total is known to be at least its delay.
    const analyze = s.engine.analyze.bind(s.engine);
    s.engine.analyze = async (image) => {
      await new Promise((resolve) => setTimeout(resolve, 25));
      return analyze(image);
    };
    const probe = s.engine.define('ann-probe', { embedding: vec(0, 0.3) });
    const r = await s.id.identify(probe, cli, { clientIp: '10.0.0.7' });
    expect(r.decision).toBe('match');
    expect(r.employee).toEqual({ id: s.annId, badge: 'B1', firstName: 'Ann', lastName: 'Lee' });
    expect(r.score).toBeCloseTo(Math.cos(0.3), 3);
    // 1:N uses the identify preset (default strict): FPIR grows with the gallery size.
    expect(r).toMatchObject({ threshold: 0.9, preset: 'strict', margin: 0.05, secondBest: 0 });
    expect(r.engine).toEqual({ model: 'fake-model', version: '1' });
    // The whole decision is timed, not the engine's own figure (the fake engine reports 1 ms).
    expect(r.timings.total).toBeGreaterThanOrEqual(20);
    expect(r.timings.total).toBeGreaterThanOrEqual(r.timings.match ?? Number.POSITIVE_INFINITY);
    const audit = s.store.state.audit.at(-1)!;
    expect(audit.durationMs).toBe(Math.round(r.timings.total));
    expect(audit).toMatchObject({
      action: 'identify',
      outcome: 'match',
      employeeId: s.annId,
      ip: '10.0.0.7',
      threshold: 0.9,
      engine: 'fake-model@1',
      actorType: 'cli',
    });
    expect(audit.score).toBeCloseTo(Math.cos(0.3), 3);
  });

  it('answers no_match below the threshold and does not name anyone', async () => {
    const s = await setup();
    const r = await s.id.identify(s.engine.define('stranger', { embedding: vec(1) }), cli);
    expect(r.decision).toBe('no_match');
    expect(r.employee).toBeUndefined();
    expect(r.reasons?.[0]?.code).toBe('NO_MATCH');
    expect(s.store.state.audit.at(-1)).toMatchObject({
      outcome: 'no_match',
      reason: 'NO_MATCH',
      employeeId: null,
    });
  });

  it('uses the identify preset stored in settings, apart from the verify preset', async () => {
    const s = await setup();
    const probe = s.engine.define('ann-far', { embedding: vec(0, 0.6) }); // cos 0.825
    expect(await s.id.identify(probe, cli)).toMatchObject({ decision: 'no_match', preset: 'strict' });
    expect(await s.id.verify('B1', probe, cli)).toMatchObject({ decision: 'match', preset: 'balanced' });
    await s.store.settings.set('match.identifyPreset', 'balanced');
    await s.store.settings.set('match.preset', 'strict');
    expect(await s.id.identify(probe, cli)).toMatchObject({
      decision: 'match',
      threshold: 0.8,
      preset: 'balanced',
    });
    expect(await s.id.verify('B1', probe, cli)).toMatchObject({ decision: 'no_match', threshold: 0.9 });
  });

  it('refuses an ambiguous match where two employees are within the margin', async () => {
    const s = await setup();
    await s.enrollment.enrollByBadge(
      { badge: 'B3', firstName: 'Cy', lastName: 'Twin' },
      [{ bytes: s.engine.define('twin', { embedding: vec(0, 0.2, 1) }) }],
      cli,
      { force: true },
    );
    const r = await s.id.identify(s.engine.define('between', { embedding: vec(0, 0.1, 1) }), cli);
    expect(r.decision).toBe('no_match');
    expect(r.reasons?.[0]?.code).toBe('AMBIGUOUS_MATCH');
  });

  it('asks to retry when the face is unusable or absent', async () => {
    const s = await setup();
    const small = await s.id.identify(
      s.engine.define('ann-small', { embedding: vec(0), issues: ['SMALL_FACE'] }),
      cli,
    );
    expect(small).toMatchObject({ decision: 'retry', reasons: [{ code: 'SMALL_FACE' }] });
    const none = await s.id.identify(s.engine.define('empty', 'NO_FACE'), cli);
    expect(none).toMatchObject({ decision: 'retry', reasons: [{ code: 'NO_FACE' }] });
    expect(s.store.state.audit.at(-1)).toMatchObject({ outcome: 'retry', reason: 'NO_FACE' });
  });

  it('throws image errors with their code, audited as errors', async () => {
    const s = await setup();
    await expect(s.id.identify(new TextEncoder().encode('garbage'), cli)).rejects.toMatchObject({
      code: 'IMAGE_UNREADABLE',
    });
    expect(s.store.state.audit.at(-1)).toMatchObject({ outcome: 'error', reason: 'IMAGE_UNREADABLE' });
  });

  it('never matches a suspended or face-login-locked employee, and matches again once reactivated', async () => {
    const s = await setup();
    const probe = s.engine.define('ann-probe', { embedding: vec(0, 0.1) });
    await s.employees.suspend('B1', cli);
    expect((await s.id.identify(probe, cli)).decision).toBe('no_match');
    await s.employees.reactivate('B1', cli);
    expect((await s.id.identify(probe, cli)).decision).toBe('match');
    await s.employees.lockFaceLogin('B1', cli);
    expect((await s.id.identify(probe, cli)).decision).toBe('no_match');
    await s.employees.clearFaceLoginLock('B1', cli);
    expect((await s.id.identify(probe, cli)).decision).toBe('match');
  });

  it('never matches a suspended employee even when the gallery is out of step', async () => {
    const s = await setup();
    await s.store.employees.update(s.annId, { status: 'suspended' });
    const r = await s.id.identify(s.engine.define('ann-probe', { embedding: vec(0, 0.1) }), cli);
    expect(r).toMatchObject({ decision: 'no_match', reasons: [{ code: 'EMPLOYEE_SUSPENDED' }] });
    expect(s.gallery.ineligible.has(s.annId)).toBe(true);
  });

  it('honours the gallery refusing a match (a suspended look-alike scores as high)', async () => {
    const s = await setup();
    const real = s.gallery.identify.bind(s.gallery);
    s.gallery.identify = (probe, options) => ({
      ...real(probe, options),
      decision: 'no_match',
      reason: 'AMBIGUOUS',
    });
    const r = await s.id.identify(s.engine.define('ann-probe', { embedding: vec(0) }), cli);
    expect(r).toMatchObject({ decision: 'no_match', reasons: [{ code: 'AMBIGUOUS_MATCH' }] });
    expect(r.employee).toBeUndefined();
  });

  it('lets the API name the audit action and refuses actors the policy refuses', async () => {
    const s = await setup();
    await s.id.identify(s.engine.define('ann-probe', { embedding: vec(0) }), cli, {
      auditAction: 'authenticate',
    });
    expect(s.store.state.audit.at(-1)!.action).toBe('authenticate');
    await expect(
      s.id.identify(new Uint8Array(1), { type: 'user', id: 'u1', role: 'auditor' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('IdentificationService.verify', () => {
  it('matches the claimed employee by badge or id, and refuses someone else', async () => {
    const s = await setup();
    const probe = s.engine.define('ann-probe', { embedding: vec(0, 0.2) });
    expect(await s.id.verify('B1', probe, cli)).toMatchObject({
      decision: 'match',
      employee: { badge: 'B1' },
    });
    expect((await s.id.verify(s.annId, probe, cli)).decision).toBe('match');
    const wrong = await s.id.verify('B2', probe, cli);
    expect(wrong).toMatchObject({ decision: 'no_match', reasons: [{ code: 'NO_MATCH' }] });
    expect(wrong.subjectEmployeeId).toBe(s.boId);
    expect(s.store.state.audit.at(-1)).toMatchObject({
      action: 'verify',
      outcome: 'no_match',
      employeeId: s.boId,
    });
  });

  it('answers no_match for unknown, suspended and locked employees', async () => {
    const s = await setup();
    const probe = s.engine.define('ann-probe', { embedding: vec(0) });
    expect((await s.id.verify('NOPE', probe, cli)).reasons?.[0]?.code).toBe('NOT_FOUND');
    await s.employees.suspend('B1', cli);
    expect(await s.id.verify('B1', probe, cli)).toMatchObject({
      decision: 'no_match',
      reasons: [{ code: 'EMPLOYEE_SUSPENDED' }],
    });
    await s.employees.reactivate('B1', cli);
    await s.employees.lockFaceLogin('B1', cli);
    expect((await s.id.verify('B1', probe, cli)).reasons?.[0]?.code).toBe('LOCKED_OUT');
  });
});
