import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import { GuardedService, type ServiceRuntime } from './service-context.js';

/** Image types a probe may be uploaded as. */
export type ProbeContentType = 'image/jpeg' | 'image/png' | 'image/webp';

/** What the page needs to upload one probe photo: a presigned PUT, the headers to send, and the key. */
export interface ProbeUploadTicket {
  url: string;
  headers: Record<string, string>;
  key: string;
  expiresAt: string;
}

/** Where uploaded probes go (the validation bucket): tickets for fresh keys, and reading one back. */
export interface ProbeUploads {
  ticket(contentType: ProbeContentType): Promise<ProbeUploadTicket>;
  /** The uploaded photo; `NOT_FOUND` when nothing was uploaded under the key (or it expired). */
  read(key: string): Promise<Uint8Array>;
}

/**
 * The upload flow of the serverless deployment: a kiosk gets a presigned PUT for a fresh key, uploads the photo,
 * then authenticates with the key. Only where photos live in S3 with a validation bucket; elsewhere every call is
 * refused with `UPLOADS_NOT_CONFIGURED`.
 */
export class ProbeUploadService extends GuardedService {
  private readonly uploads: ProbeUploads | undefined;

  constructor(deps: ServiceRuntime & { uploads?: ProbeUploads }) {
    super(deps);
    this.uploads = deps.uploads;
  }

  /** A ticket for one probe photo (callers that may identify faces: kiosks and admins). */
  async issue(actor: Actor, contentType: ProbeContentType): Promise<ProbeUploadTicket> {
    await this.policy.authorize(actor, 'faces:identify');
    return this.configured().ticket(contentType);
  }

  /** The photo uploaded under a ticket's key. */
  async take(actor: Actor, key: string): Promise<Uint8Array> {
    await this.policy.authorize(actor, 'faces:identify');
    return this.configured().read(key);
  }

  private configured(): ProbeUploads {
    if (!this.uploads) {
      throw new FacegateError(
        'UPLOADS_NOT_CONFIGURED',
        'Upload tickets need photos in S3 and a validation bucket (FACEGATE_BLOBS=s3, FACEGATE_VALIDATION_BUCKET)',
      );
    }
    return this.uploads;
  }
}
