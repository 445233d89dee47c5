/**
 * Stable error codes. Clients and tests rely on these strings; never rename one.
 * The HTTP status of each code lives here and only here.
 */
export const ERROR_STATUS = {
  // input / images
  VALIDATION_FAILED: 400,
  IMAGE_MISSING: 400,
  IMAGE_UNREADABLE: 422,
  IMAGE_TOO_LARGE: 413,
  IMAGE_TOO_SMALL: 422,
  UNSUPPORTED_FORMAT: 415,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // faces / quality
  NO_FACE: 422,
  MULTIPLE_FACES: 422,
  SMALL_FACE: 422,
  EXTREME_POSE: 422,
  LOW_SHARPNESS: 422,
  LOW_BRIGHTNESS: 422,
  OVEREXPOSED: 422,
  FACE_CUT_OFF: 422,
  LOW_QUALITY: 422,
  DUPLICATE_FACE: 409,
  MODEL_MISMATCH: 409,
  /** The path exists but not with this method (the reply lists the allowed ones in `Allow`). */
  METHOD_NOT_ALLOWED: 405,
  /** A request line or path parameter longer than the server reads. */
  URI_TOO_LONG: 414,
  /** The request did not arrive in time. */
  REQUEST_TIMEOUT: 408,
  // identity
  NOT_FOUND: 404,
  CONFLICT: 409,
  EMPLOYEE_SUSPENDED: 403,
  // auth
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CSRF_FAILED: 403,
  LOCKED_OUT: 429,
  RATE_LIMITED: 429,
  MFA_REQUIRED: 401,
  /** A second factor was wrong, replayed, expired or not allowed for this step. */
  SECOND_FACTOR_FAILED: 401,
  /** A step token that is unknown, expired, already used or presented by another caller. */
  STEP_TOKEN_INVALID: 401,
  /** The policy requires a second factor the person has not enrolled. */
  SECOND_FACTOR_NOT_ENROLLED: 403,
  SETUP_ALREADY_DONE: 409,
  // liveness
  /** Liveness mode `challenge` is in force for this caller: a single photo is never matched. */
  LIVENESS_REQUIRED: 403,
  /** The burst of frames failed the liveness checks (a photo, a screen, a replay...). */
  LIVENESS_FAILED: 403,
  /** The liveness challenge was already answered once. */
  CHALLENGE_USED: 409,
  /** The liveness challenge expired before it was answered. */
  CHALLENGE_EXPIRED: 410,
  /** The liveness challenge was issued to another caller. */
  CHALLENGE_FOREIGN: 403,
  /** Unknown challenge id, or a nonce that does not belong to it. */
  CHALLENGE_INVALID: 400,
  /** Upload tickets need photos in S3 and a validation bucket (`FACEGATE_BLOBS=s3`, `FACEGATE_VALIDATION_BUCKET`). */
  UPLOADS_NOT_CONFIGURED: 404,
  // self-service enrolment
  /** The invitation link has expired. */
  INVITATION_EXPIRED: 409,
  /** The invitation link was revoked by an admin or enroller. */
  INVITATION_REVOKED: 409,
  /** The invitation link was already used for a submission (it now only shows the outcome). */
  INVITATION_USED: 409,
  /** Invitations were to be e-mailed but no SMTP server is configured (`FACEGATE_SMTP_URL`). */
  MAIL_NOT_CONFIGURED: 409,
  // service
  /**
   * This deployment does not build what the request needs (a liveness challenge where no provider runs, the
   * self-service capture step without the local face engine); refused before any work, never retried.
   */
  NOT_SUPPORTED: 409,
  OVERLOADED: 503,
  NOT_READY: 503,
  CONFIG_INVALID: 500,
  /** An export archive that is malformed, altered, or does not match its manifest (`facegate import`). */
  ARCHIVE_INVALID: 422,
  /** `facegate import` into a store or photo store that already holds other data. */
  TARGET_NOT_EMPTY: 409,
  /** `facegate export`: an employee or photo of the export's snapshot was removed before the archive was sealed. */
  SOURCE_CHANGED: 409,
  /** A shipped model file does not have the sha256 the engine expects. */
  MODEL_INTEGRITY: 500,
  INTERNAL: 500,
} as const;

/** A stable, machine-readable error code. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The one error type of facegate's domain. `code` is stable; `message` is for humans;
 * `details` must never contain image bytes, embeddings or secrets.
 */
export class FacegateError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FacegateError';
    this.code = code;
    this.details = details;
  }

  /** HTTP status for this error's code. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** True when `value` is a {@link FacegateError}, optionally with the given code. */
export function isFacegateError(value: unknown, code?: ErrorCode): value is FacegateError {
  return value instanceof FacegateError && (code === undefined || value.code === code);
}
