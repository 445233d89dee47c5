import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  createUser,
  enrollEmployee,
  errorCode,
  formPost,
  imagePost,
  login,
  openStaffedApi,
  type StaffedApi,
  uploadFaces,
} from './api-test-kit.js';

let api: StaffedApi;

beforeAll(async () => {
  api = await openStaffedApi();
}, 240_000);

afterAll(async () => {
  await api?.close();
});

const inject = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, headers = {}, payload?: unknown) =>
  api.server.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

describe('kiosk pairing over HTTP', () => {
  it('hands a working kiosk key over once; used codes and junk keys are refused', async () => {
    const started = await inject('POST', '/v1/kiosk/pairings', api.admin, { name: 'Lobby' });
    expect(started.statusCode).toBe(201);
    const { code } = body<{ code: string }>(started);
    const paired = await inject('POST', '/v1/kiosk/pair', {}, { code });
    expect(paired.statusCode).toBe(200);
    const { secret } = body<{ secret: string }>(paired);
    const config = await inject('GET', '/v1/kiosk/config', bearer(secret));
    expect(body(config)).toEqual({
      name: 'Lobby',
      allowPhotoUpload: false,
      setupPinSet: false,
      livenessMode: 'off', // the test kit's setting
      livenessProvider: null, // no challenge under `off`
    });
    expect(errorCode(await inject('POST', '/v1/kiosk/pair', {}, { code }))).toBe('UNAUTHENTICATED');
    expect((await inject('GET', '/v1/kiosk/config', bearer('fg_000000000000_junk'))).statusCode).toBe(401);
    await createUser(api, api.adminToken, 'eno', 'enroller');
    const enroller = await login(api, 'eno');
    expect(errorCode(await inject('POST', '/v1/kiosk/pairings', bearer(enroller), { name: 'x' }))).toBe(
      'FORBIDDEN',
    );
  });
});

describe('one face of an employee', () => {
  it('refuses a wrong face unless confirmed, and deletes one face so that it no longer matches', async () => {
    const own = await faceCrop('s3-0');
    const stranger = await faceCrop('s1-1');
    const id = await enrollEmployee(api, api.admin, { badge: 'F-1', firstName: 'Fay', lastName: 'One' }, own);
    const refused = await uploadFaces(api, api.admin, id, [{ bytes: stranger, name: 'other.jpg' }]);
    expect(
      body<{ added: number; photos: Array<{ reasons: Array<{ code: string }> }> }>(refused),
    ).toMatchObject({
      added: 0,
      photos: [{ reasons: [{ code: 'FACE_MISMATCH' }] }],
    });
    const confirmed = await api.server.inject(
      formPost(`/v1/employees/${id}/faces?confirmMismatch=true`, api.admin, [{ bytes: stranger }]),
    );
    const faceId = body<{ photos: Array<{ faceId: string }> }>(confirmed).photos[0]?.faceId ?? '';
    expect(faceId).toMatch(/^[0-9a-f-]{36}$/);
    const match = () => api.server.inject(imagePost('/v1/authenticate', stranger, api.kiosk));
    expect(body<{ decision: string }>(await match()).decision).toBe('match');

    await createUser(api, api.adminToken, 'aud', 'auditor');
    const auditor = await login(api, 'aud');
    expect(errorCode(await inject('DELETE', `/v1/employees/${id}/faces/${faceId}`, bearer(auditor)))).toBe(
      'FORBIDDEN',
    );
    const other = await enrollEmployee(
      api,
      api.admin,
      { badge: 'F-2', firstName: 'Gil', lastName: 'Two' },
      await faceCrop('s4-0'),
    );
    expect(errorCode(await inject('DELETE', `/v1/employees/${other}/faces/${faceId}`, api.admin))).toBe(
      'NOT_FOUND',
    );
    const deleted = await inject('DELETE', `/v1/employees/${id}/faces/${faceId}`, api.admin);
    expect(body(deleted)).toEqual({ employeeId: id, faceId, photoDeleted: true });
    expect(body<{ decision: string }>(await match()).decision).toBe('no_match');
    const faces = body<{ items: unknown[] }>(await inject('GET', `/v1/employees/${id}/faces`, api.admin));
    expect(faces.items).toHaveLength(1);
  });
});
