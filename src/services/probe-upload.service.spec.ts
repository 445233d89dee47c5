import { describe, expect, it } from 'vitest';
import { codeOf } from '../../test/fixtures/error-code.js';
import { rolePolicy } from '../domain/access.js';
import { isFacegateError } from '../domain/errors.js';
import { ProbeUploadService, type ProbeUploads } from './probe-upload.service.js';

const kiosk = { type: 'api_key' as const, id: 'k1', role: 'kiosk' as const };

describe('probe uploads', () => {
  it('are refused with UPLOADS_NOT_CONFIGURED where photos are not in S3 with a validation bucket', async () => {
    const service = new ProbeUploadService({ policy: rolePolicy });
    expect(await codeOf(service.issue(kiosk, 'image/jpeg'))).toBe('UPLOADS_NOT_CONFIGURED');
    expect(await codeOf(service.take(kiosk, 'probes/x.jpg'))).toBe('UPLOADS_NOT_CONFIGURED');
  });

  it('hand tickets to callers that may identify faces, and nobody else', async () => {
    const uploads: ProbeUploads = {
      ticket: async (contentType) => ({
        url: 'u',
        headers: { 'content-type': contentType },
        key: 'k',
        expiresAt: 'e',
      }),
      read: async () => new Uint8Array([1]),
    };
    const service = new ProbeUploadService({ policy: rolePolicy, uploads });
    expect(await service.issue(kiosk, 'image/png')).toMatchObject({
      headers: { 'content-type': 'image/png' },
    });
    const viewer = { type: 'user' as const, id: 'u1', role: 'auditor' as const };
    expect(await codeOf(service.issue(viewer, 'image/png'))).toBe('FORBIDDEN');
  });
});
