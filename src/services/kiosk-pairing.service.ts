import { randomBytes, scryptSync } from 'node:crypto';
import type { ApiKeyService } from '../auth/api-key.service.js';
import { safeEqual, sha256Hex } from '../auth/secrets.js';
import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { Store } from '../store/store.port.js';
import type { LivenessProviderKind } from './liveness-provider.port.js';
import { GuardedService, type ServiceRuntime } from './service-context.js';

/** How long a pairing code stays valid. */
export const PAIRING_TTL_MS = 10 * 60_000;
/** Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L). */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 8;
/** Settings key of the kiosk set-up PIN (`salt:scrypt-hash`, hex). */
export const SETUP_PIN_KEY = 'kiosk.setupPin';
/** Settings key prefix of a kiosk key's "Use a photo instead" switch (off when absent). */
export const PHOTO_UPLOAD_KEY = 'kiosk.photoUpload.';

/** Wrong set-up PINs a kiosk may enter before it must wait {@link PIN_PAUSE_MS}. */
export const PIN_ATTEMPTS = 5;
/** The wait after {@link PIN_ATTEMPTS} wrong PINs. */
export const PIN_PAUSE_MS = 5 * 60_000;

/** A pairing code just created: shown once on the admin console, typed or scanned at the kiosk. */
export interface StartedPairing {
  code: string;
  expiresAt: string;
}

/** What a kiosk receives for a valid pairing code. */
export interface RedeemedPairing {
  secret: string;
  keyId: string;
  name: string;
}

/** What a kiosk reads about itself with its key. */
export interface KioskConfig {
  name: string;
  allowPhotoUpload: boolean;
  setupPinSet: boolean;
  /** The liveness mode in force for this kiosk: `challenge` (frames answering a challenge) or `off` (one photo). */
  livenessMode: 'off' | 'challenge';
  /**
   * Which provider a challenge of this kiosk comes from (`local`, `rekognition`, or `none`: no challenge can be
   * had); `null` under mode `off`, which needs none. A kiosk that cannot run it refuses before asking for one.
   */
  livenessProvider: LivenessProviderKind | null;
}

/** Normalises a typed code: upper case, letters and digits only (`abcd-efgh` → `ABCDEFGH`). */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

function newCode(): string {
  const bytes = randomBytes(CODE_LENGTH);
  let code = '';
  for (const b of bytes) code += ALPHABET[b % ALPHABET.length];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

function hashPin(pin: string, salt = randomBytes(16).toString('hex')): string {
  return `${salt}:${scryptSync(pin, salt, 32).toString('hex')}`;
}

/**
 * Kiosk pairing and the per-kiosk settings: an admin starts a one-time code (hashed, single use, ten minutes);
 * the kiosk redeems it and receives a new kiosk key without anyone seeing or typing the secret. Set-up at the
 * door is guarded by a PIN only the kiosk key can check.
 */
export class KioskPairingService extends GuardedService {
  /** Wrong PINs per kiosk key (in memory: a restart forgets them, the audit keeps every attempt). */
  private readonly pinFailures = new Map<string, { count: number; until: number }>();

  private readonly store: Store;
  private readonly apiKeys: Pick<ApiKeyService, 'create'>;

  private readonly livenessModeOf: (actor: Actor) => Promise<'off' | 'challenge'>;
  private readonly livenessProvider: LivenessProviderKind;

  constructor(
    deps: ServiceRuntime & {
      store: Store;
      apiKeys: Pick<ApiKeyService, 'create'>;
      /** The liveness mode in force for a caller (default `challenge`). */
      livenessModeOf?: (actor: Actor) => Promise<'off' | 'challenge'>;
      /** The liveness provider of face login on this server (default `local`). */
      livenessProvider?: LivenessProviderKind;
    },
  ) {
    super(deps);
    this.store = deps.store;
    this.apiKeys = deps.apiKeys;
    this.livenessModeOf = deps.livenessModeOf ?? (async () => 'challenge');
    this.livenessProvider = deps.livenessProvider ?? 'local';
  }

  /** Creates a pairing code for a new kiosk key named `name`. */
  async start(actor: Actor, input: { name: string; allowPhotoUpload?: boolean }): Promise<StartedPairing> {
    await this.policy.authorize(actor, 'keys:manage');
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100) {
      throw new FacegateError('VALIDATION_FAILED', 'Kiosk name must have 1 to 100 characters');
    }
    const now = this.clock.now();
    await this.store.kioskPairings.deleteExpired(now.toISOString());
    const code = newCode();
    const expiresAt = new Date(now.getTime() + PAIRING_TTL_MS).toISOString();
    await this.store.kioskPairings.create({
      codeHash: sha256Hex(normalizeCode(code)),
      name,
      allowPhotoUpload: input.allowPhotoUpload === true,
      createdBy: actor.id,
      createdAt: now.toISOString(),
      expiresAt,
    });
    await this.audit(actor, 'kiosk.pairing.start', 'success', { name, expiresAt });
    return { code, expiresAt };
  }

  /** Redeems a code once: creates the kiosk key and returns its secret. `UNAUTHENTICATED` for any bad code. */
  async redeem(code: string, ip: string | null): Promise<RedeemedPairing> {
    const pairing = await this.store.kioskPairings.take(
      sha256Hex(normalizeCode(code)),
      this.clock.now().toISOString(),
    );
    if (!pairing) {
      await this.store.audit.append({
        action: 'kiosk.pairing.redeem',
        outcome: 'refused',
        reason: 'UNAUTHENTICATED',
        actorType: 'system',
        actorId: 'kiosk-pairing',
        ip,
      });
      throw new FacegateError('UNAUTHENTICATED', 'This pairing code is unknown, used or expired');
    }
    // The key is created on behalf of the admin who started the pairing.
    const creator: Actor = { type: 'user', id: pairing.createdBy, role: 'admin', name: 'kiosk pairing', ip };
    const { key, secret } = await this.apiKeys.create(creator, { name: pairing.name, role: 'kiosk' });
    if (pairing.allowPhotoUpload) await this.store.settings.set(PHOTO_UPLOAD_KEY + key.id, true);
    await this.audit(creator, 'kiosk.pairing.redeem', 'success', { keyId: key.id, name: key.name });
    return { secret, keyId: key.id, name: key.name };
  }

  /**
   * The calling kiosk's own settings (its key's name, photo fallback, whether a set-up PIN exists, its liveness
   * mode and the provider its challenges come from). Reading them creates no challenge.
   */
  async config(actor: Actor): Promise<KioskConfig> {
    await this.policy.authorize(actor, 'faces:identify');
    const livenessMode = await this.livenessModeOf(actor);
    return {
      name: actor.name ?? actor.id,
      allowPhotoUpload: (await this.store.settings.get<boolean>(PHOTO_UPLOAD_KEY + actor.id)) === true,
      setupPinSet: typeof (await this.store.settings.get<string>(SETUP_PIN_KEY)) === 'string',
      livenessMode,
      livenessProvider: livenessMode === 'off' ? null : this.livenessProvider,
    };
  }

  /** Checks the kiosk set-up PIN for a kiosk; throws `FORBIDDEN` when it is wrong or none is set. */
  async checkSetupPin(actor: Actor, pin: string): Promise<void> {
    await this.policy.authorize(actor, 'faces:identify');
    // A short PIN is guessable: after a few wrong ones the kiosk waits before it may try again.
    const now = this.clock.now().getTime();
    const failures = this.pinFailures.get(actor.id);
    if (failures && failures.count >= PIN_ATTEMPTS && failures.until > now) {
      throw new FacegateError('LOCKED_OUT', 'Too many wrong set-up PINs; try again later', {
        retryAfterSeconds: Math.ceil((failures.until - now) / 1000),
      });
    }
    const stored = await this.store.settings.get<string>(SETUP_PIN_KEY);
    const [salt] = stored?.split(':') ?? [];
    if (!stored || !salt || !safeEqual(hashPin(pin, salt), stored)) {
      const count = (failures && failures.until > now ? failures.count : 0) + 1;
      this.pinFailures.set(actor.id, { count, until: now + PIN_PAUSE_MS });
      await this.audit(actor, 'kiosk.setup.unlock', 'refused', { failures: count });
      throw new FacegateError('FORBIDDEN', 'Wrong set-up PIN');
    }
    this.pinFailures.delete(actor.id);
    await this.audit(actor, 'kiosk.setup.unlock', 'success', {});
  }

  /** Sets (4 to 12 digits) or clears (`null`) the kiosk set-up PIN. */
  async setSetupPin(actor: Actor, pin: string | null): Promise<void> {
    await this.policy.authorize(actor, 'settings:write');
    if (pin !== null && !/^\d{4,12}$/.test(pin)) {
      throw new FacegateError('VALIDATION_FAILED', 'The set-up PIN must have 4 to 12 digits');
    }
    await this.store.settings.set(SETUP_PIN_KEY, pin === null ? undefined : hashPin(pin));
    await this.audit(actor, 'kiosk.setup.pin', 'success', { set: pin !== null });
  }

  /** Turns a kiosk key's "Use a photo instead" fallback on or off. */
  async setPhotoUpload(actor: Actor, keyId: string, allow: boolean): Promise<void> {
    await this.policy.authorize(actor, 'keys:manage');
    const key = await this.store.apiKeys.get(keyId);
    if (key?.role !== 'kiosk') throw new FacegateError('NOT_FOUND', 'Kiosk key not found');
    await this.store.settings.set(PHOTO_UPLOAD_KEY + keyId, allow ? true : undefined);
    await this.audit(actor, 'kiosk.photo_upload', 'success', { keyId, allow });
  }

  /** For the admin console: whether a set-up PIN exists, and the kiosk keys that offer the photo fallback. */
  async overview(actor: Actor): Promise<{ setupPinSet: boolean; photoUploadKeys: string[] }> {
    await this.policy.authorize(actor, 'keys:manage');
    const all = await this.store.settings.all();
    return {
      setupPinSet: typeof all[SETUP_PIN_KEY] === 'string',
      photoUploadKeys: Object.keys(all)
        .filter((k) => k.startsWith(PHOTO_UPLOAD_KEY) && all[k] === true)
        .map((k) => k.slice(PHOTO_UPLOAD_KEY.length)),
    };
  }

  private async audit(
    actor: Actor,
    action: string,
    outcome: 'success' | 'refused',
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.store.audit.append({
      action,
      outcome,
      actorType: actor.type,
      actorId: actor.id,
      ip: actor.ip,
      details,
    });
  }
}
