import { describe, expect, it } from 'vitest';
import { newRecoveryCode, normalizeRecoveryCode, recoveryCodeLabel } from './recovery-codes.js';

describe('recovery codes', () => {
  it('are four groups of four unambiguous characters, all different', () => {
    const codes = Array.from({ length: 50 }, newRecoveryCode);
    for (const code of codes) expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(new Set(codes).size).toBe(50);
  });

  it('normalizes what people type: case, dashes, spaces, O for 0, I and L for 1', () => {
    expect(normalizeRecoveryCode('abcd-efgh-jkmn-pqrs')).toBe('ABCDEFGHJKMNPQRS');
    expect(normalizeRecoveryCode(' o1il 2345 6789 ABCD ')).toBe('011123456789ABCD');
    expect(normalizeRecoveryCode('ABCD-EFGH-JKMN')).toBeNull();
    expect(normalizeRecoveryCode('ABCD-EFGH-JKMN-PQRU')).toBeNull();
  });

  it('labels a code by its first group', () => {
    expect(recoveryCodeLabel('ABCDEFGHJKMNPQRS')).toBe('ABCD');
  });
});
