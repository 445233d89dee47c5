import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop, groupPhoto, transform } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  createUser,
  errorCode,
  type FilePart,
  formPost,
  login,
  openStaffedApi,
  type StaffedApi,
} from './api-test-kit.js';

interface EnrollNew {
  employee: { id: string; badge: string; firstName: string; templateCount?: number } | null;
  created: boolean;
  added: number;
  photos: Array<{ file?: string; accepted: boolean; reasons: Array<{ code: string }> }>;
}

let api: StaffedApi;
let admin: Record<string, string>;
let face: Buffer;
let group: Buffer;

async function enroll(headers: Record<string, string>, files: FilePart[], fields: Record<string, string>) {
  return api.server.inject(formPost('/v1/employees/enroll', headers, files, fields));
}

async function employeeCount(): Promise<number> {
  const res = await api.server.inject({ method: 'GET', url: '/v1/employees', headers: admin });
  return body<{ total: number }>(res).total;
}

beforeAll(async () => {
  api = await openStaffedApi();
  admin = api.admin;
  face = await faceCrop('s6-0');
  group = await groupPhoto(3);
});

afterAll(async () => {
  await api?.close();
});

describe('POST /v1/employees/enroll (create an employee only together with a face)', () => {
  it('creates the employee with its accepted photo and reports the rejected one', async () => {
    const res = await enroll(
      admin,
      [
        { bytes: face, name: 'nina.jpg' },
        { bytes: group, name: 'group.jpg' },
      ],
      { badge: 'N-1', firstName: 'Nina', lastName: 'Newcomer', department: 'Ops' },
    );
    expect(res.statusCode).toBe(201);
    const result = body<EnrollNew>(res);
    expect(result).toMatchObject({ created: true, added: 1 });
    expect(result.employee).toMatchObject({ badge: 'N-1', firstName: 'Nina', templateCount: 1 });
    expect(result.photos.map((p) => [p.file, p.accepted])).toEqual([
      ['nina.jpg', true],
      ['group.jpg', false],
    ]);
    expect(result.photos[1]?.reasons.map((r) => r.code)).toContain('MULTIPLE_FACES');
  });

  it('creates nobody when every photo is rejected', async () => {
    const before = await employeeCount();
    const res = await enroll(admin, [{ bytes: group, name: 'group.jpg' }], {
      badge: 'N-2',
      firstName: 'Nobody',
      lastName: 'Accepted',
    });
    expect(res.statusCode).toBe(200);
    const result = body<EnrollNew>(res);
    expect(result).toMatchObject({ employee: null, created: false, added: 0 });
    expect(result.photos[0]?.reasons.map((r) => r.code)).toContain('MULTIPLE_FACES');
    expect(await employeeCount()).toBe(before);
    const search = await api.server.inject({
      method: 'GET',
      url: '/v1/employees?search=N-2',
      headers: admin,
    });
    expect(body<{ total: number }>(search).total).toBe(0);
  });

  it('adds photos to an existing badge without creating anyone', async () => {
    const res = await enroll(admin, [{ bytes: await transform(face, 'crop'), name: 'nina-2.jpg' }], {
      badge: 'N-1',
      firstName: 'Nina',
      lastName: 'Newcomer',
    });
    expect(res.statusCode).toBe(200);
    expect(body<EnrollNew>(res)).toMatchObject({
      created: false,
      added: 1,
      employee: { badge: 'N-1', templateCount: 2 },
    });
  });

  it('refuses bad fields, non-multipart bodies and roles that may not enroll, changing nothing', async () => {
    const before = await employeeCount();
    const missing = await enroll(admin, [{ bytes: face }], { badge: 'N-3', firstName: 'No' });
    expect(missing.statusCode).toBe(400);
    expect(errorCode(missing)).toBe('VALIDATION_FAILED');
    const json = await api.server.inject({
      method: 'POST',
      url: '/v1/employees/enroll',
      headers: admin,
      payload: { badge: 'N-4', firstName: 'Json', lastName: 'Body' },
    });
    expect(json.statusCode).toBe(415);
    await createUser(api, api.adminToken, 'audrey', 'auditor');
    const auditor = bearer(await login(api, 'audrey'));
    for (const headers of [auditor, api.kiosk]) {
      const refused = await enroll(headers, [{ bytes: face }], {
        badge: 'N-5',
        firstName: 'A',
        lastName: 'B',
      });
      expect(refused.statusCode).toBe(403);
    }
    expect(await employeeCount()).toBe(before);
  });
});
