import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FacegateError } from '../../../src/domain/errors.js';
import { faceCrop, transform } from '../../fixtures/sample-faces.js';
import {
  body,
  enrollEmployee,
  errorCode,
  formPost,
  imagePost,
  openStaffedApi,
  type StaffedApi,
} from '../api/api-test-kit.js';

// A node whose gallery feed is behind (the PostgreSQL feed lost for longer than its bound) must refuse to match
// and say it is not ready, rather than match on a gallery that may still hold deleted or suspended employees.

let api: StaffedApi;
let own: Buffer;

beforeAll(async () => {
  api = await openStaffedApi();
  own = await faceCrop('s4-0');
  await enrollEmployee(api, api.admin, { badge: 'F-1', firstName: 'Fresh', lastName: 'Feed' }, own);
});
afterAll(async () => {
  await api?.close();
});

describe('a node with a stale gallery feed', () => {
  it('matches while the feed is fresh, and refuses identify, verify and readiness with 503 NOT_READY once not', async () => {
    const probe = await transform(own, 'flip');
    const ok = await api.server.inject(imagePost('/v1/authenticate', probe, api.kiosk));
    expect(body(ok)).toMatchObject({ decision: 'match' });
    const ready = await api.server.inject({ method: 'GET', url: '/readyz' });
    expect(body(ready)).toMatchObject({
      dependencies: { store: 'ok', sharedState: 'memory', galleryFeed: { kind: 'local' } },
    });

    const stale = new FacegateError('NOT_READY', 'Gallery feed lost for 1500 ms');
    vi.spyOn(api.app.feed, 'assertFresh').mockImplementation(() => {
      throw stale;
    });
    vi.spyOn(api.app.feed, 'status').mockReturnValue({
      ready: false,
      lagMs: 1500,
      reason: 'feed connection lost',
      lastSeq: 0,
      reconnects: 1,
      resyncs: 0,
    });
    const refused = await api.server.inject(imagePost('/v1/authenticate', probe, api.kiosk));
    expect(refused.statusCode).toBe(503);
    expect(errorCode(refused)).toBe('NOT_READY');
    const verify = await api.server.inject(
      formPost('/v1/verify', api.kiosk, [{ bytes: probe }], { employee: 'F-1' }),
    );
    expect(verify.statusCode).toBe(503);
    expect(errorCode(verify)).toBe('NOT_READY');
    const notReady = await api.server.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.body).toMatch(/feed connection lost/);

    vi.restoreAllMocks();
    const again = await api.server.inject(imagePost('/v1/authenticate', probe, api.kiosk));
    expect(body(again)).toMatchObject({ decision: 'match' });
  });
});
