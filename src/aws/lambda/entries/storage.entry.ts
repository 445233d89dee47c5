import { S3Client } from '@aws-sdk/client-s3';
import { awsApp } from '../aws-app.js';
import type { S3Event } from '../lambda-events.js';
import { createStorageHandler, type StorageResult } from '../storage.handler.js';
import { S3StorageObjects } from '../storage-objects.js';

const objects = new S3StorageObjects(new S3Client({}));

/** Lambda entry of the storage function (S3 `ObjectCreated` on the storage bucket). */
export async function handler(event: S3Event): Promise<StorageResult[]> {
  const { enroller } = await awsApp();
  return createStorageHandler({ objects, enroller })(event);
}
