import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, type ErrorCode, FacegateError, isFacegateError } from '../domain/errors.js';

/** Public message of each code when the original message must not reach the client. */
const GENERIC: Partial<Record<ErrorCode, string>> = {
  INTERNAL: 'Internal error',
  PAYLOAD_TOO_LARGE: 'Request body too large',
  IMAGE_TOO_LARGE: 'Image too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported content type',
  RATE_LIMITED: 'Too many requests; slow down',
  OVERLOADED: 'Server busy; retry shortly',
  NOT_FOUND: 'Not found',
  MAIL_NOT_CONFIGURED: 'E-mail delivery is not configured on this server',
  MODEL_INTEGRITY: 'A face model failed its integrity check; see the server log',
};

/**
 * Codes whose own message is never sent: it may name server paths, package files or hashes. The full error is
 * logged server-side (every 5xx is), the client gets the generic text and the request id to find it.
 */
const WITHHELD: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['INTERNAL', 'MODEL_INTEGRITY']);

/** The message a client may see for this error. */
export function publicMessage(error: FacegateError): string {
  if (WITHHELD.has(error.code)) return GENERIC[error.code] ?? error.code;
  return error.message || (GENERIC[error.code] ?? error.code);
}

/** True when the request carries an image upload (raw image/* or multipart). */
function isImageUpload(request: FastifyRequest): boolean {
  const type = request.headers['content-type'] ?? '';
  return /^(image\/|application\/octet-stream|multipart\/form-data)/i.test(type);
}

/**
 * Maps anything thrown while serving a request to a FacegateError: domain errors pass, Fastify/plugin errors
 * become their stable code, everything else is INTERNAL (the caller logs it).
 */
export function toFacegateError(error: unknown, request: FastifyRequest): FacegateError {
  if (isFacegateError(error)) return error;
  const e = error as Partial<FastifyError> & { validation?: unknown };
  if (e.validation) return new FacegateError('VALIDATION_FAILED', e.message ?? 'Invalid request');
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return isImageUpload(request)
        ? new FacegateError('IMAGE_TOO_LARGE', 'Image too large')
        : new FacegateError('PAYLOAD_TOO_LARGE', 'Request body too large');
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new FacegateError('PAYLOAD_TOO_LARGE', 'Too many parts in the upload');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new FacegateError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new FacegateError('VALIDATION_FAILED', 'Body must not be empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new FacegateError('VALIDATION_FAILED', 'Body is not valid JSON');
  }
  const status = e.statusCode ?? 500;
  if (status === 413) return new FacegateError('PAYLOAD_TOO_LARGE', 'Request body too large');
  if (status === 415) return new FacegateError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type');
  if (status === 429) return new FacegateError('RATE_LIMITED', 'Too many requests; slow down');
  if (status === 503) return new FacegateError('OVERLOADED', 'Server busy; retry shortly');
  if (error instanceof SyntaxError || (status >= 400 && status < 500)) {
    return new FacegateError('VALIDATION_FAILED', 'Malformed request');
  }
  return new FacegateError('INTERNAL', 'Internal error', undefined, { cause: error });
}

/** Seconds a client should wait, for codes that have one. */
function retryAfter(error: FacegateError): number | undefined {
  const fromDetails = error.details?.retryAfterSeconds;
  if (typeof fromDetails === 'number' && fromDetails > 0) return Math.ceil(fromDetails);
  if (error.code === 'OVERLOADED' || error.code === 'NOT_READY') return 2;
  return undefined;
}

/** The one error handler: constant-shape body, stable code, request id, no stack traces. */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = toFacegateError(error, request);
  const status = ERROR_STATUS[mapped.code];
  if (status >= 500 && mapped.code !== 'OVERLOADED' && mapped.code !== 'NOT_READY') {
    request.log.error({ err: error, code: mapped.code }, 'request failed');
  } else {
    request.log.info({ code: mapped.code }, 'request refused');
  }
  const seconds = retryAfter(mapped);
  if (seconds !== undefined) reply.header('retry-after', String(seconds));
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send({
      error: {
        code: mapped.code,
        message: publicMessage(mapped),
        requestId: request.id,
      },
    });
}
