/** User-facing hints of the kiosk. Short, imperative, readable from a metre away; never a score. */
import { LIVENESS_ACTIONS, type LivenessAction } from '../shared/liveness-types.js';

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

/** Kiosk wording of the liveness `retry` hints. */
export const LIVENESS_HINT_MESSAGES: Readonly<Record<string, string>> = {
  TURN_MORE: 'Turn your head a little further when asked',
  LOOK_UP_MORE: 'Look up a little more when asked',
  COME_CLOSER_MORE: 'Come a little closer when asked',
  FACE_NOT_FOUND: 'Keep your face in the oval',
  NO_FACE: 'Keep your face in the oval',
  MULTIPLE_FACES: 'One person at a time',
  WRONG_ORDER: 'Follow the prompts one after the other',
  TOO_FAST: 'Follow the prompts one after the other',
  HOLD_STILL: 'Hold still between the prompts',
  LOW_BRIGHTNESS: 'Too dark – step into the light',
  CHALLENGE_EXPIRED: 'Time ran out. Let’s try again',
  TIMEOUT: 'Time ran out. Let’s try again',
};

const LIVENESS_DEFAULT: KioskHint = {
  code: 'LIVENESS_RETRY',
  message: 'Let’s try again – follow the prompts',
};

/** The kiosk hint of a liveness `retry`: known codes get the kiosk wording, anything else a neutral sentence. */
export function toLivenessHint(hint: string | null | undefined): KioskHint {
  if (!hint) return LIVENESS_DEFAULT;
  const known = LIVENESS_HINT_MESSAGES[hint];
  if (known) return { code: hint, message: known };
  const action = failedActionOf(hint);
  if (action) return { code: hint, message: ACTION_RETRY[action] };
  return LIVENESS_DEFAULT;
}

/** A failed action is left out of the next challenge: the hint says so rather than asking for it again. */
const ACTION_RETRY: Readonly<Record<LivenessAction, string>> = {
  turn_left: 'We could not see you turn left. Let’s try other moves',
  turn_right: 'We could not see you turn right. Let’s try other moves',
  look_up: 'We could not see you look up. Let’s try other moves',
  blink: 'We could not see you blink. Let’s try other moves',
  come_closer: 'We could not see you come closer. Let’s try other moves',
};

/**
 * The action a hint names, if any (`BLINK_NOT_SEEN` → `blink`, `TURN_LEFT_MISSED` → `turn_left`). The next
 * challenge excludes it: the person gets other random actions, never fewer checks.
 */
export function failedActionOf(hint: string | null | undefined): LivenessAction | null {
  if (!hint) return null;
  const code = hint.toUpperCase();
  return LIVENESS_ACTIONS.find((action) => code.includes(action.toUpperCase())) ?? null;
}
