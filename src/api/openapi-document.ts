import type { FastifySchema } from 'fastify';
import { ANSWER_FRAMES } from '../services/liveness.service.js';
import { MAX_PHOTOS_PER_REQUEST } from './routes/employee.routes.js';
import { ErrorBody } from './schemas/common.schema.js';

/**
 * What the OpenAPI document says beyond the route schemas: request bodies the routes parse themselves (multipart,
 * raw images), non-JSON answers, an `operationId` and a tag on every operation, and the standard error answers.
 * Applied by `@fastify/swagger`'s `transform`; it changes the document only, never validation.
 */

const PHOTO = { type: 'string', format: 'binary', description: 'JPEG, PNG, WebP or GIF photo' };
const PHOTOS = { type: 'array', items: PHOTO, minItems: 1, maxItems: MAX_PHOTOS_PER_REQUEST };
/** Raw bodies the image routes accept; the bytes are sniffed, the declared type only gates the parser. */
const RAW_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/octet-stream'];

type Media = Record<string, { schema: Record<string, unknown> }>;

function multipart(properties: Record<string, unknown>, required: string[]): Media {
  return { 'multipart/form-data': { schema: { type: 'object', properties, required } } };
}

/** The challenge id of a face login's answer, as the route reads it (1–64 characters). */
function challengeIdField(description: string) {
  return { type: 'string', minLength: 1, maxLength: 64, description };
}

/**
 * A face login's multipart body: one `photo` (liveness mode `off`), or the answer to a liveness challenge (its
 * id, nonce, the frames in capture order and their capture times).
 */
function faceLogin(extra: Record<string, unknown>, extraRequired: string[]): Media {
  const answer = {
    type: 'object',
    properties: {
      ...extra,
      challengeId: challengeIdField('From POST /v1/liveness/challenges'),
      nonce: { type: 'string', minLength: 1, maxLength: 64 },
      frames: { type: 'array', items: PHOTO, minItems: ANSWER_FRAMES.min, maxItems: ANSWER_FRAMES.max },
      timestamps: { type: 'string', description: 'JSON array of capture times (epoch ms), one per frame' },
    },
    required: [...extraRequired, 'challengeId', 'nonce', 'frames', 'timestamps'],
  };
  const photo = {
    type: 'object',
    properties: { ...extra, photo: PHOTO },
    required: [...extraRequired, 'photo'],
  };
  return { 'multipart/form-data': { schema: { oneOf: [photo, answer] } } };
}

/** The answer to a Face Liveness session (provider `rekognition`): its challenge id, the video went to AWS. */
function sessionAnswer(extra: Record<string, unknown>): Media {
  return {
    'application/json': {
      schema: {
        type: 'object',
        properties: {
          ...extra,
          challengeId: challengeIdField('From POST /v1/liveness/challenges (provider rekognition)'),
        },
        required: ['challengeId'],
        additionalProperties: false,
      },
    },
  };
}

function rawImage(): Media {
  return Object.fromEntries(RAW_IMAGE_TYPES.map((type) => [type, { schema: PHOTO }]));
}

const EMPLOYEE_FIELD = { type: 'string', description: 'Employee id or badge (or the query parameter)' };

/** Request bodies of the image routes, by `METHOD url`. */
const UPLOADS: Record<string, Media> = {
  'POST /v1/authenticate': { ...faceLogin({}, []), ...sessionAnswer({}), ...rawImage() },
  'POST /v1/verify': {
    ...faceLogin({ employee: EMPLOYEE_FIELD }, []),
    ...sessionAnswer({ employee: EMPLOYEE_FIELD }),
    ...rawImage(),
  },
  'POST /v1/employees/:id/faces': multipart({ photos: PHOTOS }, ['photos']),
  'POST /v1/enrol/:token/submission': multipart({ photos: { ...PHOTOS, minItems: 3, maxItems: 5 } }, [
    'photos',
  ]),
  'POST /v1/enrol/:token/liveness': multipart(
    {
      challengeId: { type: 'string', format: 'uuid' },
      nonce: { type: 'string' },
      frames: { type: 'array', items: PHOTO, minItems: 4, maxItems: 12 },
      timestamps: { type: 'string', description: 'JSON array of epoch milliseconds, one per frame' },
    },
    ['challengeId', 'nonce', 'frames', 'timestamps'],
  ),
  'POST /v1/employees/enroll': multipart(
    {
      badge: { type: 'string', pattern: '^\\s*[A-Za-z0-9][A-Za-z0-9._-]*\\s*$', maxLength: 64 },
      firstName: { type: 'string', minLength: 1, maxLength: 100 },
      lastName: { type: 'string', minLength: 1, maxLength: 100 },
      email: { type: 'string', maxLength: 254, pattern: '^\\s*$|^\\s*[^\\s@]+@[^\\s@]+\\.[^\\s@]+\\s*$' },
      department: { type: 'string', maxLength: 100 },
      role: { type: 'string', maxLength: 64 },
      photos: PHOTOS,
    },
    ['badge', 'firstName', 'lastName', 'photos'],
  ),
};

const TEXT = { type: 'string' };
const IMAGE_ANSWER: Media = Object.fromEntries(
  ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'application/octet-stream'].map((type) => [
    type,
    { schema: PHOTO },
  ]),
);

/** Successful answers that are not JSON, by `METHOD url`. */
const NON_JSON_ANSWERS: Record<string, { description: string; content: Media }> = {
  'GET /v1/audit/export': {
    description: 'CSV (`format=csv`, default) or JSON lines (`format=ndjson`), streamed',
    content: { 'text/csv': { schema: TEXT }, 'application/x-ndjson': { schema: TEXT } },
  },
  'GET /metrics': {
    description: 'Prometheus text exposition',
    content: { 'text/plain': { schema: TEXT } },
  },
  'GET /v1/employees/:id/photos/:photoId': { description: 'The image bytes', content: IMAGE_ANSWER },
  'GET /v1/welcome-photo/:token': { description: 'The image bytes', content: IMAGE_ANSWER },
  'GET /v1/enrolment/submissions/:id/photos/:index': {
    description: 'The image bytes',
    content: IMAGE_ANSWER,
  },
};

const RETRY_AFTER = {
  'retry-after': { type: 'integer', minimum: 1, description: 'Seconds to wait before retrying' },
};

/** An error answer of the one shape, optionally with `Retry-After`. */
function errorAnswer(description: string, retry = false): Record<string, unknown> {
  return { ...ErrorBody, description, ...(retry ? { headers: RETRY_AFTER } : {}) };
}

/** The errors any operation may answer (validation, authentication, limits, overload). */
export const STANDARD_ERRORS: Readonly<Record<number, Record<string, unknown>>> = {
  400: errorAnswer('Invalid request (`VALIDATION_FAILED`, `IMAGE_MISSING`, …)'),
  401: errorAnswer('Not authenticated'),
  403: errorAnswer('Not allowed for this caller'),
  404: errorAnswer('Not found'),
  409: errorAnswer('Conflict with the current state'),
  413: errorAnswer('Body or image too large'),
  414: errorAnswer('A path parameter is too long'),
  415: errorAnswer('Unsupported content type or image format'),
  422: errorAnswer('The image or face cannot be used'),
  429: errorAnswer('Rate limited or locked out', true),
  500: errorAnswer('Internal error (logged with the request id)'),
  503: errorAnswer('Overloaded or not ready', true),
};

/** A stable operation id from method and path: `GET /v1/employees/:id/faces` → `getEmployeesIdFaces`. */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .replace(/^\/v1\//, '/')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0);
  return [method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

/** The first path word after `/v1`, as the tag of an operation that has none. */
function defaultTag(url: string): string {
  return url.replace(/^\/v1\//, '/').split('/')[1] || 'system';
}

type RouteDoc = { schema: FastifySchema; url: string; route?: { method?: string | string[] } };

/** The `@fastify/swagger` transform: completes each operation's documentation. */
export function documentRoute({ schema, url, route }: RouteDoc): { schema: FastifySchema; url: string } {
  if (!schema || (schema as { hide?: boolean }).hide) return { schema, url };
  const methods = route?.method;
  const method = (Array.isArray(methods) ? methods[0] : methods) ?? 'GET';
  const key = `${method} ${url}`;
  const doc: Record<string, unknown> = { ...(schema as Record<string, unknown>) };
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE') delete doc.body;
  const upload = UPLOADS[key];
  if (upload) doc.body = { content: upload };
  doc.operationId ??= operationIdOf(method, url);
  doc.tags ??= [defaultTag(url)];
  const response: Record<string, unknown> = {
    ...STANDARD_ERRORS,
    ...((doc.response as Record<string, unknown>) ?? {}),
  };
  for (const [status, answer] of Object.entries(STANDARD_ERRORS)) {
    if ((status === '429' || status === '503') && response[status] !== answer) response[status] = answer;
  }
  const nonJson = NON_JSON_ANSWERS[key];
  if (nonJson) response[200] = nonJson;
  doc.response = response;
  return { url, schema: doc as FastifySchema };
}
