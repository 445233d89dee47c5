import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  createEmployee,
  createUser,
  login,
  openStaffedApi,
  type StaffedApi,
  uploadFaces,
} from './api-test-kit.js';

interface ListedEmployee {
  id: string;
  badge: string;
  templateCount?: number;
  photoId?: string | null;
}

let api: StaffedApi;
let admin: Record<string, string>;
let auditor: Record<string, string>;
const ids: Record<string, string> = {};

async function create(badge: string, photos: Buffer[]): Promise<string> {
  const id = await createEmployee(api, admin, { badge, firstName: 'Test', lastName: badge });
  if (photos.length > 0) {
    const enrolled = await uploadFaces(
      api,
      admin,
      id,
      photos.map((bytes, i) => ({ bytes, name: `${badge}-${i}.jpg` })),
    );
    expect(body<{ added: number }>(enrolled).added).toBe(photos.length);
  }
  return id;
}

beforeAll(async () => {
  api = await openStaffedApi();
  admin = api.admin;
  await createUser(api, api.adminToken, 'audrey', 'auditor');
  auditor = bearer(await login(api, 'audrey'));
  const ada = await faceCrop('s1-0');
  ids.two = await create('T-2', [ada, await transform(ada, 'crop')]);
  ids.none = await create('T-0', []);
  await api.server.inject({
    method: 'PUT',
    url: '/v1/settings',
    headers: admin,
    payload: { keepPhotos: false },
  });
  ids.noPhoto = await create('T-1', [await faceCrop('s3-0')]);
});

afterAll(async () => {
  await api?.close();
});

describe('templateCount and thumbnail photo id in employee answers', () => {
  it('lists counts and first kept photos from one grouped read, never one read per employee', async () => {
    const perEmployee = vi.spyOn(api.app.store.templates, 'listByEmployee');
    const res = await api.server.inject({ method: 'GET', url: '/v1/employees?limit=10', headers: admin });
    expect(res.statusCode).toBe(200);
    expect(perEmployee).not.toHaveBeenCalled();
    perEmployee.mockRestore();
    const items = body<{ items: ListedEmployee[] }>(res).items;
    const byBadge = Object.fromEntries(items.map((e) => [e.badge, e]));
    expect(byBadge['T-2']?.templateCount).toBe(2);
    expect(byBadge['T-0']).toMatchObject({ templateCount: 0, photoId: null });
    expect(byBadge['T-1']).toMatchObject({ templateCount: 1, photoId: null });

    const faces = await api.server.inject({
      method: 'GET',
      url: `/v1/employees/${ids.two}/faces`,
      headers: admin,
    });
    const firstPhoto = body<{ items: Array<{ photoId: string | null }> }>(faces).items[0]?.photoId;
    expect(firstPhoto).toMatch(/^[0-9a-f-]{36}$/);
    expect(byBadge['T-2']?.photoId).toBe(firstPhoto);
  });

  it('gives the count on a single employee too', async () => {
    const res = await api.server.inject({ method: 'GET', url: `/v1/employees/${ids.two}`, headers: admin });
    expect(body<ListedEmployee>(res)).toMatchObject({ templateCount: 2 });
  });

  it('shows auditors neither counts nor photo ids', async () => {
    const list = await api.server.inject({ method: 'GET', url: '/v1/employees', headers: auditor });
    expect(list.statusCode).toBe(200);
    const items = body<{ items: ListedEmployee[] }>(list).items;
    expect(items).toHaveLength(3);
    for (const item of items) {
      expect(item).not.toHaveProperty('templateCount');
      expect(item).not.toHaveProperty('photoId');
    }
    const one = await api.server.inject({ method: 'GET', url: `/v1/employees/${ids.two}`, headers: auditor });
    expect(body<ListedEmployee>(one)).not.toHaveProperty('templateCount');
  });

  it('counts many employees in one store call, unknown ids absent', async () => {
    const summaries = await api.app.store.templates.faceSummaries?.([ids.two!, ids.none!, 'missing']);
    expect(summaries?.get(ids.two!)?.templateCount).toBe(2);
    expect(summaries?.has(ids.none!)).toBe(false);
    expect(summaries?.has('missing')).toBe(false);
  });
});
