import { FacegateError } from '../../domain/errors.js';

/** Shortest PIN accepted. */
export const MIN_PIN_LENGTH = 6;
/** Longest PIN accepted (bounds hashing cost and fits a PIN pad). */
export const MAX_PIN_LENGTH = 12;

/**
 * Throws `VALIDATION_FAILED` unless `pin` is 6–12 digits and not trivially guessable: one repeated digit
 * (000000), a run up or down (123456, 987654), or a repeated pair or triple (121212, 123123).
 */
export function checkPinPolicy(pin: string): void {
  if (!new RegExp(`^\\d{${MIN_PIN_LENGTH},${MAX_PIN_LENGTH}}$`).test(pin)) {
    throw new FacegateError(
      'VALIDATION_FAILED',
      `A PIN must have ${MIN_PIN_LENGTH} to ${MAX_PIN_LENGTH} digits`,
      {
        field: 'pin',
      },
    );
  }
  if (isTrivialPin(pin)) {
    throw new FacegateError('VALIDATION_FAILED', 'This PIN is too easy to guess', { field: 'pin' });
  }
}

/** True for PINs guessed first: repeated digits, runs and short repeating patterns. */
export function isTrivialPin(pin: string): boolean {
  const digits = [...pin].map(Number);
  const steps = new Set(digits.slice(1).map((d, i) => (d - (digits[i] ?? 0) + 10) % 10));
  // One step size: 000000 (0), 123456 (1), 987654 (9), 246802 (2)...
  if (steps.size === 1) return true;
  for (const period of [2, 3]) {
    if (pin.length % period === 0 && pin === pin.slice(0, period).repeat(pin.length / period)) return true;
  }
  return false;
}
