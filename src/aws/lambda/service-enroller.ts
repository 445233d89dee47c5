import { type Actor, systemActor } from '../../domain/access.js';
import { isFacegateError } from '../../domain/errors.js';
import type { EnrollmentService } from '../../services/enrollment.service.js';
import type { StorageEnroller, StorageEnrolOutcome } from './storage.handler.js';

/** The actor recorded in the audit log for photos enrolled by the storage function. */
export const STORAGE_FUNCTION_ACTOR: Actor = systemActor('storage-function');

/**
 * {@link StorageEnroller} over the enrollment service: the same rules, reason codes and audit as the API and the
 * bulk import (`enrollByBadge` creates the employee when the badge is new, and recognises a photo it already
 * holds by its digest, which makes S3's repeated deliveries harmless).
 */
export function serviceEnroller(enrollment: Pick<EnrollmentService, 'enrollByBadge'>): StorageEnroller {
  return {
    async enrolPhoto({ person, photo, contentType, source }): Promise<StorageEnrolOutcome> {
      try {
        const result = await enrollment.enrollByBadge(
          {
            badge: person.badge,
            firstName: person.firstName,
            lastName: person.lastName,
            email: person.email,
            department: person.department,
          },
          [{ bytes: photo, file: source, contentType }],
          STORAGE_FUNCTION_ACTOR,
        );
        const outcome = result.photos[0];
        if (outcome?.accepted && result.employee) {
          return {
            status: outcome.alreadyEnrolled ? 'already-enrolled' : 'enrolled',
            employeeId: result.employee.id,
          };
        }
        const reason = outcome?.reasons[0];
        return {
          status: 'refused',
          code: reason?.code ?? 'REFUSED',
          message: reason?.message ?? 'Photo refused',
        };
      } catch (error) {
        // Bad input (badge, names, image) is a refusal; anything else is the infrastructure's and is retried.
        if (isFacegateError(error) && error.status < 500) {
          return { status: 'refused', code: error.code, message: error.message };
        }
        throw error;
      }
    },
  };
}
