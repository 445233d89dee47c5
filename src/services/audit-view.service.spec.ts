import { describe, expect, it } from 'vitest';
import { AuditService } from '../auth/audit.service.js';
import { type Actor, rolePolicy } from '../domain/access.js';
import { createMemoryStore } from '../store/testing/memory-store.js';
import { AuditViewService } from './audit-view.service.js';

const auditor: Actor = { type: 'user', id: 'u-aud', role: 'auditor', name: 'audrey', ip: null };

async function setup() {
  const store = createMemoryStore();
  const views = new AuditViewService(store, new AuditService({ store, policy: rolePolicy }));
  const ada = await store.employees.create({ badge: 'E-1', firstName: 'Ada', lastName: 'Lovelace' });
  await store.apiKeys.create({
    id: 'k1',
    name: 'Front door',
    prefix: 'f7f32b65aaaa',
    secretHash: 'x',
    role: 'kiosk',
    createdBy: null,
  });
  const base = { outcome: 'match', actorType: 'api_key' as const, actorId: 'k1' };
  await store.audit.append({ ...base, action: 'authenticate', employeeId: ada.id });
  await store.audit.append({ ...base, action: 'identify', employeeId: 'gone-1', details: { badge: 'E-9' } });
  return { store, views, ada };
}

describe('AuditViewService', () => {
  it('names actors by key name and prefix and employees by name and badge, erased ones by badge', async () => {
    const { views } = await setup();
    const page = await views.query(auditor, {});
    const byAction = Object.fromEntries(page.items.map((v) => [v.event.action, v]));
    expect(byAction.authenticate?.actor).toMatchObject({
      label: 'Front door (fg_f7f32b65aaaa_…)',
      exists: true,
    });
    expect(byAction.authenticate?.employee).toMatchObject({
      label: 'Ada Lovelace',
      badge: 'E-1',
      exists: true,
    });
    expect(byAction.identify?.employee).toMatchObject({ label: 'deleted employee E-9', exists: false });
    expect(page.actions).toEqual(['authenticate', 'identify']);
  });

  it('resolves names, badges and key prefixes to ids; an unknown name finds nothing', async () => {
    const { store, ada } = await setup();
    const seen: Array<Record<string, unknown>> = [];
    const views = new AuditViewService(store, {
      async query(_actor, q) {
        seen.push({ actorId: q.actorId, employeeId: q.employeeId });
        return { items: [], nextCursor: null };
      },
    });
    await views.query(auditor, { employeeName: 'lovelace' });
    await views.query(auditor, { employeeName: 'E-1' });
    await views.query(auditor, { actorName: 'fg_f7f32b65aaaa' });
    await views.query(auditor, { actorName: 'front door' });
    expect(seen).toEqual([
      { actorId: undefined, employeeId: ada.id },
      { actorId: undefined, employeeId: ada.id },
      { actorId: 'k1', employeeId: undefined },
      { actorId: 'k1', employeeId: undefined },
    ]);
    expect((await views.query(auditor, { actorName: 'nobody' })).items).toEqual([]);
    expect(seen).toHaveLength(4);
  });
});
