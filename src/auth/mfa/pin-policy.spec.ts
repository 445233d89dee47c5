import { describe, expect, it } from 'vitest';
import { isFacegateError } from '../../domain/errors.js';
import { checkPinPolicy, isTrivialPin } from './pin-policy.js';

describe('PIN policy', () => {
  it.each(['000000', '111111', '123456', '654321', '987654', '234567', '121212', '123123', '1234567890'])(
    'refuses the trivial PIN %s',
    (pin) => {
      expect(isTrivialPin(pin)).toBe(true);
      expect(() => checkPinPolicy(pin)).toThrow(/too easy/);
    },
  );

  it.each(['12345', '1234567890123', '12a456', '', ' 483920'])('refuses %j: not 6 to 12 digits', (pin) => {
    try {
      checkPinPolicy(pin);
      expect.unreachable();
    } catch (error) {
      expect(isFacegateError(error, 'VALIDATION_FAILED')).toBe(true);
    }
  });

  it.each(['483920', '902817', '55812377', '135792'])('accepts %s', (pin) => {
    expect(() => checkPinPolicy(pin)).not.toThrow();
  });
});
