/**
 * Error and refusal texts for people: a plain sentence first; the stable code and the request id go in small
 * print for whoever has to look into it.
 */
import { ApiError } from './api.js';

const PLAIN: Readonly<Record<string, string>> = {
  NO_FACE: 'No face could be found in this photo.',
  MULTIPLE_FACES: 'More than one face is in this photo. Use a photo of this person alone.',
  SMALL_FACE: 'The face is too small in this photo. Use a closer shot.',
  EXTREME_POSE: 'The face is turned too far away. Use a photo looking at the camera.',
  LOW_SHARPNESS: 'This photo is too blurred.',
  LOW_BRIGHTNESS: 'This photo is too dark.',
  OVEREXPOSED: 'This photo is too bright.',
  FACE_CUT_OFF: 'The face is cut off at the edge of the photo.',
  LOW_QUALITY: 'This photo is not good enough to recognise the face.',
  DUPLICATE_FACE: 'This face is already enrolled for another employee.',
  FACE_MISMATCH: 'This face does not look like the photos already enrolled for this employee.',
  IMAGE_UNREADABLE: 'This file could not be read as a photo.',
  UNSUPPORTED_FORMAT: 'This file type is not supported. Use JPEG, PNG or WebP.',
  IMAGE_TOO_LARGE: 'This photo is too large.',
  IMAGE_TOO_SMALL: 'This photo is too small.',
  PAYLOAD_TOO_LARGE: 'The upload is too large.',
  VALIDATION_FAILED: 'Some of the entered values are not valid.',
  NOT_FOUND: 'It was not found. It may have been deleted meanwhile.',
  CONFLICT: 'This conflicts with an existing record.',
  UNAUTHENTICATED: 'Your session has ended. Sign in again.',
  FORBIDDEN: 'Your role is not allowed to do this.',
  CSRF_FAILED: 'The page is out of date. Reload it and try again.',
  RATE_LIMITED: 'Too many requests. Wait a moment and try again.',
  LOCKED_OUT: 'Too many attempts. Wait a moment and try again.',
  OVERLOADED: 'The server is busy. Try again in a moment.',
  NOT_READY: 'The server is not ready yet. Try again in a moment.',
  NETWORK: 'The server could not be reached. Check the network and try again.',
  INTERNAL: 'Something went wrong on the server.',
};

/** The plain sentence for a stable code, else the server's own message. */
export function plainText(code: string, message: string): string {
  return PLAIN[code] ?? message;
}

/** An error split into what to tell people and the small print (code, technical message, request id). */
export interface ErrorParts {
  text: string;
  detail: string;
}

/** Splits any thrown value into a plain sentence and small print. */
export function errorParts(error: unknown): ErrorParts {
  if (error instanceof ApiError) {
    const text = plainText(error.code, error.message);
    const detail = [
      error.code,
      text === error.message ? '' : error.message,
      error.requestId ? `request ${error.requestId}` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    return { text, detail };
  }
  return { text: error instanceof Error ? error.message : String(error), detail: '' };
}

/** Separates the plain sentence from the small print in an error string (see `Notice`). */
export const DETAIL_SEPARATOR = '\n';
