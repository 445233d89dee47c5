import { randomInt } from 'node:crypto';

/** How many recovery codes a subject gets at once. */
export const RECOVERY_CODE_COUNT = 10;

// Crockford-like base32 without I, L, O, U: codes are read off paper and typed on kiosks.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const GROUPS = 4;
const GROUP_LENGTH = 4;

/** A new recovery code, `XXXX-XXXX-XXXX-XXXX` (80 random bits). */
export function newRecoveryCode(): string {
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    let group = '';
    for (let i = 0; i < GROUP_LENGTH; i++) group += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(group);
  }
  return groups.join('-');
}

/**
 * The canonical form of a typed code (upper case, no separators or spaces, O→0, I/L→1), or null when it cannot
 * be one.
 */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (code.length !== GROUPS * GROUP_LENGTH) return null;
  return [...code].every((c) => ALPHABET.includes(c)) ? code : null;
}

/**
 * The lookup label of a normalized code: its first group. Stored in clear so a typed code is checked against one
 * hash, not ten; the 60 bits left keep the hash as hard to reverse as a long password.
 */
export function recoveryCodeLabel(normalized: string): string {
  return normalized.slice(0, GROUP_LENGTH);
}
