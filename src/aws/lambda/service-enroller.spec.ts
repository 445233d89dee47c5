import { describe, expect, it } from 'vitest';
import { FacegateError } from '../../domain/errors.js';
import type { Employee } from '../../domain/models.js';
import type { EnrollmentResult, EnrollmentService } from '../../services/enrollment.service.js';
import { STORAGE_FUNCTION_ACTOR, serviceEnroller } from './service-enroller.js';

const employee = { id: 'emp-1', badge: 'B1' } as Employee;
const request = {
  person: { badge: 'B1', firstName: 'Ann', lastName: 'Lee', email: 'a@x.io', from: 'manifest' as const },
  photo: new Uint8Array([1, 2, 3]),
  contentType: 'image/jpeg',
  source: 's3://storage/incoming/a.jpg',
};

function enrollment(
  answer: EnrollmentResult | Error,
  calls: unknown[][] = [],
): Pick<EnrollmentService, 'enrollByBadge'> {
  return {
    async enrollByBadge(...args) {
      calls.push(args);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('storage enroller over the enrollment service', () => {
  it('enrols by badge as the storage function, with the person and the photo', async () => {
    const calls: unknown[][] = [];
    const result = { employee, created: true, added: 1, photos: [{ accepted: true, reasons: [] }] };
    expect(await serviceEnroller(enrollment(result, calls)).enrolPhoto(request)).toEqual({
      status: 'enrolled',
      employeeId: 'emp-1',
    });
    expect(calls[0]).toEqual([
      { badge: 'B1', firstName: 'Ann', lastName: 'Lee', email: 'a@x.io', department: undefined },
      [{ bytes: request.photo, file: request.source, contentType: 'image/jpeg' }],
      STORAGE_FUNCTION_ACTOR,
    ]);
  });

  it('reports a photo it already holds, the first refusal reason, and bad input as refusals', async () => {
    const again = {
      employee,
      created: false,
      added: 0,
      photos: [{ accepted: true, alreadyEnrolled: true, reasons: [] }],
    };
    expect((await serviceEnroller(enrollment(again)).enrolPhoto(request)).status).toBe('already-enrolled');
    const refused = {
      employee: null,
      created: false,
      added: 0,
      photos: [{ accepted: false, reasons: [{ code: 'SMALL_FACE', message: 'Face too small' }] }],
    };
    expect(await serviceEnroller(enrollment(refused)).enrolPhoto(request)).toEqual({
      status: 'refused',
      code: 'SMALL_FACE',
      message: 'Face too small',
    });
    const bad = new FacegateError('VALIDATION_FAILED', 'Badge too long');
    expect(await serviceEnroller(enrollment(bad)).enrolPhoto(request)).toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('lets server-side failures escape so Lambda retries', async () => {
    const busy = new FacegateError('OVERLOADED', 'Face service is busy');
    await expect(serviceEnroller(enrollment(busy)).enrolPhoto(request)).rejects.toThrow('busy');
  });
});
