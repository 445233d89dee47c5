/** The kiosk's key: kept in this browser only, checked against the server before it replaces the current one. */
import { ApiError, api, bearer, ok } from '../shared/api.js';
import type { KioskConfigDto } from '../shared/api-types.js';

const KEY_STORAGE = 'facegate.kioskKey';

/** The stored key, if any. */
export function loadKey(): string | null {
  try {
    return localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

/** Stores a key that {@link verifyKey} accepted. */
export function storeKey(key: string): void {
  localStorage.setItem(KEY_STORAGE, key);
}

/** The kiosk's settings as the server has them for `key`; throws `ApiError` (401 for a refused key). */
export async function kioskConfig(key: string, signal?: AbortSignal): Promise<KioskConfigDto> {
  return ok(api.GET('/v1/kiosk/config', { headers: bearer(key), signal }));
}

/** Why a key or code could not be used, in words for the person at the kiosk. */
export class KioskSetupError extends Error {}

/** Checks a key with the server; resolves to its settings, or throws {@link KioskSetupError}. */
export async function verifyKey(key: string): Promise<KioskConfigDto> {
  try {
    return await kioskConfig(key);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      throw new KioskSetupError(
        'The server refused this key (unknown, revoked or not a kiosk key). The kiosk keeps its current key.',
      );
    }
    throw new KioskSetupError('The server could not be reached to check the key. Nothing was changed.');
  }
}

/** Redeems a pairing code for a new kiosk key; throws {@link KioskSetupError}. */
export async function redeemPairing(code: string): Promise<string> {
  try {
    const paired = await ok(api.POST('/v1/kiosk/pair', { body: { code } }));
    return paired.secret;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      throw new KioskSetupError('This pairing code is unknown, already used or expired. Ask for a new one.');
    }
    throw new KioskSetupError('The server could not be reached to pair this kiosk. Nothing was changed.');
  }
}

/** Checks the kiosk set-up PIN with the current key: `ok`, `wrong`, or `wait` after too many wrong ones. */
export async function checkSetupPin(key: string, pin: string): Promise<'ok' | 'wrong' | 'wait'> {
  try {
    await ok(api.POST('/v1/kiosk/setup-check', { body: { pin }, headers: bearer(key) }));
    return 'ok';
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return 'wrong';
    if (error instanceof ApiError && error.status === 429) return 'wait';
    throw error;
  }
}
