import { createHash, createHmac, randomUUID } from 'node:crypto';
import { FacegateError } from '../../domain/errors.js';
import { required } from '../../util/checked-access.js';

/** AWS credentials as the SDK resolves them (a Lambda role gives a session token too). */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** One request to presign with SigV4 query parameters (S3 "presigned URL"). */
export interface PresignRequest {
  method: 'GET' | 'PUT';
  bucket: string;
  key: string;
  region: string;
  credentials: SigningCredentials;
  expiresInSeconds: number;
  now: Date;
  /** Extra headers the client must send unchanged (e.g. `content-type`), signed into the URL. */
  headers?: Record<string, string>;
  /** Host to sign for; `<bucket>.s3.<region>.amazonaws.com` by default. */
  host?: string;
  /**
   * A local S3-compatible server (`http://127.0.0.1:4569`): path-style URL (`/<bucket>/<key>`) on that origin,
   * in place of AWS's virtual-hosted one.
   */
  endpoint?: string;
}

/** RFC 3986 encoding as SigV4 wants it (`!'()*` too), keeping `/` when asked (object key paths). */
function uriEncode(value: string, keepSlash = false): string {
  const encoded = encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * A presigned S3 URL, signed with AWS Signature Version 4 in the query string ("Authenticating Requests: Using
 * Query Parameters", S3 API reference); the payload is unsigned, as S3 allows for presigned URLs. Written here
 * because `@aws-sdk/s3-request-presigner` is not a dependency; the spec checks it against the documented example.
 */
export function presignS3Url(request: PresignRequest): string {
  if (!(request.expiresInSeconds >= 1 && request.expiresInSeconds <= 604_800)) {
    throw new FacegateError('VALIDATION_FAILED', 'Presigned URLs last between 1 second and 7 days');
  }
  const local = request.endpoint ? new URL(request.endpoint) : undefined;
  const host = local?.host ?? request.host ?? `${request.bucket}.s3.${request.region}.amazonaws.com`;
  const amzDate = request.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${request.region}/s3/aws4_request`;
  const headers: Record<string, string> = { host };
  for (const [name, value] of Object.entries(request.headers ?? {}))
    headers[name.toLowerCase()] = value.trim();
  const headerNames = Object.keys(headers).sort();
  const query: Record<string, string> = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${request.credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': String(request.expiresInSeconds),
    'X-Amz-SignedHeaders': headerNames.join(';'),
  };
  if (request.credentials.sessionToken) query['X-Amz-Security-Token'] = request.credentials.sessionToken;
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((name) => `${uriEncode(name)}=${uriEncode(required(query[name], name))}`)
    .join('&');
  const path = `${local ? `/${uriEncode(request.bucket)}` : ''}/${uriEncode(request.key, true)}`;
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery,
    ...headerNames.map((name) => `${name}:${headers[name]}`),
    '',
    headerNames.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${request.credentials.secretAccessKey}`, day), request.region), 's3'),
    'aws4_request',
  );
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  const origin = local ? `${local.protocol}//${host}` : `https://${host}`;
  return `${origin}${path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

/** Prefix of the keys the validation flow hands out; authenticate accepts only keys under it. */
export const VALIDATION_PREFIX = 'probes/';

/** What the page needs to upload one photo for authentication. */
export interface UploadTicket {
  /** PUT the photo here with exactly `headers`. */
  url: string;
  headers: Record<string, string>;
  /** Then call authenticate with this key. */
  key: string;
  expiresAt: string;
}

/** Options of {@link createUploadTicket}. */
export interface UploadTicketOptions {
  bucket: string;
  region: string;
  credentials: SigningCredentials;
  contentType: 'image/jpeg' | 'image/png' | 'image/webp';
  /** A local S3-compatible server, for runs without an account (see {@link PresignRequest.endpoint}). */
  endpoint?: string;
  /** Seconds the URL stays valid; 60 by default (the page uploads at once). */
  expiresInSeconds?: number;
  now?: Date;
}

const EXTENSIONS = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' } as const;

/**
 * The seed's validation flow, first step: a presigned PUT for a fresh random key under `probes/` of the
 * validation bucket (whose lifecycle rule deletes it within a day). The content type is signed, so the upload
 * must declare the image type it was issued for.
 */
export function createUploadTicket(options: UploadTicketOptions): UploadTicket {
  const now = options.now ?? new Date();
  const expiresInSeconds = options.expiresInSeconds ?? 60;
  const key = `${VALIDATION_PREFIX}${randomUUID()}.${EXTENSIONS[options.contentType]}`;
  const headers = { 'content-type': options.contentType };
  const url = presignS3Url({
    method: 'PUT',
    bucket: options.bucket,
    key,
    region: options.region,
    credentials: options.credentials,
    expiresInSeconds,
    now,
    headers,
    endpoint: options.endpoint,
  });
  return { url, headers, key, expiresAt: new Date(now.getTime() + expiresInSeconds * 1000).toISOString() };
}

/**
 * Second step's guard: authenticate reads only keys this flow hands out (no path tricks, no other prefixes), so
 * a caller cannot make the function read arbitrary objects of the bucket.
 */
export function assertValidationKey(key: string): string {
  if (!/^probes\/[0-9a-f-]{36}\.(jpg|png|webp)$/.test(key)) {
    throw new FacegateError('VALIDATION_FAILED', 'Unknown upload key');
  }
  return key;
}
