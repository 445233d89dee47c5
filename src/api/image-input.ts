import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { FacegateError } from '../domain/errors.js';

/** One uploaded image. */
export interface UploadedImage {
  bytes: Buffer;
  contentType: string;
  /** Client file name, reduced to a safe base name (only echoed back, never used as a path). */
  fileName: string | undefined;
}

/** Upload with the text fields sent alongside. */
export interface ImageUpload {
  images: UploadedImage[];
  fields: Record<string, string>;
}

/** Limits the error handler maps itself (sizes, counts); anything else from the parser is a malformed body. */
const MULTIPART_LIMIT_CODES = new Set([
  'FST_REQ_FILE_TOO_LARGE',
  'FST_PARTS_LIMIT',
  'FST_FILES_LIMIT',
  'FST_FIELDS_LIMIT',
  'FST_INVALID_MULTIPART_CONTENT_TYPE',
]);

function malformedMultipart(error: unknown): unknown {
  if (error instanceof FacegateError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && MULTIPART_LIMIT_CODES.has(code)) return error;
  return new FacegateError('VALIDATION_FAILED', 'Malformed multipart/form-data body', undefined, {
    cause: error,
  });
}

/** Reduces a client file name to a display-safe base name. */
export function safeFileName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const base = name.split(/[\\/]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 200);
  return clean === '' || clean === '.' || clean === '..' ? undefined : clean;
}

async function readFile(part: MultipartFile): Promise<UploadedImage> {
  const bytes = await part.toBuffer();
  return { bytes, contentType: part.mimetype, fileName: safeFileName(part.filename) };
}

/**
 * Reads images from a multipart form (every file part; text parts become `fields`) or from a raw `image/*`
 * body. Throws `IMAGE_MISSING` without any image bytes and `VALIDATION_FAILED` above `maxFiles`.
 */
export async function readImages(request: FastifyRequest, maxFiles: number): Promise<ImageUpload> {
  const images: UploadedImage[] = [];
  const fields: Record<string, string> = {};
  if (request.isMultipart()) {
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          if (images.length >= maxFiles) {
            await part.toBuffer();
            throw new FacegateError('VALIDATION_FAILED', `At most ${maxFiles} image(s) per request`);
          }
          const image = await readFile(part);
          if (image.bytes.length > 0) images.push(image);
        } else if (typeof part.value === 'string') {
          fields[part.fieldname] = part.value;
        }
      }
    } catch (error) {
      throw malformedMultipart(error);
    }
  } else if (Buffer.isBuffer(request.body)) {
    const contentType = request.headers['content-type'] ?? 'application/octet-stream';
    if (request.body.length > 0) images.push({ bytes: request.body, contentType, fileName: undefined });
  } else if (request.body !== undefined && request.body !== null) {
    throw new FacegateError(
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the photo as multipart/form-data or as an image/* body',
    );
  }
  if (images.length === 0) throw new FacegateError('IMAGE_MISSING', 'No image in the request');
  return { images, fields };
}
