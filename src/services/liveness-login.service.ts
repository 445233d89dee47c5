import type { FaceLoginService } from '../auth/face-login.service.js';
import type { LivenessMode, SettingsService } from '../auth/settings.service.js';
import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import type { EngineInfo } from '../engine/face-engine.port.js';
import type { Store } from '../store/store.port.js';
import type { MatchResult } from './identification.service.js';
import type { LivenessAnswer, LivenessProvider, LivenessResult } from './liveness-provider.port.js';
import { GuardedService, type ServiceRuntime } from './service-context.js';
import type { WelcomedLogin, WelcomePhotoService } from './welcome-photo.service.js';

/** Settings key prefix of an API key's own liveness mode (absent: the `livenessMode` setting applies). */
export const KEY_LIVENESS_KEY = 'liveness.mode.key.';

/** What a face login carries: one photo, or the answer to a liveness challenge (frames, or a session's id). */
export type FaceLoginInput = { photo: Uint8Array } | { challenge: LivenessAnswer };

/** A face login answer, with the liveness outcome when a challenge was answered. */
export interface LivenessLogin extends WelcomedLogin {
  liveness?: LivenessResult;
}

/** What the liveness-enforcing face login is built from. */
export interface LivenessLoginDeps extends ServiceRuntime {
  store: Store;
  settings: Pick<SettingsService, 'current'>;
  /** The liveness provider in force (the local challenge or Face Liveness sessions). */
  liveness: Pick<LivenessProvider, 'answer'>;
  welcomePhotos: Pick<WelcomePhotoService, 'authenticate' | 'verify'>;
  faceLogin: Pick<FaceLoginService, 'recordFailedChallenge' | 'assertDoorOpen'>;
  engineInfo: EngineInfo;
}

const MODES: readonly LivenessMode[] = ['off', 'challenge'];

/** The liveness mode in force for a caller: its API key's own mode, else the `livenessMode` setting. */
export async function livenessModeOf(
  deps: { store: Pick<Store, 'settings'>; settings: Pick<SettingsService, 'current'> },
  actor: Actor,
): Promise<LivenessMode> {
  if (actor.type === 'api_key') {
    const own = await deps.store.settings.get<string>(KEY_LIVENESS_KEY + actor.id);
    if (MODES.includes(own as LivenessMode)) return own as LivenessMode;
  }
  return (await deps.settings.current()).livenessMode;
}

/**
 * Face login with the liveness mode enforced. Under `challenge` a single photo is refused (`LIVENESS_REQUIRED`)
 * and never matched; a door in a lockout delay is refused (`LOCKED_OUT`) before any frame is analysed; a
 * challenge answer that passes is matched from the live face the provider kept (the best frontal frame, or a
 * session's reference image), one that is refused counts as a failed login at the door (and against a claimed
 * employee), whichever provider checked it.
 */
export class LivenessLoginService extends GuardedService {
  constructor(private readonly deps: LivenessLoginDeps) {
    super(deps);
  }

  /** 1:N face login (`POST /v1/authenticate`). */
  async authenticate(actor: Actor, input: FaceLoginInput): Promise<LivenessLogin> {
    await this.policy.authorize(actor, 'faces:identify');
    if ('photo' in input) {
      await this.assertPhotoAllowed(actor, 'authenticate');
      return this.deps.welcomePhotos.authenticate(actor, input.photo);
    }
    await this.deps.faceLogin.assertDoorOpen(actor, 'authenticate');
    const liveness = await this.deps.liveness.answer(actor, input.challenge, 'authenticate');
    if (liveness.outcome === 'pass' && liveness.best) {
      const { bytes, analysis } = liveness.best;
      return { ...(await this.deps.welcomePhotos.authenticate(actor, bytes, analysis)), liveness };
    }
    return this.unmatched(actor, liveness, 'authenticate');
  }

  /** 1:1 face login (`POST /v1/verify`) of the claimed employee (id or badge). */
  async verify(actor: Actor, idOrBadge: string, input: FaceLoginInput): Promise<LivenessLogin> {
    await this.policy.authorize(actor, 'faces:verify');
    if ('photo' in input) {
      await this.assertPhotoAllowed(actor, 'verify');
      return this.deps.welcomePhotos.verify(actor, idOrBadge, input.photo);
    }
    await this.deps.faceLogin.assertDoorOpen(actor, 'verify');
    const liveness = await this.deps.liveness.answer(actor, input.challenge, 'verify');
    if (liveness.outcome === 'pass' && liveness.best) {
      const { bytes, analysis } = liveness.best;
      return { ...(await this.deps.welcomePhotos.verify(actor, idOrBadge, bytes, analysis)), liveness };
    }
    return this.unmatched(actor, liveness, 'verify', idOrBadge);
  }

  /** The liveness mode in force for a caller: its API key's own mode, else the `livenessMode` setting. */
  async modeFor(actor: Actor): Promise<LivenessMode> {
    return livenessModeOf(this.deps, actor);
  }

  /** Sets (or with `null` clears) an API key's own liveness mode; `off` is audited as the choice it is. */
  async setKeyMode(actor: Actor, keyId: string, mode: LivenessMode | null): Promise<void> {
    await this.policy.authorize(actor, 'keys:manage');
    const key = await this.deps.store.apiKeys.get(keyId);
    if (!key) throw new FacegateError('NOT_FOUND', 'No such API key');
    await this.deps.store.transaction(async (tx) => {
      // No delete in the settings port: `inherit` is not a mode, so the setting applies again.
      await tx.settings.set(KEY_LIVENESS_KEY + keyId, mode ?? 'inherit');
      await tx.audit.append({
        action: 'liveness.mode',
        outcome: 'success',
        reason: mode === 'off' ? 'LIVENESS_OFF' : null,
        actorType: actor.type,
        actorId: actor.id,
        ip: actor.ip ?? null,
        details: { scope: 'api_key', keyId, mode },
      });
    });
  }

  private async assertPhotoAllowed(actor: Actor, action: string): Promise<void> {
    if ((await this.modeFor(actor)) !== 'challenge') return;
    await this.deps.store.audit.append({
      action,
      outcome: 'refused',
      reason: 'LIVENESS_REQUIRED',
      actorType: actor.type,
      actorId: actor.id,
      ip: actor.ip ?? null,
    });
    throw new FacegateError(
      'LIVENESS_REQUIRED',
      'Liveness challenge required: ask POST /v1/liveness/challenges and answer it with frames',
    );
  }

  /** A challenge that did not pass: `retry` asks for a new challenge, `refused` counts as a failed login. */
  private async unmatched(
    actor: Actor,
    liveness: LivenessResult,
    method: 'authenticate' | 'verify',
    idOrBadge?: string,
  ): Promise<LivenessLogin> {
    const refused = liveness.outcome !== 'retry';
    if (refused) await this.deps.faceLogin.recordFailedChallenge(actor, method, idOrBadge);
    const code = refused ? 'LIVENESS_FAILED' : 'LIVENESS_RETRY';
    const result: MatchResult = {
      decision: refused ? 'no_match' : 'retry',
      score: null,
      threshold: 0,
      preset: '',
      margin: 0,
      secondBest: null,
      engine: { model: this.deps.engineInfo.model, version: this.deps.engineInfo.version },
      timings: { total: 0 },
      reasons: [{ code, message: refused ? 'Liveness check failed' : 'Liveness: try again' }],
    };
    return { result, liveness };
  }
}
