import { describe, expect, it } from 'vitest';
import { createdObjects, decodeS3Key, type S3Event } from './lambda-events.js';
import { createStorageHandler, type StorageEnroller, type StorageEnrolOutcome } from './storage.handler.js';
import type { StorageObjects, StoredObject } from './storage-objects.js';
import { manifestKeyFor, personFor } from './storage-person.js';

function s3Event(...keys: string[]): S3Event {
  return {
    Records: keys.map((key) => ({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'storage' }, object: { key, size: 3, eTag: 'e' } },
    })),
  };
}

/** The storage bucket in memory, with the moves it was asked for. */
class MemoryObjects implements StorageObjects {
  readonly objects = new Map<string, StoredObject>();
  readonly moves: Array<{ from: string; to: string; metadata: Record<string, string> }> = [];

  put(key: string, body: string | Uint8Array, metadata: Record<string, string> = {}): void {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    this.objects.set(key, { body: bytes, contentType: 'image/jpeg', metadata });
  }

  async get(_bucket: string, key: string): Promise<StoredObject | undefined> {
    return this.objects.get(key);
  }

  async move(_bucket: string, from: string, to: string, metadata: Record<string, string>): Promise<void> {
    const object = this.objects.get(from);
    if (object) this.objects.set(to, { ...object, metadata });
    this.objects.delete(from);
    this.moves.push({ from, to, metadata });
  }
}

/** Enrols like the service does: idempotent by photo bytes, refusing photos whose bytes say "noface". */
class FakeEnroller implements StorageEnroller {
  readonly calls: Array<Parameters<StorageEnroller['enrolPhoto']>[0]> = [];
  private readonly seen = new Map<string, string>();

  async enrolPhoto(request: Parameters<StorageEnroller['enrolPhoto']>[0]): Promise<StorageEnrolOutcome> {
    this.calls.push(request);
    const text = new TextDecoder().decode(request.photo);
    if (text === 'noface') return { status: 'refused', code: 'NO_FACE', message: 'No face found' };
    const known = this.seen.get(text);
    if (known) return { status: 'already-enrolled', employeeId: known };
    this.seen.set(text, `emp-${request.person.badge}`);
    return { status: 'enrolled', employeeId: `emp-${request.person.badge}` };
  }
}

describe('S3 event parsing', () => {
  it('keeps ObjectCreated records and decodes keys (+ is a space, then percent-escapes)', () => {
    const event = s3Event('in/B1_Jos%C3%A9_de+la+Cruz.jpg', 'x.jpg');
    event.Records[1]!.eventName = 'ObjectRemoved:Delete';
    expect(createdObjects(event)).toEqual([
      { bucket: 'storage', key: 'in/B1_José_de la Cruz.jpg', size: 3, eTag: 'e', versionId: null },
    ]);
    expect(decodeS3Key('a%2Bb+c')).toBe('a+b c');
    expect(createdObjects({} as S3Event)).toEqual([]);
  });
});

describe('who a dropped photo names', () => {
  const manifest = {
    rows: [
      { line: 2, badge: 'M1', firstName: 'Mia', lastName: 'Moe', files: ['sub/mia.jpg'], email: 'm@x.io' },
    ],
    problems: [],
  };

  it('metadata first, then the folder manifest, then the file name', () => {
    const meta = { badge: 'B7', 'first-name': 'Ann', 'last-name': 'Lee' };
    expect(personFor('x/B1_Jo_Do.jpg', meta, manifest)).toMatchObject({ badge: 'B7', from: 'metadata' });
    expect(personFor('batch/mia.jpg', {}, manifest)).toMatchObject({
      badge: 'M1',
      email: 'm@x.io',
      from: 'manifest',
    });
    expect(personFor('batch/B2_Jean_de_la_Fontaine_2.png', {}, undefined)).toEqual({
      badge: 'B2',
      firstName: 'Jean',
      lastName: 'de la Fontaine',
      from: 'file-name',
    });
    expect(manifestKeyFor('batch/one/x.jpg')).toBe('batch/one/manifest.csv');
    expect(manifestKeyFor('x.jpg')).toBe('manifest.csv');
  });

  it('refuses non-photos, bad names and half metadata with their codes', () => {
    expect(personFor('notes.txt', {}, undefined)).toMatchObject({ code: 'NOT_A_PHOTO' });
    expect(personFor('photo.jpg', {}, undefined)).toMatchObject({ code: 'BAD_FILE_NAME' });
    expect(personFor('B1_A_B.jpg', { badge: 'B1' }, undefined)).toMatchObject({ code: 'BAD_METADATA' });
  });
});

describe('storage function', () => {
  function setup() {
    const objects = new MemoryObjects();
    const enroller = new FakeEnroller();
    const handler = createStorageHandler({ objects, enroller, log: () => {} });
    return { objects, enroller, handler };
  }

  it('enrols named photos and uses the folder manifest for the others', async () => {
    const { objects, enroller, handler } = setup();
    objects.put('batch/manifest.csv', 'badge,first name,last name,file\nM1,Mia,Moe,mia.jpg\n');
    objects.put('batch/mia.jpg', 'face-mia');
    objects.put('B1_Ann_Lee.jpg', 'face-ann');
    const results = await handler(s3Event('batch/manifest.csv', 'batch/mia.jpg', 'B1_Ann_Lee.jpg'));
    expect(results.map((r) => [r.key, r.outcome, r.employeeId])).toEqual([
      ['batch/manifest.csv', 'skipped', undefined],
      ['batch/mia.jpg', 'enrolled', 'emp-M1'],
      ['B1_Ann_Lee.jpg', 'enrolled', 'emp-B1'],
    ]);
    expect(enroller.calls[0]).toMatchObject({
      person: { badge: 'M1', firstName: 'Mia', lastName: 'Moe', from: 'manifest' },
      source: 's3://storage/batch/mia.jpg',
      contentType: 'image/jpeg',
    });
  });

  it('moves refused objects under rejected/ with the reason, and never processes rejected/ again', async () => {
    const { objects, enroller, handler } = setup();
    objects.put('B3_No_Face.jpg', 'noface');
    objects.put('holiday.jpg', 'face-x');
    objects.put('readme.txt', 'hello');
    const results = await handler(s3Event('B3_No_Face.jpg', 'holiday.jpg', 'readme.txt'));
    expect(results.map((r) => r.code)).toEqual(['NO_FACE', 'BAD_FILE_NAME', 'NOT_A_PHOTO']);
    expect(objects.moves.map((m) => [m.to, m.metadata['reason-code']])).toEqual([
      ['rejected/B3_No_Face.jpg', 'NO_FACE'],
      ['rejected/holiday.jpg', 'BAD_FILE_NAME'],
      ['rejected/readme.txt', 'NOT_A_PHOTO'],
    ]);
    expect(objects.moves[0]?.metadata.reason).toBe('No face found');
    expect(objects.objects.has('B3_No_Face.jpg')).toBe(false);
    const again = await handler(s3Event('rejected/B3_No_Face.jpg'));
    expect(again[0]?.outcome).toBe('skipped');
    expect(enroller.calls).toHaveLength(1);
  });

  it('is idempotent under at-least-once delivery', async () => {
    const { objects, enroller, handler } = setup();
    objects.put('B1_Ann_Lee.jpg', 'face-ann');
    objects.put('B4_Bad_Photo.jpg', 'noface');
    const event = s3Event('B1_Ann_Lee.jpg', 'B4_Bad_Photo.jpg');
    await handler(event);
    const second = await handler(event);
    expect(second.map((r) => r.outcome)).toEqual(['already-enrolled', 'gone']);
    expect(objects.moves).toHaveLength(1);
    expect(enroller.calls).toHaveLength(3);
  });

  it('lets infrastructure errors escape so Lambda retries the event', async () => {
    const objects = new MemoryObjects();
    objects.put('B1_Ann_Lee.jpg', 'face');
    const handler = createStorageHandler({
      objects,
      enroller: { enrolPhoto: () => Promise.reject(new Error('DynamoDB throttled')) },
      log: () => {},
    });
    await expect(handler(s3Event('B1_Ann_Lee.jpg'))).rejects.toThrow('DynamoDB throttled');
    expect(objects.moves).toHaveLength(0);
  });
});
