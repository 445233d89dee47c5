import sharp, { type Metadata } from 'sharp';
import { FacegateError } from '../domain/errors.js';
import type { ImageInfo } from './face-engine.port.js';

/** Interleaved 8-bit sRGB pixels, 3 channels, row-major. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** A decoded, EXIF-oriented image at full resolution plus a copy downscaled for detection. */
export interface DecodedImage {
  info: ImageInfo;
  full: RgbImage;
  /** `full` downscaled so its longest side is at most `detectMaxSide` (the same object when already small). */
  detect: RgbImage;
  /** Multiply detection coordinates by this to get full-image pixels (≥ 1). */
  detectScale: number;
}

/** Limits applied before and during decoding. */
export interface DecodeLimits {
  maxImageBytes: number;
  maxImagePixels: number;
  detectMaxSide: number;
  /** When set, `full` itself is scaled down to this longest side (a cheaper analysis of a large frame). */
  maxSide?: number;
}

/** Formats we decode; anything else sharp recognises is refused as unsupported. */
const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'gif', 'heif']);

/** Magic numbers of common formats sharp cannot read at all, so they get UNSUPPORTED_FORMAT, not UNREADABLE. */
const KNOWN_UNSUPPORTED: ReadonlyArray<{ name: string; magic: number[] }> = [
  { name: 'bmp', magic: [0x42, 0x4d] },
  { name: 'ico', magic: [0x00, 0x00, 0x01, 0x00] },
  { name: 'psd', magic: [0x38, 0x42, 0x50, 0x53] },
  { name: 'pdf', magic: [0x25, 0x50, 0x44, 0x46] },
];

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis']);

/** ISO-BMFF `ftyp` box with an HEVC brand. */
function isHeic(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 12) return false;
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  return ascii(4, 8) === 'ftyp' && HEIC_BRANDS.has(ascii(8, 12));
}

/**
 * Decodes an uploaded photo with sharp: validates size and format from the header before any pixel is
 * decoded (so decompression bombs are refused cheaply), honours EXIF orientation and converts every colour
 * model (CMYK, grayscale, 16-bit, alpha) to 8-bit sRGB RGB. Animated GIF/WebP: the first frame is used.
 * Throws FacegateError IMAGE_MISSING, IMAGE_TOO_LARGE, UNSUPPORTED_FORMAT or IMAGE_UNREADABLE.
 */
export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits): Promise<DecodedImage> {
  checkFileSize(bytes, limits);
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const options: SharpReadOptions = { limitInputPixels: limits.maxImagePixels, failOn: 'error', pages: 1 };

  let meta: Metadata;
  try {
    meta = await sharp(input, options).metadata();
  } catch (error) {
    throw metadataError(error, bytes, limits);
  }
  const format = acceptedFormat(meta, bytes);
  checkDimensions(meta, limits);
  const decoded = await decodeFull(input, options, format);
  const full =
    limits.maxSide && Math.max(decoded.width, decoded.height) > limits.maxSide
      ? await resizeRgb(decoded, limits.maxSide)
      : decoded;

  const info: ImageInfo = {
    format,
    width: full.width,
    height: full.height,
    orientation: meta.orientation ?? 1,
  };
  const longest = Math.max(full.width, full.height);
  if (longest <= limits.detectMaxSide) return { info, full, detect: full, detectScale: 1 };
  const detect = await resizeRgb(full, limits.detectMaxSide);
  return { info, full, detect, detectScale: full.width / detect.width };
}

/** sharp input options shared by the header read and the pixel decode. */
interface SharpReadOptions {
  limitInputPixels: number;
  failOn: 'error';
  pages: number;
}

/** Refuses an empty file or one over `maxImageBytes` before sharp sees it. */
function checkFileSize(bytes: Uint8Array, limits: DecodeLimits): void {
  if (bytes.byteLength === 0) throw new FacegateError('IMAGE_MISSING', 'The image is empty');
  if (bytes.byteLength > limits.maxImageBytes) {
    throw new FacegateError('IMAGE_TOO_LARGE', 'The image file is too large', {
      bytes: bytes.byteLength,
      maxBytes: limits.maxImageBytes,
    });
  }
}

/** Maps a failed header read to the error the caller gets: too many pixels, a known unsupported format, or unreadable. */
function metadataError(error: unknown, bytes: Uint8Array, limits: DecodeLimits): FacegateError {
  if (error instanceof Error && /pixel limit/i.test(error.message)) {
    return new FacegateError('IMAGE_TOO_LARGE', 'The image has too many pixels', {
      maxPixels: limits.maxImagePixels,
    });
  }
  if (isHeic(bytes)) {
    return new FacegateError(
      'UNSUPPORTED_FORMAT',
      'Image format heic is not supported; use JPEG, PNG or WebP',
      {
        format: 'heic',
      },
    );
  }
  const unsupported = KNOWN_UNSUPPORTED.find((f) => startsWith(bytes, f.magic));
  if (unsupported) {
    return new FacegateError('UNSUPPORTED_FORMAT', `Image format ${unsupported.name} is not supported`, {
      format: unsupported.name,
    });
  }
  return new FacegateError('IMAGE_UNREADABLE', 'The file is not a readable image', undefined, {
    cause: error,
  });
}

/** The reported format name (heif split into avif/heic); throws UNSUPPORTED_FORMAT for anything we don't decode. */
function acceptedFormat(meta: Metadata, bytes: Uint8Array): string {
  const format = meta.format === 'heif' ? (meta.compression === 'av1' ? 'avif' : 'heic') : meta.format;
  // Prebuilt sharp decodes AVIF but has no HEVC decoder, so HEIC is refused up front with a clear code.
  if (!ACCEPTED.has(meta.format) || format === 'heic' || isHeic(bytes)) {
    throw new FacegateError(
      'UNSUPPORTED_FORMAT',
      `Image format ${format} is not supported; use JPEG, PNG or WebP`,
      { format },
    );
  }
  return format;
}

/** Refuses a header with no pixels, or more than `maxImagePixels` (first frame of an animation). */
function checkDimensions(meta: Metadata, limits: DecodeLimits): void {
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width <= 0 || height <= 0) throw new FacegateError('IMAGE_UNREADABLE', 'The image has no pixels');
  if (width * height > limits.maxImagePixels) {
    throw new FacegateError('IMAGE_TOO_LARGE', 'The image has too many pixels', {
      width,
      height,
      maxPixels: limits.maxImagePixels,
    });
  }
}

/** Decodes the full image to EXIF-oriented 8-bit sRGB RGB on white; corrupt data becomes IMAGE_UNREADABLE. */
async function decodeFull(input: Buffer, options: SharpReadOptions, format: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(input, options)
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected channel count ${info.channels}`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    };
  } catch (error) {
    if (error instanceof FacegateError) throw error;
    throw new FacegateError(
      'IMAGE_UNREADABLE',
      'The image data is corrupt or truncated',
      { format },
      {
        cause: error,
      },
    );
  }
}

/** Downscales RGB pixels so the longest side equals `maxSide` (area-averaging, good for detection). */
export async function resizeRgb(image: RgbImage, maxSide: number): Promise<RgbImage> {
  const { data, info } = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize({ width: maxSide, height: maxSide, fit: 'inside', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}
