import { crc32, deflateSync } from 'node:zlib';
import type { InjectOptions } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop, groupPhoto, transform } from '../../fixtures/sample-faces.js';
import {
  bearer,
  body,
  enrollEmployee,
  errorCode,
  type FilePart,
  formPost,
  imagePost,
  openStaffedApi,
  type StaffedApi,
} from './api-test-kit.js';

const MAX_IMAGE_BYTES = 3 * 1024 * 1024;

let api: StaffedApi;
let employeeId: string;
let face: Buffer;

beforeAll(async () => {
  api = await openStaffedApi({ engine: { maxImageBytes: MAX_IMAGE_BYTES } });
  face = await faceCrop('s2-0');
  employeeId = await enrollEmployee(
    api,
    api.admin,
    { badge: 'BAD-1', firstName: 'Bad', lastName: 'Input' },
    face,
  );
});
afterAll(async () => {
  await api?.close();
});

/** A PNG chunk. */
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A real decompression bomb: 8000×8000 grey PNG whose IDAT inflates to 64 MB from a few dozen KB. */
function pngBomb(): Buffer {
  const side = 8000;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((side + 1) * side); // filter byte 0 + zero pixels per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG whose header claims 20 000 × 20 000 pixels (SOF dimensions patched). */
function hugeJpeg(jpeg: Buffer): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i < out.length - 9; i++) {
    if (out[i] === 0xff && out[i + 1] !== undefined && out[i + 1]! >= 0xc0 && out[i + 1]! <= 0xc2) {
      out.writeUInt16BE(20_000, i + 5);
      out.writeUInt16BE(20_000, i + 7);
      return out;
    }
  }
  throw new Error('no SOF marker');
}

async function animatedGif(): Promise<Buffer> {
  const frame = await sharp(face).resize(200, 240).raw().toBuffer();
  return sharp(Buffer.concat([frame, frame]), { raw: { width: 200, height: 480, channels: 3 } })
    .gif({ loop: 0 })
    .toBuffer()
    .then((gif) => sharp(gif, { pages: -1 }).gif().toBuffer());
}

/** What every data-bearing table and the blob store look like (the audit grows, by design). */
async function snapshot(): Promise<string> {
  const store = api.app.store;
  const employees = await store.employees.list({ limit: 1000, offset: 0 });
  const templates = await store.templates.count();
  const users = (await store.users.list()).map((u) => [u.id, u.role, u.disabled]);
  const keys = (await store.apiKeys.list()).map((k) => [k.id, k.revokedAt]);
  const blobs: string[] = [];
  for await (const key of api.app.blobs.list()) blobs.push(key);
  return JSON.stringify({
    employees,
    templates,
    users,
    keys,
    blobs: blobs.sort(),
    settings: await store.settings.all(),
  });
}

type Send = InjectOptions;

function raw(url: string, bytes: Buffer | string, type: string, headers = api.kiosk): Send {
  return imagePost(url, bytes, headers, type);
}

function form(url: string, files: FilePart[], fields?: Record<string, string>, headers = api.admin): Send {
  return formPost(url, headers, files, fields);
}

/** A request of the admin, with a payload Fastify serialises as JSON when given. */
function asAdmin(method: Send['method'], url: string, payload?: Send['payload']): Send {
  return { method, url, headers: api.admin, ...(payload === undefined ? {} : { payload }) };
}

/** A request of the admin with a body sent as typed, not serialised (JSON unless told). */
function textBody(method: Send['method'], url: string, text: string, type = 'application/json'): Send {
  return { method, url, headers: { ...api.admin, 'content-type': type }, payload: text };
}

describe('bad-input corpus: a stable code for each, the server keeps serving, nothing changes', () => {
  const cases: Array<{ kind: string; expect: string; request: () => Promise<Send> | Send }> = [
    {
      kind: 'empty body',
      expect: 'IMAGE_MISSING',
      request: () => raw('/v1/authenticate', Buffer.alloc(0), 'image/jpeg'),
    },
    {
      kind: 'no body, no content type',
      expect: 'IMAGE_MISSING',
      request: () => ({ method: 'POST', url: '/v1/authenticate', headers: api.kiosk }),
    },
    {
      kind: 'wrong content type (text/plain)',
      expect: 'UNSUPPORTED_MEDIA_TYPE',
      request: () => raw('/v1/authenticate', 'hello', 'text/plain'),
    },
    {
      kind: 'JSON instead of a photo',
      expect: 'UNSUPPORTED_MEDIA_TYPE',
      request: () => raw('/v1/authenticate', '{"a":1}', 'application/json'),
    },
    {
      kind: 'unknown content type',
      expect: 'UNSUPPORTED_MEDIA_TYPE',
      request: () => raw('/v1/authenticate', '<a/>', 'application/xml'),
    },
    {
      kind: 'text as image',
      expect: 'IMAGE_UNREADABLE',
      request: () => raw('/v1/authenticate', 'this is not a jpeg at all', 'image/jpeg'),
    },
    {
      kind: 'truncated JPEG',
      expect: 'IMAGE_UNREADABLE',
      request: () => raw('/v1/authenticate', face.subarray(0, Math.floor(face.length / 3)), 'image/jpeg'),
    },
    {
      kind: 'PNG bomb',
      expect: 'IMAGE_TOO_LARGE',
      request: () => raw('/v1/authenticate', pngBomb(), 'image/png'),
    },
    {
      kind: '20000×20000 image',
      expect: 'IMAGE_TOO_LARGE',
      request: () => raw('/v1/authenticate', hugeJpeg(face), 'image/jpeg'),
    },
    {
      kind: 'image over the byte limit (raw)',
      expect: 'IMAGE_TOO_LARGE',
      request: () => raw('/v1/authenticate', Buffer.alloc(MAX_IMAGE_BYTES + 10, 1), 'image/jpeg'),
    },
    {
      kind: 'image over the byte limit (multipart)',
      expect: 'IMAGE_TOO_LARGE',
      request: () =>
        form(`/v1/employees/${employeeId}/faces`, [{ bytes: Buffer.alloc(MAX_IMAGE_BYTES + 10, 1) }]),
    },
    {
      kind: 'HEIC-like unsupported format',
      expect: 'UNSUPPORTED_FORMAT',
      request: () =>
        raw(
          '/v1/authenticate',
          Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(64)]),
          'image/heic',
        ),
    },
    {
      kind: 'photo rejected at enrollment: no face',
      expect: 'NO_FACE',
      request: async () =>
        form(`/v1/employees/${employeeId}/faces`, [
          {
            bytes: await sharp({ create: { width: 400, height: 400, channels: 3, background: '#7a9' } })
              .jpeg()
              .toBuffer(),
          },
        ]),
    },
    {
      kind: 'photo rejected at enrollment: several faces',
      expect: 'MULTIPLE_FACES',
      request: async () => form(`/v1/employees/${employeeId}/faces`, [{ bytes: await groupPhoto(1) }]),
    },
    {
      kind: 'photo rejected at enrollment: tiny face',
      expect: 'SMALL_FACE',
      request: async () =>
        form(`/v1/employees/${employeeId}/faces`, [{ bytes: await transform(face, 'tiny') }]),
    },
    {
      kind: 'multipart without a file',
      expect: 'IMAGE_MISSING',
      request: () => form(`/v1/employees/${employeeId}/faces`, [], { note: 'no file' }),
    },
    {
      kind: 'truncated multipart body',
      expect: 'VALIDATION_FAILED',
      request: () => {
        const upload = form(`/v1/employees/${employeeId}/faces`, [{ bytes: face }]);
        const payload = upload.payload as Buffer;
        return { ...upload, payload: payload.subarray(0, Math.floor(payload.length / 2)) };
      },
    },
    {
      kind: 'multipart without a boundary',
      expect: 'VALIDATION_FAILED',
      request: () => textBody('POST', `/v1/employees/${employeeId}/faces`, 'garbage', 'multipart/form-data'),
    },
    {
      kind: 'too many files',
      expect: 'PAYLOAD_TOO_LARGE',
      request: () =>
        form(
          `/v1/employees/${employeeId}/faces`,
          Array.from({ length: 21 }, () => ({ bytes: Buffer.from('x') })),
        ),
    },
    {
      kind: 'huge JSON',
      expect: 'PAYLOAD_TOO_LARGE',
      request: () =>
        textBody(
          'POST',
          '/v1/employees',
          JSON.stringify({ badge: 'H-1', firstName: 'x'.repeat(400_000), lastName: 'y' }),
        ),
    },
    {
      kind: 'invalid JSON',
      expect: 'VALIDATION_FAILED',
      request: () => textBody('POST', '/v1/employees', '{"badge": '),
    },
    {
      kind: 'empty JSON body',
      expect: 'VALIDATION_FAILED',
      request: () => textBody('POST', '/v1/employees', ''),
    },
    {
      kind: 'missing fields',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('POST', '/v1/employees', { badge: 'M-1' }),
    },
    {
      kind: 'unknown field',
      expect: 'VALIDATION_FAILED',
      request: () =>
        asAdmin('POST', '/v1/employees', { badge: 'M-2', firstName: 'a', lastName: 'b', isAdmin: true }),
    },
    {
      kind: 'wrong field type',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('POST', '/v1/employees', { badge: 'M-3', firstName: { a: 1 }, lastName: 'b' }),
    },
    {
      kind: 'control characters in a name',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('POST', '/v1/employees', { badge: 'M-4', firstName: 'a\u0000b', lastName: 'c' }),
    },
    {
      kind: 'SQL-ish badge',
      expect: 'VALIDATION_FAILED',
      request: () =>
        asAdmin('POST', '/v1/employees', {
          badge: "1'; DROP TABLE employees; --",
          firstName: 'a',
          lastName: 'b',
        }),
    },
    {
      kind: 'path-traversal badge',
      expect: 'VALIDATION_FAILED',
      request: () =>
        asAdmin('POST', '/v1/employees', { badge: '../../etc/passwd', firstName: 'a', lastName: 'b' }),
    },
    {
      kind: 'invalid UUID id',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('GET', '/v1/employees/not-a-uuid'),
    },
    {
      kind: 'path-traversal id',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('GET', '/v1/employees/..%2F..%2Fetc%2Fpasswd'),
    },
    {
      kind: 'path-traversal photo id',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('GET', `/v1/employees/${employeeId}/photos/..%2F..%2Ffacegate.db`),
    },
    {
      kind: 'unknown employee (valid UUID)',
      expect: 'NOT_FOUND',
      request: () => asAdmin('DELETE', '/v1/employees/00000000-0000-4000-8000-000000000000'),
    },
    {
      kind: 'negative paging',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('GET', '/v1/employees?limit=-1'),
    },
    {
      kind: 'negative offset',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('GET', '/v1/employees?offset=-5'),
    },
    {
      kind: 'oversized page',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('GET', '/v1/employees?limit=100000'),
    },
    {
      kind: 'non-numeric paging',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('GET', '/v1/audit?limit=abc'),
    },
    {
      kind: 'bad audit date',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('GET', '/v1/audit?from=yesterday'),
    },
    {
      kind: 'verify without an employee',
      expect: 'VALIDATION_FAILED',
      request: () => form('/v1/verify', [{ bytes: face }], {}, api.kiosk),
    },
    {
      kind: 'duplicate badge',
      expect: 'CONFLICT',
      request: () => asAdmin('POST', '/v1/employees', { badge: 'BAD-1', firstName: 'a', lastName: 'b' }),
    },
    {
      kind: 'malformed Authorization header',
      expect: 'UNAUTHENTICATED',
      request: () => ({
        method: 'GET',
        url: '/v1/employees',
        headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
      }),
    },
    {
      kind: 'forged API key',
      expect: 'UNAUTHENTICATED',
      request: () => ({
        method: 'GET',
        url: '/v1/auth/me',
        headers: bearer(`fg_000000000000_${'A'.repeat(43)}`),
      }),
    },
    {
      kind: 'weak password',
      expect: 'VALIDATION_FAILED',
      request: () =>
        asAdmin('POST', '/v1/users', { username: 'weak', password: 'aaaaaaaaaaaaaaa', role: 'admin' }),
    },
    {
      kind: 'unknown role',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('POST', '/v1/keys', { name: 'x', role: 'root' }),
    },
    {
      kind: 'bad settings value',
      expect: 'VALIDATION_FAILED',
      request: () => asAdmin('PUT', '/v1/settings', { thresholdPreset: 'none' }),
    },
    {
      kind: 'unknown route',
      expect: 'NOT_FOUND',
      request: () => asAdmin('GET', '/v1/../../etc/passwd'),
    },
  ];

  it(`has at least 25 kinds (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  for (const c of cases) {
    it(`${c.kind} → ${c.expect}`, async () => {
      const before = await snapshot();
      const request = await c.request();
      const res = await api.server.inject(request);
      const isEnrollRefusal = ['NO_FACE', 'MULTIPLE_FACES', 'SMALL_FACE'].includes(c.expect);
      if (isEnrollRefusal) {
        // Enrollment answers per photo: 200 with the photo rejected for that reason.
        expect(res.statusCode, res.body).toBe(200);
        const result = body<{
          added: number;
          photos: Array<{ accepted: boolean; reasons: Array<{ code: string }> }>;
        }>(res);
        expect(result.added).toBe(0);
        expect(result.photos[0]?.accepted).toBe(false);
        expect(result.photos[0]?.reasons.map((r) => r.code)).toContain(c.expect);
      } else {
        expect(errorCode(res), `${res.statusCode} ${res.body}`).toBe(c.expect);
        const error = body<{ error: Record<string, unknown> }>(res).error;
        expect(Object.keys(error).sort()).toEqual(['code', 'message', 'requestId']);
        expect(res.body).not.toMatch(/at .+\.(ts|js):\d+/); // no stack trace
      }
      expect(await snapshot()).toBe(before);
      expect((await api.server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    });
  }
});

describe('odd but valid input is handled, not refused', () => {
  it('kiosk hints for retries never leak figures', async () => {
    const group = await api.server.inject(raw('/v1/authenticate', await groupPhoto(1), 'image/jpeg'));
    expect(body(group)).toEqual({ decision: 'retry', hint: 'One person at a time' });
    const tiny = await api.server.inject(
      raw('/v1/authenticate', await transform(face, 'tiny'), 'image/jpeg'),
    );
    expect(body(tiny)).toEqual({ decision: 'retry', hint: 'Move closer' });
    const blank = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#333' } })
      .jpeg()
      .toBuffer();
    expect(body(await api.server.inject(raw('/v1/authenticate', blank, 'image/jpeg')))).toEqual({
      decision: 'retry',
      hint: 'Face the camera',
    });
  });

  for (const kind of ['cmyk', '16bit', 'exif-rotated', 'png', 'webp', 'alpha'] as const) {
    it(`${kind} photo of the enrolled person matches`, async () => {
      const res = await api.server.inject(
        raw(
          '/v1/authenticate',
          await transform(face, kind),
          kind === '16bit' || kind === 'png' || kind === 'alpha'
            ? 'image/png'
            : kind === 'webp'
              ? 'image/webp'
              : 'image/jpeg',
        ),
      );
      expect(body(res), res.body).toMatchObject({ decision: 'match', employee: { id: employeeId } });
    });
  }

  it('animated GIF: the first frame is used', async () => {
    const res = await api.server.inject(raw('/v1/authenticate', await animatedGif(), 'image/gif'));
    expect(res.statusCode, res.body).toBe(200);
    expect(['match', 'no_match', 'retry']).toContain(body<{ decision: string }>(res).decision);
  });

  it('unicode names round-trip; SQL-ish search text is just text', async () => {
    const created = await api.server.inject(
      asAdmin('POST', '/v1/employees', {
        badge: 'U-1',
        firstName: 'Zoë Ångström',
        lastName: '李小龍 🙂',
        department: "O'Brien & Co; DROP TABLE x",
      }),
    );
    expect(created.statusCode).toBe(201);
    expect(body(created)).toMatchObject({ firstName: 'Zoë Ångström', lastName: '李小龍 🙂' });
    const search = await api.server.inject(
      asAdmin('GET', `/v1/employees?search=${encodeURIComponent("' OR 1=1; --")}`),
    );
    expect(body<{ items: unknown[] }>(search).items).toEqual([]);
    const found = await api.server.inject(
      asAdmin('GET', `/v1/employees?search=${encodeURIComponent('李小龍')}`),
    );
    expect(body<{ items: Array<{ badge: string }> }>(found).items.map((e) => e.badge)).toEqual(['U-1']);
  });

  it('path-traversal upload file names are reduced to a base name and only echoed back', async () => {
    const res = await api.server.inject(
      form(`/v1/employees/${employeeId}/faces`, [
        { bytes: await transform(face, 'recompress'), name: '../../../../etc/passwd' },
      ]),
    );
    expect(res.statusCode).toBe(200);
    expect(body<{ photos: Array<{ file: string }> }>(res).photos[0]?.file).toBe('passwd');
  });
});

describe('hostile requests never produce a 500', () => {
  const hostile: Array<[string, () => InjectOptions]> = [
    [
      'malformed cookie',
      () => ({ method: 'GET', url: '/v1/auth/me', headers: { cookie: 'fg_session=%E0%A4%A' } }),
    ],
    [
      'cookie with a forged session',
      () => ({ method: 'POST', url: '/v1/keys', headers: { cookie: 'fg_session=fgs_forged' } }),
    ],
    ['empty bearer', () => ({ method: 'GET', url: '/v1/auth/me', headers: { authorization: 'Bearer ' } })],
    [
      'huge bearer',
      () => ({
        method: 'GET',
        url: '/v1/auth/me',
        headers: { authorization: `Bearer fg_${'a'.repeat(5000)}` },
      }),
    ],
    ['repeated query parameter', () => asAdmin('GET', '/v1/employees?limit=1&limit=2')],
    ['NUL in the path', () => asAdmin('GET', '/v1/employees/%00')],
    ['very long URL', () => asAdmin('GET', `/v1/employees?search=${'x'.repeat(8000)}`)],
    [
      'long request id',
      () => ({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'r'.repeat(5000) } }),
    ],
    [
      'JSON with a UTF-16 charset',
      () => textBody('POST', '/v1/employees', '{}', 'application/json; charset=utf-16'),
    ],
    [
      'JSON prototype pollution',
      () =>
        textBody(
          'POST',
          '/v1/employees',
          '{"badge":"PP-1","firstName":"a","lastName":"b","__proto__":{"isAdmin":true}}',
        ),
    ],
    ['array instead of an object', () => asAdmin('PUT', '/v1/settings', [1, 2])],
    ['deeply nested JSON', () => textBody('PUT', '/v1/settings', `${'['.repeat(5000)}${']'.repeat(5000)}`)],
    [
      'login with a non-string password',
      () => ({ method: 'POST', url: '/v1/auth/login', payload: { username: 'admin', password: { $ne: 1 } } }),
    ],
    [
      'setup after setup',
      () => ({
        method: 'POST',
        url: '/v1/setup',
        payload: { setupToken: 'x', username: 'admin2', password: 'x' },
      }),
    ],
  ];
  for (const [name, request] of hostile) {
    it(name, async () => {
      const before = await snapshot();
      const res = await api.server.inject(request());
      expect(res.statusCode, res.body).toBeLessThan(500);
      expect(body<{ error?: { code: string } }>(res).error?.code ?? 'ok').toMatch(/^[A-Z_]+$|^ok$/);
      expect(await snapshot()).toBe(before);
    });
  }
});
