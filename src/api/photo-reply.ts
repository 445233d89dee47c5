import type { FastifyReply } from 'fastify';

const IMAGE_TYPES = /^image\/(jpeg|png|webp|gif|avif|tiff)$/;

/** Sends a kept photo: never cached, shown inline, and typed as an image only when it is one. */
export function sendPhoto(reply: FastifyReply, photo: { bytes: Uint8Array; contentType: string }) {
  const type = IMAGE_TYPES.test(photo.contentType) ? photo.contentType : 'application/octet-stream';
  return reply
    .header('cache-control', 'private, no-store')
    .header('content-disposition', 'inline')
    .type(type)
    .send(Buffer.from(photo.bytes));
}
