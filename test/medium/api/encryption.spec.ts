import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop } from '../../fixtures/sample-faces.js';
import { body, enrollEmployee, listFiles, openStaffedApi, type StaffedApi } from './api-test-kit.js';

let api: StaffedApi;

beforeAll(async () => {
  api = await openStaffedApi();
});
afterAll(async () => {
  await api?.close();
});

/** Every file of the data directory (database, WAL, blobs, keys), raw. */
async function rawFiles(): Promise<Array<{ name: string; bytes: Buffer }>> {
  const names = await listFiles(api.dataDir);
  return Promise.all(names.map(async (name) => ({ name, bytes: await readFile(join(api.dataDir, name)) })));
}

describe('encryption at rest, end to end over HTTP', () => {
  it('the database holds no plaintext embedding and the blobs hold no plaintext photo', async () => {
    const photo = await faceCrop('s6-0');
    const id = await enrollEmployee(
      api,
      api.admin,
      { badge: 'C-1', firstName: 'Cipher', lastName: 'Text' },
      photo,
    );

    // The store decrypts for us: these are the exact float32 bytes that must not be found on disk.
    const [template] = await api.app.store.templates.listByEmployee(id);
    expect(template?.photoKey).toEqual(expect.any(String));
    const embedding = Buffer.from(
      template!.embedding.buffer,
      template!.embedding.byteOffset,
      template!.embedding.byteLength,
    );
    expect(embedding.length).toBeGreaterThanOrEqual(128 * 4);

    const files = await rawFiles();
    expect(files.some((f) => /\.db$/.test(f.name))).toBe(true);
    for (const { name, bytes } of files) {
      // Any 16-byte run of the vector (4 floats) would betray it; check runs across the whole vector.
      for (let offset = 0; offset + 16 <= embedding.length; offset += 64) {
        expect(
          bytes.includes(embedding.subarray(offset, offset + 16)),
          `${name} holds embedding bytes @${offset}`,
        ).toBe(false);
      }
      for (const at of [200, Math.floor(photo.length / 2), photo.length - 100]) {
        expect(bytes.includes(photo.subarray(at, at + 48)), `${name} holds photo bytes @${at}`).toBe(false);
      }
    }

    // Yet the API still serves the photo to admins, decrypted.
    const served = await api.server.inject({
      method: 'GET',
      url: `/v1/employees/${id}/photos/${template!.id}`,
      headers: api.admin,
    });
    expect(Buffer.compare(served.rawPayload, photo)).toBe(0);
  });

  it('secrets are stored only as hashes: no API key, session token or password on disk', async () => {
    const key = await api.server.inject({
      method: 'POST',
      url: '/v1/keys',
      headers: api.admin,
      payload: { name: 'k', role: 'kiosk' },
    });
    const secret = body<{ secret: string }>(key).secret;
    // `fg_<prefix>_<random>`: the random part may itself contain "_", so take all of it (a short tail of it
    // would turn up by chance in binary files such as the WAL index).
    const random = secret.split('_').slice(2).join('_');
    expect(random.length).toBeGreaterThanOrEqual(40);
    const session = api.adminToken;
    const files = await rawFiles();
    for (const { name, bytes } of files) {
      expect(bytes.includes(Buffer.from(random)), name).toBe(false);
      expect(bytes.includes(Buffer.from(session.slice(4))), name).toBe(false);
      expect(bytes.includes(Buffer.from('correct horse battery staple')), name).toBe(false);
    }
  });
});
