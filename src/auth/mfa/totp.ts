import { Secret, TOTP } from 'otpauth';
import { toString as qrToString } from 'qrcode';

/** RFC 6238 parameters every authenticator app understands. */
const ALGORITHM = 'SHA1';
const DIGITS = 6;
const PERIOD_SECONDS = 30;
/** Codes of the previous and next step are accepted too (clock drift, typing time). */
const WINDOW = 1;
/** 160-bit secrets, as RFC 4226 recommends. */
const SECRET_BYTES = 20;

/** What an app needs to add a TOTP account: the otpauth URI and the same as a QR code. */
export interface TotpProvisioning {
  /** base32 secret, for typing in by hand. */
  secret: string;
  uri: string;
  /** `data:image/svg+xml;base64,...` of the URI's QR code. */
  qrCode: string;
}

/** A fresh random base32 TOTP secret. */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

function totpOf(secret: string, issuer = 'facegate', label = 'facegate'): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: ALGORITHM,
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secret),
  });
}

/** The otpauth URI and its QR code (SVG data URL) of `secret` for the account `label` of `issuer`. */
export async function totpProvisioning(
  secret: string,
  issuer: string,
  label: string,
): Promise<TotpProvisioning> {
  const uri = totpOf(secret, issuer, label).toString();
  const svg = await qrToString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, uri, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
}

/**
 * The time step of `code` within ±1 step of `at`, or null when it matches none. Callers refuse a step at or
 * before the last one accepted for the factor, so a code is never accepted twice.
 */
export function totpStepOf(secret: string, code: string, at: Date): number | null {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  const timestamp = at.getTime();
  const delta = totpOf(secret).validate({ token, timestamp, window: WINDOW });
  if (delta === null) return null;
  return TOTP.counter({ period: PERIOD_SECONDS, timestamp }) + delta;
}

/** The code of `secret` at `at` (tests and tooling; the server never shows codes). */
export function totpCodeAt(secret: string, at: Date): string {
  return totpOf(secret).generate({ timestamp: at.getTime() });
}

/** Length of one TOTP step in milliseconds. */
export const TOTP_STEP_MS = PERIOD_SECONDS * 1000;
