import type { FaceLoginResult, FaceLoginService } from '../auth/face-login.service.js';
import type { SettingsService } from '../auth/settings.service.js';
import type { BlobStore } from '../blobs/blob-store.port.js';
import { type Actor, can } from '../domain/access.js';
import type { FaceAnalysis } from '../engine/face-engine.port.js';
import type { Store } from '../store/store.port.js';
import { faceSummariesOf, type KeptPhoto, readKeptPhoto } from './employee.service.js';
import { GuardedService, type ServiceRuntime } from './service-context.js';
import type { WelcomePhotoPasses } from './welcome-photo-pass.js';

/** A face login answer, with a pass to the matched employee's welcome photo when one is offered. */
export interface WelcomedLogin extends FaceLoginResult {
  /** Token of a {@link WelcomePhotoPasses} pass, bound to the caller that got the match. */
  photoPass?: string;
}

/** What the welcome-photo service is built from. */
export interface WelcomePhotoDeps extends ServiceRuntime {
  store: Store;
  blobs: BlobStore;
  faceLogin: Pick<FaceLoginService, 'authenticate' | 'verify'>;
  /** The `kiosk.showPhoto` setting is read from here. */
  settings: Pick<SettingsService, 'current'>;
  passes: WelcomePhotoPasses;
}

/**
 * Face login with the kiosk welcome photo. A kiosk holds no photo-read permission: when the `kiosk.showPhoto`
 * setting is on, a match answer carries a short-lived pass to the first kept photo of the matched employee, bound
 * to the caller, and only that pass lets the caller read that one photo.
 */
export class WelcomePhotoService extends GuardedService {
  constructor(private readonly deps: WelcomePhotoDeps) {
    super(deps);
  }

  /** 1:N face login (see {@link FaceLoginService.authenticate}), with a welcome-photo pass on a match. */
  async authenticate(actor: Actor, photo: Uint8Array, analysis?: FaceAnalysis): Promise<WelcomedLogin> {
    return this.welcome(actor, await this.deps.faceLogin.authenticate(actor, photo, analysis));
  }

  /** 1:1 face login (see {@link FaceLoginService.verify}), with a welcome-photo pass on a match. */
  async verify(
    actor: Actor,
    idOrBadge: string,
    photo: Uint8Array,
    analysis?: FaceAnalysis,
  ): Promise<WelcomedLogin> {
    return this.welcome(actor, await this.deps.faceLogin.verify(actor, idOrBadge, photo, analysis));
  }

  /** The photo a pass names; `FORBIDDEN` unless the pass is live and was issued to this caller. */
  async open(actor: Actor, token: string): Promise<KeptPhoto> {
    await this.policy.authorize(actor, 'faces:identify');
    const pass = this.deps.passes.open(actor, token);
    return readKeptPhoto(this.deps.store, this.deps.blobs, pass.employeeId, pass.photoId);
  }

  private async welcome(actor: Actor, login: FaceLoginResult): Promise<WelcomedLogin> {
    // No photo before a required second factor: a face that matched falsely must not show the employee's photo.
    if (login.result.decision !== 'match' || !login.employee || login.secondFactor) return login;
    if (!(await this.deps.settings.current()).kioskShowPhoto) return login;
    // A pass is only offered to a caller that may open it.
    if (!can(actor, 'faces:identify')) return login;
    const employeeId = login.employee.id;
    const summary = (await faceSummariesOf(this.deps.store, [employeeId])).get(employeeId);
    if (!summary?.firstPhotoTemplateId) return login;
    const photoPass = this.deps.passes.issue(actor, { employeeId, photoId: summary.firstPhotoTemplateId });
    return { ...login, photoPass };
  }
}
