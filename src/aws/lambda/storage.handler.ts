import { isManifestName, type Manifest, parseManifest } from '../../services/bulk-import.parser.js';
import { createdObjects, type S3Event, type S3ObjectRef } from './lambda-events.js';
import { MAX_OBJECT_BYTES, type StorageObjects } from './storage-objects.js';
import { manifestKeyFor, personFor, type StoragePerson } from './storage-person.js';

/** Prefix refused objects are moved under (and that the function never processes). */
export const REJECTED_PREFIX = 'rejected/';

/** The outcome of enrolling one dropped photo. */
export type StorageEnrolOutcome =
  | { status: 'enrolled' | 'already-enrolled'; employeeId: string }
  | { status: 'refused'; code: string; message: string };

/**
 * The application behind the storage function, supplied by the composition root: enrols one photo for the
 * named employee, creating the employee when the badge is new. It must be idempotent for the same photo bytes
 * (S3 delivers an event at least once): a second delivery answers `already-enrolled`.
 */
export interface StorageEnroller {
  enrolPhoto(request: {
    person: StoragePerson;
    photo: Uint8Array;
    contentType: string | undefined;
    /** `s3://bucket/key`, for the audit record. */
    source: string;
  }): Promise<StorageEnrolOutcome>;
}

/** What the storage function did with one object. */
export interface StorageResult {
  key: string;
  outcome: 'enrolled' | 'already-enrolled' | 'rejected' | 'skipped' | 'gone';
  employeeId?: string;
  code?: string;
}

/** Dependencies of {@link createStorageHandler}. */
export interface StorageHandlerDeps {
  objects: StorageObjects;
  enroller: StorageEnroller;
  log?: (entry: Record<string, unknown>) => void;
}

/**
 * The storage function: for each `ObjectCreated` photo, find the employee it names, enrol it, and move a refused
 * object under `rejected/` with its reason in the metadata. Infrastructure errors are thrown so Lambda retries
 * the event; everything it does is idempotent under that retry.
 */
export function createStorageHandler(deps: StorageHandlerDeps): (event: S3Event) => Promise<StorageResult[]> {
  const log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  return async (event) => {
    const results: StorageResult[] = [];
    const manifests = new Map<string, Manifest | undefined>();
    for (const ref of createdObjects(event)) {
      const result = await processObject(deps, ref, manifests);
      log({ msg: 'storage object', bucket: ref.bucket, ...result });
      results.push(result);
    }
    return results;
  };
}

async function manifestFor(
  deps: StorageHandlerDeps,
  ref: S3ObjectRef,
  cache: Map<string, Manifest | undefined>,
): Promise<Manifest | undefined> {
  const key = manifestKeyFor(ref.key);
  if (!cache.has(key)) {
    const object = await deps.objects.get(ref.bucket, key);
    cache.set(key, object && parseManifest(new TextDecoder().decode(object.body)));
  }
  return cache.get(key);
}

async function processObject(
  deps: StorageHandlerDeps,
  ref: S3ObjectRef,
  manifests: Map<string, Manifest | undefined>,
): Promise<StorageResult> {
  // Manifests are read when their photos arrive; refused objects are never processed again.
  if (ref.key.startsWith(REJECTED_PREFIX) || isManifestName(ref.key) || ref.key.endsWith('/')) {
    return { key: ref.key, outcome: 'skipped' };
  }
  const object = await deps.objects.get(ref.bucket, ref.key);
  if (!object) return { key: ref.key, outcome: 'gone' };
  if (object.body.byteLength === 0 || object.body.byteLength > MAX_OBJECT_BYTES) {
    return reject(deps, ref, 'IMAGE_TOO_LARGE', 'Empty or larger than 15 MB');
  }
  const person = personFor(ref.key, object.metadata, await manifestFor(deps, ref, manifests));
  if ('code' in person) return reject(deps, ref, person.code, person.message);
  const outcome = await deps.enroller.enrolPhoto({
    person,
    photo: object.body,
    contentType: object.contentType,
    source: `s3://${ref.bucket}/${ref.key}`,
  });
  if (outcome.status === 'refused') return reject(deps, ref, outcome.code, outcome.message);
  return { key: ref.key, outcome: outcome.status, employeeId: outcome.employeeId };
}

async function reject(
  deps: StorageHandlerDeps,
  ref: S3ObjectRef,
  code: string,
  message: string,
): Promise<StorageResult> {
  await deps.objects.move(ref.bucket, ref.key, `${REJECTED_PREFIX}${ref.key}`, {
    'reason-code': code,
    // S3 metadata is US-ASCII.
    reason: message.replace(/[^\x20-\x7e]/g, '?').slice(0, 512),
    'rejected-at': new Date().toISOString(),
  });
  return { key: ref.key, outcome: 'rejected', code };
}
