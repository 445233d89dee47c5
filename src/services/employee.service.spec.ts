import { describe, expect, it } from 'vitest';
import { type Actor, type Role, rolePolicy } from '../domain/access.js';
import { EmployeeService } from './employee.service.js';
import { validateNewEmployee } from './employee-validation.js';
import { EnrollmentService } from './enrollment.service.js';
import { fakeDeps, vec } from './testing/fake-ports.js';

const cli: Actor = { type: 'cli', id: 'tester' };

function setup() {
  const deps = fakeDeps();
  return { ...deps, employees: new EmployeeService(deps), enrollment: new EnrollmentService(deps) };
}

describe('employee validation', () => {
  it('accepts unicode names, normalises them and trims fields', () => {
    const e = validateNewEmployee({
      badge: ' E-001 ',
      firstName: 'Zoë',
      lastName: 'Nguyễn 李',
      email: ' zoe@example.com ',
      department: '',
    });
    expect(e).toEqual({
      badge: 'E-001',
      firstName: 'Zoë',
      lastName: 'Nguyễn 李',
      email: 'zoe@example.com',
      department: null,
      role: null,
      status: 'active',
    });
    expect(validateNewEmployee({ badge: 'b', firstName: 'Zoe\u0308', lastName: 'x' }).firstName).toBe('Zoë');
  });

  it.each([
    [{ badge: '', firstName: 'A', lastName: 'B' }, 'badge'],
    [{ badge: 'a/../b', firstName: 'A', lastName: 'B' }, 'badge'],
    [{ badge: "1' OR 1=1", firstName: 'A', lastName: 'B' }, 'badge'],
    [{ badge: 'x'.repeat(65), firstName: 'A', lastName: 'B' }, 'badge'],
    [{ badge: 'B1', firstName: '  ', lastName: 'B' }, 'firstName'],
    [{ badge: 'B1', firstName: 'A'.repeat(101), lastName: 'B' }, 'firstName'],
    [{ badge: 'B1', firstName: 'A', lastName: 'B\u0000' }, 'lastName'],
    [{ badge: 'B1', firstName: 'A', lastName: 'B', email: 'not-an-email' }, 'email'],
    [{ badge: 'B1', firstName: 'A', lastName: 'B', status: 'gone' }, 'status'],
  ])('refuses %j (%s)', (input, field) => {
    expect(() => validateNewEmployee(input as never)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', details: expect.objectContaining({ field }) }),
    );
  });
});

describe('EmployeeService', () => {
  it('creates, gets by id or badge, lists with search and paging, and audits', async () => {
    const s = setup();
    const a = await s.employees.create({ badge: 'B1', firstName: 'Ann', lastName: 'Lee' }, cli);
    await s.employees.create({ badge: 'B2', firstName: 'Bo', lastName: 'Ek', email: 'bo@x.io' }, cli);
    expect((await s.employees.get(a.id, cli)).badge).toBe('B1');
    expect((await s.employees.get('B1', cli)).id).toBe(a.id);
    await expect(s.employees.get('B404', cli)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await s.employees.list({ search: 'bo' }, cli)).items.map((e) => e.badge)).toEqual(['B2']);
    const page = await s.employees.list({ limit: 1, offset: 1 }, cli);
    expect(page).toMatchObject({ total: 2, items: [{ badge: 'B2' }] });
    await expect(s.employees.list({ limit: 0 }, cli)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(s.store.state.audit.map((e) => e.action)).toEqual(['employee.create', 'employee.create']);
  });

  it('refuses a taken badge on create and update', async () => {
    const s = setup();
    await s.employees.create({ badge: 'B1', firstName: 'Ann', lastName: 'Lee' }, cli);
    await s.employees.create({ badge: 'B2', firstName: 'Bo', lastName: 'Ek' }, cli);
    await expect(
      s.employees.create({ badge: 'B1', firstName: 'X', lastName: 'Y' }, cli),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(s.employees.update('B2', { badge: 'B1' }, cli)).rejects.toMatchObject({ code: 'CONFLICT' });
    const renamed = await s.employees.update('B2', { badge: 'B3', department: 'R&D' }, cli);
    expect(renamed).toMatchObject({ badge: 'B3', department: 'R&D' });
  });

  it('shows template summaries without embeddings and serves kept photos', async () => {
    const s = setup();
    const bytes = s.engine.define('ann-1', { embedding: vec(0) });
    const r = await s.enrollment.enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [{ bytes }],
      cli,
    );
    const details = await s.employees.getDetails('B1', cli);
    expect(details.templates).toHaveLength(1);
    expect(details.templates[0]).not.toHaveProperty('embedding');
    expect(details.templates[0]).not.toHaveProperty('sourceHash');
    expect(details.templates[0]!.hasPhoto).toBe(true);
    const photo = await s.employees.getPhoto('B1', r.photos[0]!.templateId!, cli);
    expect(photo).toEqual({ bytes, contentType: 'image/jpeg' });
    await expect(s.employees.getPhoto('B1', 'nope', cli)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      s.employees.getPhoto('B1', r.photos[0]!.templateId!, { type: 'api_key', id: 'k', role: 'kiosk' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('views: template counts only for face readers (never auditors), photo ids only for photo readers', async () => {
    const deps = fakeDeps();
    const employees = new EmployeeService({ ...deps, policy: rolePolicy });
    const enrolled = await new EnrollmentService(deps).enrollByBadge(
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee' },
      [{ bytes: deps.engine.define('ann-1', { embedding: vec(0) }) }],
      cli,
    );
    const ann = enrolled.employee!;
    const bo = await employees.create({ badge: 'B2', firstName: 'Bo', lastName: 'Ek' }, cli);
    const as = (role: Role) => employees.views([ann, bo], { type: 'user', id: role, role });
    const full = [
      { employee: ann, templateCount: 1, photoId: enrolled.photos[0]!.templateId },
      { employee: bo, templateCount: 0, photoId: null },
    ];
    expect(await as('admin')).toEqual(full);
    expect(await as('enroller')).toEqual(full);
    expect(await employees.views([ann, bo], cli)).toEqual(full);
    for (const role of ['auditor', 'kiosk'] as const) {
      expect(await as(role)).toEqual([{ employee: ann }, { employee: bo }]);
    }
  });

  it('suspend and reactivate update the gallery eligibility', async () => {
    const s = setup();
    const a = await s.employees.create({ badge: 'B1', firstName: 'Ann', lastName: 'Lee' }, cli);
    expect((await s.employees.suspend('B1', cli)).status).toBe('suspended');
    expect(s.gallery.ineligible.has(a.id)).toBe(true);
    expect((await s.employees.reactivate('B1', cli)).status).toBe('active');
    expect(s.gallery.ineligible.has(a.id)).toBe(false);
    expect(s.store.state.audit.map((e) => e.action).slice(-2)).toEqual([
      'employee.suspend',
      'employee.reactivate',
    ]);
  });
});
