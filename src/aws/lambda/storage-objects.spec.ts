import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { S3StorageObjects } from './storage-objects.js';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

/** The part of the SDK's stream body the adapter uses. */
function body(text: string): GetObjectCommandOutput['Body'] {
  const bytes = new TextEncoder().encode(text);
  return { transformToByteArray: async () => bytes } as unknown as GetObjectCommandOutput['Body'];
}

describe('S3 storage objects', () => {
  it('reads body, type and metadata; a missing key is undefined', async () => {
    s3.on(GetObjectCommand, { Key: 'B1_A_B.jpg' }).resolves({
      Body: body('jpeg'),
      ContentType: 'image/jpeg',
      ContentLength: 4,
      Metadata: { badge: 'B1' },
    });
    s3.on(GetObjectCommand, { Key: 'gone.jpg' }).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    const objects = new S3StorageObjects(new S3Client({ region: 'eu-west-1' }));
    const found = await objects.get('bucket', 'B1_A_B.jpg');
    expect(new TextDecoder().decode(found?.body)).toBe('jpeg');
    expect(found).toMatchObject({ contentType: 'image/jpeg', metadata: { badge: 'B1' } });
    expect(await objects.get('bucket', 'gone.jpg')).toBeUndefined();
  });

  it('moves by copy (metadata replaced, key URL-encoded) then delete; a vanished source is not an error', async () => {
    s3.on(CopyObjectCommand)
      .resolvesOnce({})
      .rejectsOnce(new NoSuchKey({ message: 'gone', $metadata: {} }));
    s3.on(DeleteObjectCommand).resolves({});
    const objects = new S3StorageObjects(new S3Client({ region: 'eu-west-1' }));
    await objects.move('bucket', 'in/José Lee.jpg', 'rejected/in/José Lee.jpg', { 'reason-code': 'NO_FACE' });
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'bucket',
      Key: 'rejected/in/José Lee.jpg',
      CopySource: 'bucket/in/Jos%C3%A9%20Lee.jpg',
      MetadataDirective: 'REPLACE',
      Metadata: { 'reason-code': 'NO_FACE' },
    });
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'bucket',
      Key: 'in/José Lee.jpg',
    });
    await objects.move('bucket', 'a.jpg', 'rejected/a.jpg', {});
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });
});
