import { describe, expect, it } from 'vitest';
import { newTotpSecret, TOTP_STEP_MS, totpCodeAt, totpProvisioning, totpStepOf } from './totp.js';

const at = new Date('2026-03-01T10:00:10Z');
const step = Math.floor(at.getTime() / TOTP_STEP_MS);

describe('TOTP', () => {
  it('makes 160-bit base32 secrets, different each time', () => {
    const a = newTotpSecret();
    expect(a).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(a);
  });

  it('provisions an otpauth URI and an SVG QR code of it', async () => {
    const secret = newTotpSecret();
    const p = await totpProvisioning(secret, 'facegate', 'B-0042');
    expect(p.uri).toMatch(/^otpauth:\/\/totp\/facegate:B-0042\?/);
    expect(p.uri).toContain(`secret=${secret}`);
    expect(p.uri).toContain('period=30');
    expect(p.qrCode.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(Buffer.from(p.qrCode.split(',')[1] ?? '', 'base64').toString()).toContain('<svg');
  });

  it('accepts the code of this step and of the steps on either side, with the step it belongs to', () => {
    const secret = newTotpSecret();
    expect(totpStepOf(secret, totpCodeAt(secret, at), at)).toBe(step);
    expect(totpStepOf(secret, totpCodeAt(secret, new Date(at.getTime() - TOTP_STEP_MS)), at)).toBe(step - 1);
    expect(totpStepOf(secret, totpCodeAt(secret, new Date(at.getTime() + TOTP_STEP_MS)), at)).toBe(step + 1);
  });

  it('refuses codes two steps away, of another secret, or not six digits', () => {
    const secret = newTotpSecret();
    expect(totpStepOf(secret, totpCodeAt(secret, new Date(at.getTime() - 2 * TOTP_STEP_MS)), at)).toBeNull();
    expect(totpStepOf(secret, totpCodeAt(secret, new Date(at.getTime() + 2 * TOTP_STEP_MS)), at)).toBeNull();
    expect(totpStepOf(secret, totpCodeAt(newTotpSecret(), at), at)).toBeNull();
    expect(totpStepOf(secret, 'abcdef', at)).toBeNull();
    expect(totpStepOf(secret, `${totpCodeAt(secret, at)}0`, at)).toBeNull();
  });

  it('ignores spaces typed inside a code', () => {
    const secret = newTotpSecret();
    const code = totpCodeAt(secret, at);
    expect(totpStepOf(secret, `${code.slice(0, 3)} ${code.slice(3)}`, at)).toBe(step);
  });
});
