/** User-facing hints of the kiosk. Short, imperative, readable from a metre away; never a score. */

/** A hint shown over the camera preview. */
export interface KioskHint {
  code: string;
  message: string;
}

/** Kiosk wording per engine / API reason code. */
export const HINT_MESSAGES: Readonly<Record<string, string>> = {
  NO_FACE: 'Face the camera',
  SMALL_FACE: 'Move closer',
  MULTIPLE_FACES: 'One person at a time',
  LOW_BRIGHTNESS: 'Too dark – step into the light',
  OVEREXPOSED: 'Too bright – step out of direct light',
  EXTREME_POSE: 'Face the camera',
  LOW_SHARPNESS: 'Hold still',
  FACE_CUT_OFF: 'Centre your face in the oval',
  LOW_QUALITY: 'Face the camera and hold still',
  IMAGE_TOO_SMALL: 'Move closer',
  IMAGE_UNREADABLE: 'Please try again',
  TOO_DARK: 'Too dark – step into the light',
};

const DEFAULT_HINT: KioskHint = { code: 'RETRY', message: 'Face the camera' };

/** Raw hint shapes the API may send: a code, a sentence, an object, or a list of reasons. */
export type RawHint = string | { code?: string; message?: string } | null | undefined;

/**
 * Normalises the `hint` / `reasons` of a `retry` answer to one kiosk hint. Known codes get the kiosk wording;
 * an unknown code falls back to a neutral hint, and a plain sentence from the server is shown as it is.
 */
export function toKioskHint(
  hint: RawHint,
  reasons?: ReadonlyArray<{ code?: string; message?: string }>,
): KioskHint {
  const first = hint ?? reasons?.[0];
  if (first === null || first === undefined) return DEFAULT_HINT;
  if (typeof first === 'string') {
    const known = HINT_MESSAGES[first];
    if (known) return { code: first, message: known };
    // A code-like token we do not know is not shown; a sentence is.
    return /^[A-Z0-9_]+$/.test(first) ? DEFAULT_HINT : { code: 'SERVER_HINT', message: first };
  }
  const code = first.code ?? 'RETRY';
  const known = HINT_MESSAGES[code];
  if (known) return { code, message: known };
  return first.message ? { code, message: first.message } : DEFAULT_HINT;
}
