import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WELCOME_PHOTO_TTL_SECONDS } from '../../../src/services/welcome-photo-pass.js';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  createKey,
  enrollEmployee,
  errorCode,
  imagePost,
  multipart,
  openStaffedApi,
  type StaffedApi,
} from './api-test-kit.js';

interface Decision {
  decision: string;
  employee?: { id: string; badge: string; photoUrl?: string };
}

let api: StaffedApi;
let admin: Record<string, string>;
let kioskA: Record<string, string>;
let kioskB: Record<string, string>;
let ada: Buffer;
const employees: Record<string, { id: string; photoId: string }> = {};

async function enroll(badge: string, firstName: string, photo: Buffer) {
  const id = await enrollEmployee(api, admin, { badge, firstName, lastName: 'Welcome' }, photo);
  const faces = await api.server.inject({ method: 'GET', url: `/v1/employees/${id}/faces`, headers: admin });
  const photoId = body<{ items: Array<{ photoId: string }> }>(faces).items[0]?.photoId ?? '';
  employees[badge] = { id, photoId };
}

async function authenticate(headers: Record<string, string>): Promise<Decision> {
  const res = await api.server.inject(imagePost('/v1/authenticate', await transform(ada, 'flip'), headers));
  expect(res.statusCode).toBe(200);
  const decision = body<Decision>(res);
  expect(decision).toMatchObject({ decision: 'match', employee: { badge: 'W-1' } });
  return decision;
}

async function showPhoto(on: boolean): Promise<void> {
  const res = await api.server.inject({
    method: 'PUT',
    url: '/v1/settings',
    headers: admin,
    payload: { kioskShowPhoto: on },
  });
  expect(body<{ kioskShowPhoto: boolean }>(res).kioskShowPhoto).toBe(on);
}

beforeAll(async () => {
  api = await openStaffedApi();
  admin = api.admin;
  kioskA = api.kiosk;
  kioskB = bearer((await createKey(api, api.adminToken, 'kiosk', 'back door')).secret);
  ada = await faceCrop('s1-0');
  await enroll('W-1', 'Ada', ada);
  await enroll('W-2', 'Grace', await faceCrop('s3-0'));
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(async () => {
  await api?.close();
});

describe('kiosk welcome photo (kiosk.showPhoto setting)', () => {
  it('is off by default: a match carries no photo link', async () => {
    const settings = await api.server.inject({ method: 'GET', url: '/v1/settings', headers: admin });
    expect(body<{ kioskShowPhoto: boolean }>(settings).kioskShowPhoto).toBe(false);
    expect((await authenticate(kioskA)).employee).not.toHaveProperty('photoUrl');
  });

  it('when on, the matching kiosk reads the enrolled photo with its own key', async () => {
    await showPhoto(true);
    const url = (await authenticate(kioskA)).employee?.photoUrl ?? '';
    expect(url).toMatch(/^\/v1\/welcome-photo\/[\w-]{48}\.[0-9a-f]{32}$/);
    const photo = await api.server.inject({ method: 'GET', url, headers: kioskA });
    expect(photo.statusCode).toBe(200);
    expect(photo.headers['content-type']).toBe('image/jpeg');
    expect(photo.headers['cache-control']).toBe('private, no-store');
    expect(Buffer.compare(photo.rawPayload, ada)).toBe(0);
  });

  it('is refused to another kiosk key, without credentials, and after expiry', async () => {
    const url = (await authenticate(kioskA)).employee?.photoUrl ?? '';
    const other = await api.server.inject({ method: 'GET', url, headers: kioskB });
    expect(other.statusCode).toBe(403);
    expect(errorCode(other)).toBe('FORBIDDEN');
    expect((await api.server.inject({ method: 'GET', url })).statusCode).toBe(401);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + (WELCOME_PHOTO_TTL_SECONDS + 1) * 1000);
    const late = await api.server.inject({ method: 'GET', url, headers: kioskA });
    expect(late.statusCode).toBe(403);
  });

  it("never opens another employee's photo to the kiosk", async () => {
    const url = (await authenticate(kioskA)).employee?.photoUrl ?? '';
    const [payload, signature] = url.split('/').pop()?.split('.') ?? [];
    const pass = Buffer.from(payload ?? '', 'base64url');
    expect(pass).toHaveLength(36);
    const grace = employees['W-2']!;
    const hex = (id: string) => Buffer.from(id.replaceAll('-', ''), 'hex');
    const forged = Buffer.concat([hex(grace.id), hex(grace.photoId), pass.subarray(32)]).toString(
      'base64url',
    );
    const res = await api.server.inject({
      method: 'GET',
      url: `/v1/welcome-photo/${forged}.${signature}`,
      headers: kioskA,
    });
    expect(res.statusCode).toBe(403);
    // Nor the general photo route: kiosks hold no photo-read permission.
    const direct = await api.server.inject({
      method: 'GET',
      url: `/v1/employees/${grace.id}/photos/${grace.photoId}`,
      headers: kioskA,
    });
    expect(direct.statusCode).toBe(403);
  });

  it('comes with 1:1 verify matches too, and goes away when the setting is off', async () => {
    const form = multipart([{ bytes: await transform(ada, 'flip') }], { employee: 'W-1' });
    const verify = await api.server.inject({
      method: 'POST',
      url: '/v1/verify',
      headers: { ...kioskA, ...form.headers },
      payload: form.payload,
    });
    const url = body<Decision>(verify).employee?.photoUrl ?? '';
    expect((await api.server.inject({ method: 'GET', url, headers: kioskA })).statusCode).toBe(200);
    await showPhoto(false);
    expect((await authenticate(kioskA)).employee).not.toHaveProperty('photoUrl');
  });
});
