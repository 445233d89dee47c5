import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Event } from '../../../src/aws/lambda/lambda-events.js';
import { createUploadTicket } from '../../../src/aws/lambda/presigned-upload.js';
import { createStorageHandler, type StorageEnroller } from '../../../src/aws/lambda/storage.handler.js';
import { S3StorageObjects } from '../../../src/aws/lambda/storage-objects.js';
import { type LocalS3, startLocalS3 } from './local-s3.js';

let s3: LocalS3;
let client: S3Client;

beforeAll(async () => {
  s3 = await startLocalS3(['storage', 'validation']);
  client = s3.client();
});
afterAll(async () => {
  client.destroy();
  await s3.stop();
});

function created(...keys: string[]): S3Event {
  // As S3 sends them: keys URL-encoded with + for spaces.
  return {
    Records: keys.map((key) => ({
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: 'storage' }, object: { key: encodeURIComponent(key).replace(/%20/g, '+') } },
    })),
  };
}

async function put(key: string, body: string, metadata?: Record<string, string>): Promise<void> {
  await client.send(
    new PutObjectCommand({
      Bucket: 'storage',
      Key: key,
      Body: body,
      ContentType: 'image/jpeg',
      Metadata: metadata,
    }),
  );
}

async function head(key: string): Promise<Record<string, string> | undefined> {
  try {
    return (await client.send(new HeadObjectCommand({ Bucket: 'storage', Key: key }))).Metadata ?? {};
  } catch {
    return undefined;
  }
}

describe('storage function on a local S3 server (s3rver)', () => {
  it('reads photos with metadata and the folder manifest, and moves refused ones under rejected/', async () => {
    const enrolled: string[] = [];
    const enroller: StorageEnroller = {
      async enrolPhoto({ person, photo }) {
        if (new TextDecoder().decode(photo) === 'noface') {
          return { status: 'refused', code: 'NO_FACE', message: 'No face found' };
        }
        enrolled.push(`${person.badge} ${person.firstName} ${person.lastName} (${person.from})`);
        return { status: 'enrolled', employeeId: `emp-${person.badge}` };
      },
    };
    const handler = createStorageHandler({ objects: new S3StorageObjects(client), enroller, log: () => {} });
    await put('incoming/batch/manifest.csv', 'badge;first name;last name;file\nM1;Mia;Moe;mia one.jpg\n');
    await put('incoming/batch/mia one.jpg', 'face-mia');
    await put('incoming/upload.jpg', 'face-ann', { badge: 'B7', 'first-name': 'Ann', 'last-name': 'Lee' });
    await put('incoming/B3_José_Ruiz.jpg', 'noface');
    const results = await handler(
      created('incoming/batch/mia one.jpg', 'incoming/upload.jpg', 'incoming/B3_José_Ruiz.jpg'),
    );
    expect(results.map((r) => r.outcome)).toEqual(['enrolled', 'enrolled', 'rejected']);
    expect(enrolled).toEqual(['M1 Mia Moe (manifest)', 'B7 Ann Lee (metadata)']);
    expect(await head('incoming/B3_José_Ruiz.jpg')).toBeUndefined();
    expect(await head('rejected/incoming/B3_José_Ruiz.jpg')).toMatchObject({ 'reason-code': 'NO_FACE' });
    const again = await handler(created('incoming/B3_José_Ruiz.jpg'));
    expect(again[0]?.outcome).toBe('gone');
  });

  it('a presigned PUT ticket uploads the probe with its signed content type', async () => {
    const ticket = createUploadTicket({
      bucket: 'validation',
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      contentType: 'image/jpeg',
      endpoint: s3.endpoint,
    });
    const response = await fetch(ticket.url, { method: 'PUT', headers: ticket.headers, body: 'probe-bytes' });
    expect(response.status).toBe(200);
    const stored = await client.send(new HeadObjectCommand({ Bucket: 'validation', Key: ticket.key }));
    expect(stored.ContentType).toBe('image/jpeg');
  });
});
