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

/**
 * The kiosk hint of a `retry`: from an error code (known codes get the kiosk wording, an unknown code a neutral
 * hint) or the server's `hint` sentence, shown as it is.
 */
export function toKioskHint(hint: string | undefined): KioskHint {
  if (!hint) return DEFAULT_HINT;
  const known = HINT_MESSAGES[hint];
  if (known) return { code: hint, message: known };
  // A code-like token we do not know is not shown; a sentence is.
  return /^[A-Z0-9_]+$/.test(hint) ? DEFAULT_HINT : { code: 'SERVER_HINT', message: hint };
}
