import type { FacegateConfig, ThresholdPreset } from '../config/config.js';
import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import { IDENTIFY_PRESET_KEY, KEEP_PHOTOS_KEY, MATCH_PRESET_KEY } from '../services/match-settings.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';
import type { SettingsRepository, Store } from '../store/store.port.js';
import type { LockoutLimits } from './lockout.service.js';
import {
  loadSecondFactorSettings,
  parseSecondFactorSettings,
  SECOND_FACTOR_SETTINGS_KEY,
  type SecondFactorSettings,
} from './mfa/factor-policy.js';

/**
 * Liveness modes that are enforced: `challenge` (the default; a single photo is refused) and `off` (a single photo
 * is matched: a deliberate, audited choice for trusted devices). No passive mode: the measured passive models
 * are close to chance (docs/liveness.md).
 */
export type LivenessMode = 'off' | 'challenge';

/** Run-time settings admins change through `PUT /v1/settings`. */
export interface RuntimeSettings {
  /** Preset of 1:1 verification and of the duplicate-face check. */
  thresholdPreset: ThresholdPreset;
  /** Preset of 1:N identification (stricter by default: FPIR grows with the gallery). */
  identifyPreset: ThresholdPreset;
  livenessMode: LivenessMode;
  lockout: LockoutLimits;
  /** Whether enrollment photos are kept (templates are always kept). */
  keepPhotos: boolean;
  auditRetentionDays: number;
  /** Whether a kiosk match shows the employee's kept photo (a short-lived link bound to that kiosk). */
  kioskShowPhoto: boolean;
  /** Which second factors employees (after the face) and admin users (after the password) must present. */
  mfa: SecondFactorSettings;
}

/** Settings keys in the store. */
export const SETTINGS_KEYS = {
  thresholdPreset: MATCH_PRESET_KEY,
  identifyPreset: IDENTIFY_PRESET_KEY,
  livenessMode: 'liveness.mode',
  lockout: 'lockout.limits',
  keepPhotos: KEEP_PHOTOS_KEY,
  auditRetentionDays: 'audit.retentionDays',
  kioskShowPhoto: 'kiosk.showPhoto',
  mfa: SECOND_FACTOR_SETTINGS_KEY,
} as const;

/**
 * A change of any subset of the settings; the lockout limits may be changed one at a time. `mfa` is replaced as a
 * whole (missing fields take their defaults) and validated by `parseSecondFactorSettings`.
 */
export type SettingsPatch = Partial<Omit<RuntimeSettings, 'lockout' | 'mfa'>> & {
  lockout?: Partial<LockoutLimits>;
  mfa?: unknown;
};

const PRESETS: readonly ThresholdPreset[] = ['strict', 'balanced', 'lenient'];
const LIVENESS: readonly LivenessMode[] = ['off', 'challenge'];

/** Reads settings with config defaults, validates and audits changes. */
export class SettingsService extends GuardedService {
  private readonly store: Store;
  private readonly config: FacegateConfig;
  private cache: { at: number; value: RuntimeSettings } | undefined;
  /** Bumped by every change, so a read that overlapped one is not cached. */
  private generation = 0;

  constructor(deps: ServiceRuntime & { store: Store; config: FacegateConfig }) {
    super(deps);
    this.store = deps.store;
    this.config = deps.config;
  }

  /** The settings in force, for admins, enrollers and auditors. */
  async get(actor: Actor): Promise<RuntimeSettings> {
    await this.policy.authorize(actor, 'settings:read');
    return this.current();
  }

  /** The settings in force, without a permission check (for internal readers such as lockout). Cached 1 s. */
  async current(): Promise<RuntimeSettings> {
    const now = Date.now();
    if (this.cache && now - this.cache.at < 1000) return this.cache.value;
    const generation = this.generation;
    const value = await this.read(this.store.settings);
    // A read that overlapped a change may mix old and new values: answer it, but do not keep it.
    if (generation === this.generation) this.cache = { at: now, value };
    return value;
  }

  /** Lockout limits in force. */
  async lockoutLimits(): Promise<LockoutLimits> {
    return (await this.current()).lockout;
  }

  /** Applies a partial change (admins only); same as {@link SettingsService.patch}. */
  async update(actor: Actor, patch: Partial<RuntimeSettings>): Promise<RuntimeSettings> {
    return this.patch(actor, patch);
  }

  /**
   * Applies a partial change (admins only): reads the stored settings, merges, validates every field and writes
   * them with the audit event in one transaction, so concurrent changes of different fields all survive.
   */
  async patch(actor: Actor, patch: SettingsPatch): Promise<RuntimeSettings> {
    await this.policy.authorize(actor, 'settings:write');
    try {
      await this.store.transaction(async (tx) => {
        // Read inside the transaction, never from the cache: the merge must see every committed change.
        const before = await this.read(tx.settings);
        const next: RuntimeSettings = {
          ...before,
          ...patch,
          lockout: { ...before.lockout, ...(patch.lockout ?? {}) },
          mfa: patch.mfa === undefined ? before.mfa : parseSecondFactorSettings(patch.mfa),
        };
        validate(next);
        await tx.settings.set(SETTINGS_KEYS.thresholdPreset, next.thresholdPreset);
        await tx.settings.set(SETTINGS_KEYS.identifyPreset, next.identifyPreset);
        await tx.settings.set(SETTINGS_KEYS.livenessMode, next.livenessMode);
        await tx.settings.set(SETTINGS_KEYS.lockout, next.lockout);
        await tx.settings.set(SETTINGS_KEYS.keepPhotos, next.keepPhotos);
        await tx.settings.set(SETTINGS_KEYS.auditRetentionDays, next.auditRetentionDays);
        await tx.settings.set(SETTINGS_KEYS.kioskShowPhoto, next.kioskShowPhoto);
        if (patch.mfa !== undefined) await tx.settings.set(SETTINGS_KEYS.mfa, next.mfa);
        await tx.audit.append({
          action: 'settings.update',
          outcome: 'success',
          actorType: actor.type,
          actorId: actor.id,
          ip: actor.ip,
          details: { before, after: next },
        });
        if (next.livenessMode === 'off' && before.livenessMode !== 'off') {
          // Turning liveness off lets a photo open the door: recorded on its own, as the choice it is.
          await tx.audit.append({
            action: 'liveness.mode',
            outcome: 'success',
            reason: 'LIVENESS_OFF',
            actorType: actor.type,
            actorId: actor.id,
            ip: actor.ip,
            details: { scope: 'settings', before: before.livenessMode, after: 'off' },
          });
        }
      });
    } finally {
      this.cache = undefined;
      this.generation++;
    }
    return this.current();
  }

  /** The stored settings with config defaults for what is not stored (or not valid). */
  private async read(s: SettingsRepository): Promise<RuntimeSettings> {
    const preset = await s.get<string>(SETTINGS_KEYS.thresholdPreset);
    const identifyPreset = await s.get<string>(SETTINGS_KEYS.identifyPreset);
    const liveness = await s.get<string>(SETTINGS_KEYS.livenessMode);
    const lockout = await s.get<Partial<LockoutLimits>>(SETTINGS_KEYS.lockout);
    const keepPhotos = await s.get<boolean>(SETTINGS_KEYS.keepPhotos);
    const retention = await s.get<number>(SETTINGS_KEYS.auditRetentionDays);
    const kioskShowPhoto = await s.get<boolean>(SETTINGS_KEYS.kioskShowPhoto);
    const mfa = await loadSecondFactorSettings(s);
    const sec = this.config.security;
    return {
      thresholdPreset: PRESETS.includes(preset as ThresholdPreset)
        ? (preset as ThresholdPreset)
        : this.config.match.preset,
      identifyPreset: PRESETS.includes(identifyPreset as ThresholdPreset)
        ? (identifyPreset as ThresholdPreset)
        : this.config.match.identifyPreset,
      livenessMode: LIVENESS.includes(liveness as LivenessMode) ? (liveness as LivenessMode) : 'challenge',
      lockout: {
        threshold: lockout?.threshold ?? sec.lockoutThreshold,
        baseDelaySeconds: lockout?.baseDelaySeconds ?? sec.lockoutBaseDelaySeconds,
        hardCap: lockout?.hardCap ?? sec.lockoutHardCap,
      },
      keepPhotos: typeof keepPhotos === 'boolean' ? keepPhotos : this.config.keepPhotos,
      auditRetentionDays: typeof retention === 'number' ? retention : this.config.auditRetentionDays,
      kioskShowPhoto: kioskShowPhoto === true,
      mfa,
    };
  }
}

/** Throws `VALIDATION_FAILED` naming the first field out of range. */
function validate(next: RuntimeSettings): void {
  const { threshold, baseDelaySeconds, hardCap } = next.lockout;
  if (!PRESETS.includes(next.thresholdPreset)) invalid('thresholdPreset', 'unknown preset');
  if (!PRESETS.includes(next.identifyPreset)) invalid('identifyPreset', 'unknown preset');
  if (!LIVENESS.includes(next.livenessMode))
    invalid('livenessMode', "'off' or 'challenge' (no passive mode: not built)");
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > 1000)
    invalid('lockout.threshold', '1..1000');
  if (!Number.isInteger(baseDelaySeconds) || baseDelaySeconds < 1 || baseDelaySeconds > 86_400) {
    invalid('lockout.baseDelaySeconds', '1..86400');
  }
  if (!Number.isInteger(hardCap) || hardCap <= threshold || hardCap > 100_000) {
    invalid('lockout.hardCap', 'an integer above lockout.threshold, at most 100000');
  }
  if (!Number.isInteger(next.auditRetentionDays) || next.auditRetentionDays < 1) {
    invalid('auditRetentionDays', 'an integer ≥ 1');
  }
  if (typeof next.kioskShowPhoto !== 'boolean') invalid('kioskShowPhoto', 'true or false');
}

function invalid(field: string, problem: string): never {
  throw new FacegateError('VALIDATION_FAILED', `${field}: must be ${problem}`, { field });
}
