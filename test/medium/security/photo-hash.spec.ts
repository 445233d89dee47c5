import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop } from '../../fixtures/sample-faces.js';
import {
  createEmployee,
  listFiles,
  multipart,
  openStaffedApi,
  type StaffedApi,
} from '../api/api-test-kit.js';
import { listen, send } from './http-kit.js';

let api: StaffedApi;
let base: string;

beforeAll(async () => {
  api = await openStaffedApi();
  base = await listen(api);
});
afterAll(async () => {
  await api?.close();
});

/** Uploads one photo to an employee's faces over HTTP and returns the per-photo result. */
async function upload(employeeId: string, photo: Buffer): Promise<Record<string, unknown>> {
  const form = multipart([{ bytes: photo }]);
  const res = await send(`${base}/v1/employees/${employeeId}/faces`, {
    method: 'POST',
    headers: { ...api.admin, ...form.headers },
    body: form.payload,
  });
  return (res.body as { photos: Array<Record<string, unknown>> }).photos[0]!;
}

describe('enrolled photos cannot be confirmed from a copy of the data directory', () => {
  it('no file holds the sha256 of an enrolled photo, and re-sending the photo is still recognised', async () => {
    const photo = await faceCrop('s6-0');
    const id = await createEmployee(api, api.admin, { badge: 'H-1', firstName: 'Hash', lastName: 'Less' });
    const first = await upload(id, photo);
    expect(first.accepted).toBe(true);
    expect(first.alreadyEnrolled).toBeUndefined();

    const digest = createHash('sha256').update(photo).digest();
    for (const name of await listFiles(api.dataDir)) {
      const bytes = await readFile(join(api.dataDir, name));
      expect(bytes.includes(Buffer.from(digest.toString('hex'))), `${name} holds the hex sha256`).toBe(false);
      expect(bytes.includes(digest), `${name} holds the binary sha256`).toBe(false);
    }

    // Idempotency by photo content still works through the keyed hash.
    const again = await upload(id, photo);
    expect(again).toMatchObject({ accepted: true, alreadyEnrolled: true });
    expect(await api.app.store.templates.listByEmployee(id)).toHaveLength(1);
  });
});
