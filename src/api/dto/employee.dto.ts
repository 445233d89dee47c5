import type { Employee, FaceTemplate } from '../../domain/models.js';
import type { EmployeeView, TemplateSummary } from '../../services/employee.service.js';
import type { EnrollmentResult, PhotoReason } from '../../services/enrollment.service.js';
import type { ErasureReport } from '../../services/erasure.service.js';

/** Employee as clients see it. */
export function toEmployeeDto(e: Employee) {
  return {
    id: e.id,
    badge: e.badge,
    firstName: e.firstName,
    lastName: e.lastName,
    email: e.email,
    department: e.department,
    role: e.role,
    status: e.status,
    faceLoginLocked: e.faceLoginLocked,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

/** Employee with the face fields the service let this caller see. */
export function toEmployeeViewDto(v: EmployeeView) {
  return {
    ...toEmployeeDto(v.employee),
    ...(v.templateCount !== undefined ? { templateCount: v.templateCount } : {}),
    ...(v.photoId !== undefined ? { photoId: v.photoId } : {}),
  };
}

/** Reason without anything beyond code, message, figures and the named employee. */
export function toReasonDto(r: PhotoReason) {
  return {
    code: r.code,
    message: r.message,
    ...(r.value !== undefined ? { value: r.value } : {}),
    ...(r.threshold !== undefined ? { threshold: r.threshold } : {}),
    ...(r.employee
      ? {
          employee: {
            id: r.employee.id,
            badge: r.employee.badge,
            firstName: r.employee.firstName,
            lastName: r.employee.lastName,
          },
        }
      : {}),
  };
}

/** Template metadata; the photo id is the template id when a photo was kept. Never the embedding. */
export function toFaceDto(t: TemplateSummary | FaceTemplate) {
  const hasPhoto = 'hasPhoto' in t ? t.hasPhoto : t.photoKey !== null;
  return {
    id: t.id,
    photoId: hasPhoto ? t.id : null,
    engine: t.engine,
    model: t.model,
    modelVersion: t.modelVersion,
    quality: { ...t.quality },
    createdAt: t.createdAt,
  };
}

/** Per-photo enrollment results. */
export function toPhotoResultsDto(r: Pick<EnrollmentResult, 'photos'>) {
  return r.photos.map((p) => ({
    ...(p.file !== undefined ? { file: p.file } : {}),
    accepted: p.accepted,
    ...(p.templateId !== undefined ? { faceId: p.templateId } : {}),
    ...(p.alreadyEnrolled !== undefined ? { alreadyEnrolled: p.alreadyEnrolled } : {}),
    reasons: p.reasons.map(toReasonDto),
  }));
}

/** Per-photo enrollment results with the employee. */
export function toEnrollResultDto(r: Omit<EnrollmentResult, 'employee'> & { employee: Employee }) {
  return { employee: toEmployeeDto(r.employee), added: r.added, photos: toPhotoResultsDto(r) };
}

/** What an erasure removed. */
export function toErasureDto(r: ErasureReport) {
  return {
    employeeId: r.employeeId,
    badge: r.badge,
    templatesDeleted: r.templatesDeleted,
    photosDeleted: r.photosDeleted,
    erasedAt: r.erasedAt,
    verified: Object.values(r.verified).every(Boolean),
  };
}
