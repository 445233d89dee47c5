import type { ApiContext } from '../api/api-context.js';
import type { AuthServices } from '../auth/auth-services.js';
import type { PasswordHasher } from '../auth/password-hasher.js';
import type { BlobStore } from '../blobs/blob-store.port.js';
import type { FacegateConfig } from '../config/config.js';
import type { DataCipher } from '../crypto/data-cipher.js';
import { type Policy, rolePolicy } from '../domain/access.js';
import type { FaceEngine } from '../engine/face-engine.port.js';
import type { GalleryFeed } from '../gallery/feed/gallery-feed.port.js';
import { Gallery } from '../gallery/gallery.js';
import { LivenessVerifier, livenessLimitsFor } from '../liveness/liveness.verifier.js';
import { AuditViewService } from '../services/audit-view.service.js';
import { EmployeeService } from '../services/employee.service.js';
import { EmployeeViewService } from '../services/employee-view.service.js';
import { EnrollmentService } from '../services/enrollment.service.js';
import { ErasureService } from '../services/erasure.service.js';
import type { IdentificationService } from '../services/identification.service.js';
import { InvitationService } from '../services/invitation.service.js';
import { KioskPairingService } from '../services/kiosk-pairing.service.js';
import { LivenessService } from '../services/liveness.service.js';
import { LivenessLoginService, livenessModeOf } from '../services/liveness-login.service.js';
import type { LivenessProvider } from '../services/liveness-provider.port.js';
import type { LivenessSessions } from '../services/liveness-sessions.port.js';
import { LocalLivenessProvider } from '../services/local-liveness.provider.js';
import { NoLivenessProvider } from '../services/no-liveness.provider.js';
import { ProbeUploadService } from '../services/probe-upload.service.js';
import type { RemoteFaceMatcher } from '../services/remote-face-matcher.port.js';
import { ReviewService } from '../services/review.service.js';
import { SelfEnrolmentService } from '../services/self-enrolment.service.js';
import {
  type Clock,
  type ServiceDeps,
  type ServiceLogger,
  type ServiceRuntime,
  silentLogger,
  systemClock,
} from '../services/service-context.js';
import { SessionLivenessService } from '../services/session-liveness.service.js';
import { TemplateUpgradeService } from '../services/template-upgrade.service.js';
import type { FolderWatcher, WatchOptions } from '../services/watch-folder.js';
import { WelcomePhotoService } from '../services/welcome-photo.service.js';
import { WelcomePhotoPasses } from '../services/welcome-photo-pass.js';
import { kioskThrottleStateOn } from '../shared-state/kiosk-throttle-state.js';
import type { SharedState } from '../shared-state/shared-state.port.js';
import type { Store } from '../store/store.port.js';
import {
  createInvitationMailer,
  createMatcher,
  createProbeUploads,
  type MatcherChoice,
  openEngine,
  openLivenessSessions,
  openPasswordHasher,
  openStorage,
  type PasswordHasherChoice,
  type Storage,
} from './adapters.js';
import { buildAuthServices } from './build-auth-services.js';
import { FreshIdentificationService, openSharedState, startGalleryFeed } from './scale-out.js';
import { WatchFolders } from './watch-folders.js';

/** The rule services. */
export interface CoreServices {
  employees: EmployeeService;
  enrollment: EnrollmentService;
  identification: IdentificationService;
  erasure: ErasureService;
  templateUpgrade: TemplateUpgradeService;
}

/** Every service of the process: the rule services, the auth services and the services of the API's views. */
export interface AppServices extends CoreServices {
  auth: AuthServices;
  /** The employee operations of the API: employees as the caller may see them. */
  employeeViews: EmployeeViewService;
  /** Face login with short-lived links to the matched employee's photo (`kiosk.showPhoto` setting). */
  welcomePhotos: WelcomePhotoService;
  /** Kiosk pairing codes, per-kiosk settings and the kiosk set-up PIN. */
  kioskPairing: KioskPairingService;
  /** The audit log with actors and employees named. */
  auditViews: AuditViewService;
  /** The local liveness challenge (self-service enrolment always uses it: its captures need the local engine). */
  liveness: LivenessService;
  /** The liveness provider of face login: the local challenge or Rekognition Face Liveness sessions. */
  livenessProvider: LivenessProvider;
  /** Upload tickets of the validation bucket (serverless deployment); refused where not configured. */
  probeUploads: ProbeUploadService;
  /** Face login with the liveness mode enforced (what the API's face-login routes call). */
  livenessLogin: LivenessLoginService;
  /** Self-service enrolment: invitations, the enrolment page's steps, the review queue. */
  invitations: InvitationService;
  selfEnrolment: SelfEnrolmentService;
  review: ReviewService;
}

/** What start-up found and repaired. */
export interface StartupReport {
  templatesLoaded: number;
  /**
   * Templates of another model/version than the engine's; they never match until rebuilt from their kept photos
   * (`facegate templates upgrade`) or re-enrolled.
   */
  templatesSkipped: number;
  employees: number;
  orphanBlobsRemoved: number;
}

/** A built facegate process: every port and service, and `close()`. */
export interface App {
  config: FacegateConfig;
  engine: FaceEngine;
  cipher: DataCipher;
  store: Store;
  blobs: BlobStore;
  gallery: Gallery;
  /** State shared between nodes (memory on one node, Redis on several). */
  sharedState: SharedState;
  /** Keeps the gallery in step with changes made on other nodes; every match asks it for freshness first. */
  feed: GalleryFeed;
  /** The access policy every service was given. */
  policy: Policy;
  services: AppServices;
  startup: StartupReport;
  /**
   * Starts enrolling photos dropped into `dir` (watch mode inside a long-running process, e.g. `FACEGATE_WATCH_DIR`
   * for the server); `close()` stops it after the file in progress.
   */
  startWatchFolder(dir: string, options?: Partial<WatchOptions>): FolderWatcher;
  close(): Promise<void>;
}

/** Replaceable parts, for tests. */
export interface AppOptions {
  /** Access rules of every service; defaults to the role policy (`cli` and `system` actors may do everything). */
  policy?: Policy;
  /** Time source of every service; defaults to the system clock. */
  clock?: Clock;
  logger?: ServiceLogger;
  /** A ready engine to share (tests load models once per file); the app then does not close it. */
  engine?: FaceEngine;
  /**
   * Ready data at rest instead of the configured adapters (a store the config cannot name yet, e.g. DynamoDB in
   * the AWS flow test); the app closes it.
   */
  storage?: Storage;
  /** A ready shared state instead of the configured one; the app then does not close it. */
  sharedState?: SharedState;
  /**
   * The remote collection behind `FACEGATE_ENGINE=rekognition` (tests pass the Rekognition adapter on a mocked
   * client); the configured one when absent.
   */
  remoteMatcher?: RemoteFaceMatcher;
  /**
   * Face Liveness sessions behind `FACEGATE_LIVENESS_PROVIDER=rekognition` (tests pass the Rekognition adapter on
   * mocked clients); the configured one when absent.
   */
  livenessSessions?: LivenessSessions;
  /**
   * Remove unreferenced photo blobs at start-up (default true). The Lambda functions turn it off: many instances
   * start at any time, and one instance's sweep could take a photo another has written but not committed yet.
   */
  sweepOrphanBlobs?: boolean;
  /** The Argon2id implementation; the native one when it runs here, else WebAssembly (the AWS app asks `wasm`). */
  passwordHasher?: PasswordHasherChoice;
}

/**
 * Builds the app from one validated config: cipher → store → blobs → engine → gallery (loaded from the store)
 * → services (core, auth, welcome photos), then removes photo blobs no template references (left by a crash
 * between blob write and commit).
 */
export async function createApp(config: FacegateConfig, options: AppOptions = {}): Promise<App> {
  const runtime: Required<ServiceRuntime> = {
    policy: options.policy ?? rolePolicy,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
  };
  const storage = options.storage ?? (await openStorage(config));
  const closers: Array<() => Promise<void>> = [() => storage.close()];
  try {
    const engine = options.engine ?? (await openEngine(config));
    if (!options.engine) closers.unshift(() => engine.close());
    const { cipher, store, blobs } = storage;
    // ── Scale-out: shared state, then the gallery feed (which loads the gallery) ──
    const sharedState = await openSharedState(config, runtime.logger, options.sharedState, () =>
      runtime.clock.now().getTime(),
    );
    if (!options.sharedState) closers.unshift(() => sharedState.close());
    const { gallery, choice, feed, loaded } = await openMatcher(config, engine, store, runtime, options);
    // A large gallery scans on a helper thread of its own.
    closers.unshift(() => gallery.close());
    closers.unshift(() => feed.stop());
    // Local thresholds always come from the calibrated table: an uncalibrated model refuses to match (NOT_READY).
    const { matcher, thresholds } = choice;
    const deps = { ...runtime, engine, store, blobs, gallery, matcher, thresholds, config };
    const hasher = await openPasswordHasher(options.passwordHasher, runtime.logger);
    const shared = { cipher, sharedState, feed, hasher };
    const sessions = await openLivenessSessions(config, options.livenessSessions);
    const services = addLivenessServices(buildServices(deps, shared, runtime), deps, {
      sharedState,
      cipher,
      ...(sessions ? { sessions } : {}),
    });
    const orphanBlobsRemoved =
      options.sweepOrphanBlobs === false ? 0 : await services.enrollment.sweepOrphanBlobs();
    const watchers = new WatchFolders(services.enrollment, runtime.logger, {
      allowExisting: config.operations.watchAllowExisting,
    });
    let closed = false;
    return {
      config,
      engine,
      cipher,
      store,
      blobs,
      gallery,
      sharedState,
      feed,
      policy: runtime.policy,
      services,
      startup: { ...loaded, orphanBlobsRemoved },
      startWatchFolder: (dir, watchOptions) => watchers.start(dir, watchOptions),
      async close() {
        if (closed) return;
        closed = true;
        await watchers.stopAll();
        for (const close of closers) await close();
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => {});
    throw error;
  }
}

/**
 * The matcher and what it needs: the in-memory gallery loaded by its feed (local engine), or the remote collection,
 * which has neither (an empty, never-loaded gallery stands in for the template upgrade's view, and the feed is
 * always fresh).
 */
async function openMatcher(
  config: FacegateConfig,
  engine: FaceEngine,
  store: Store,
  runtime: Required<ServiceRuntime>,
  options: AppOptions,
): Promise<{
  gallery: Gallery;
  choice: MatcherChoice;
  feed: GalleryFeed;
  loaded: Omit<StartupReport, 'orphanBlobsRemoved'>;
}> {
  if (config.engine.kind === 'local') {
    const gallery = new Gallery(engine.info, store);
    const choice = await createMatcher(config, engine, gallery, store);
    const { feed, stats } = await startGalleryFeed(config, gallery, store, runtime.logger);
    return { gallery, choice, feed, loaded: reportLoad(stats, engine, runtime.logger) };
  }
  const gallery = new Gallery({ ...engine.info, dimension: 1 });
  const choice = await createMatcher(config, engine, gallery, store, options.remoteMatcher);
  return {
    gallery,
    choice,
    feed: alwaysFreshFeed(),
    loaded: { templatesLoaded: 0, templatesSkipped: 0, employees: 0 },
  };
}

/** The feed of a remote collection: every node asks the collection itself, so none is ever stale. */
function alwaysFreshFeed(): GalleryFeed {
  return {
    kind: 'local',
    start: async () => {},
    stop: async () => {},
    status: () => ({ ready: true, lagMs: 0, lastSeq: 0, reconnects: 0, resyncs: 0 }),
    assertFresh: () => {},
  };
}

/** What the gallery load found; warns about templates of another model, which never match. */
function reportLoad(stats: Awaited<ReturnType<Gallery['load']>>, engine: FaceEngine, logger: ServiceLogger) {
  if (stats.stale > 0) {
    logger.warn(
      { skipped: stats.stale, model: engine.info.model, version: engine.info.version },
      'templates of another model were not loaded; run `facegate templates upgrade` or re-enroll those employees',
    );
  }
  return { templatesLoaded: stats.templates, templatesSkipped: stats.stale, employees: stats.employees };
}

/** What the services share besides the ports: the data cipher, the shared state and the gallery feed. */
interface ServiceShared {
  cipher: DataCipher;
  sharedState: SharedState;
  feed: Pick<GalleryFeed, 'assertFresh'>;
  hasher: PasswordHasher;
}

/** Every service over the same ports, policy and clock. */
function buildServices(
  deps: ServiceDeps & { gallery: Gallery },
  { cipher, sharedState, feed, hasher }: ServiceShared,
  runtime: Required<ServiceRuntime>,
): Omit<AppServices, LivenessBased> {
  const employees = new EmployeeService(deps);
  const enrollment = new EnrollmentService(deps);
  const identification = new FreshIdentificationService(deps, feed);
  const kioskState = kioskThrottleStateOn(sharedState, deps.config.security.kioskWindowSeconds, cipher);
  const auth = buildAuthServices(
    {
      config: deps.config,
      store: deps.store,
      employees,
      identification,
      sharedState,
      hasher,
      ...(kioskState ? { kioskState } : {}),
    },
    runtime,
  );
  const passes = new WelcomePhotoPasses(
    (data) => cipher.keyedHash(Buffer.from(data), 'welcome-photo-pass'),
    () => runtime.clock.now(),
  );
  return {
    employees,
    enrollment,
    identification,
    erasure: new ErasureService(deps),
    templateUpgrade: new TemplateUpgradeService(deps),
    auth,
    employeeViews: new EmployeeViewService({ employees, enrollment, lockout: auth.lockout }),
    welcomePhotos: new WelcomePhotoService({
      ...runtime,
      store: deps.store,
      blobs: deps.blobs,
      faceLogin: auth.faceLogin,
      settings: auth.settings,
      passes,
    }),
    kioskPairing: new KioskPairingService({
      ...runtime,
      store: deps.store,
      apiKeys: auth.apiKeys,
      livenessModeOf: (actor) => livenessModeOf({ store: deps.store, settings: auth.settings }, actor),
      // The same setting chooses the provider adapter below, so what a kiosk is told is what it would get.
      livenessProvider: deps.config.aws.livenessProvider,
    }),
    auditViews: new AuditViewService(deps.store, auth.audit),
  };
}

/** The services built on the liveness service. */
type LivenessBased =
  | 'liveness'
  | 'livenessProvider'
  | 'livenessLogin'
  | 'invitations'
  | 'selfEnrolment'
  | 'review'
  | 'probeUploads';

/**
 * Liveness: challenges in the shared state, the provider of face login (the local challenge, or Face Liveness
 * sessions when `sessions` is given), face login with the liveness mode enforced, and self-service enrolment
 * (whose captures must follow a passed local challenge).
 */
function addLivenessServices(
  services: Omit<AppServices, LivenessBased>,
  deps: ServiceDeps,
  {
    sharedState: state,
    cipher,
    sessions,
  }: { sharedState: SharedState; cipher: DataCipher; sessions?: LivenessSessions },
): AppServices {
  // The eye-closure limit follows the face-mesh detector the engine runs (the meshes close the lids differently).
  const verifier = new LivenessVerifier(livenessLimitsFor(deps.config.engine.detector));
  const liveness = new LivenessService({ ...deps, state, verifier });
  const livenessProvider = faceLoginLiveness(deps, state, liveness, sessions);
  // The capture step needs the local engine: the challenge reads its face meshes, the captures its embeddings.
  const captureAvailable = deps.config.engine.kind === 'local';
  const review = new ReviewService({ ...deps, enrollment: services.enrollment });
  const selfEnrolment = new SelfEnrolmentService({
    ...deps,
    liveness,
    state,
    cipher,
    review,
    captureAvailable,
  });
  const invitations = new InvitationService({
    ...deps,
    mailer: createInvitationMailer(deps.config),
    captureAvailable,
  });
  const livenessLogin = new LivenessLoginService({
    ...deps,
    settings: services.auth.settings,
    liveness: livenessProvider,
    welcomePhotos: services.welcomePhotos,
    faceLogin: services.auth.faceLogin,
    engineInfo: deps.engine.info,
  });
  const probeUploads = new ProbeUploadService({ ...deps, uploads: createProbeUploads(deps.config) });
  return {
    ...services,
    liveness,
    livenessProvider,
    livenessLogin,
    invitations,
    selfEnrolment,
    review,
    probeUploads,
  };
}

/**
 * The liveness provider of face login, from `FACEGATE_LIVENESS_PROVIDER`: Face Liveness sessions (`sessions` is
 * given only for `rekognition`), no provider at all (`none`: every challenge refused), or the local challenge.
 */
function faceLoginLiveness(
  deps: ServiceDeps,
  state: SharedState,
  liveness: LivenessService,
  sessions: LivenessSessions | undefined,
): LivenessProvider {
  if (sessions) {
    const { minConfidence } = deps.config.aws.faceLiveness;
    return new SessionLivenessService({ ...deps, state, sessions, minConfidence });
  }
  if (deps.config.aws.livenessProvider === 'none') return new NoLivenessProvider(deps);
  return new LocalLivenessProvider(liveness);
}

/** What the HTTP API needs of a built app. */
export function apiContextOf(app: App): ApiContext {
  const { services } = app;
  return {
    config: app.config,
    store: app.store,
    engine: app.engine,
    policy: app.policy,
    employees: services.employees,
    employeeViews: services.employeeViews,
    erasure: services.erasure,
    templateUpgrade: services.templateUpgrade,
    auth: services.auth,
    welcomePhotos: services.welcomePhotos,
    kioskPairing: services.kioskPairing,
    auditViews: services.auditViews,
    liveness: services.livenessProvider,
    livenessLogin: services.livenessLogin,
    probeUploads: services.probeUploads,
    invitations: services.invitations,
    selfEnrolment: services.selfEnrolment,
    review: services.review,
    sharedState: app.sharedState,
    galleryFeed: app.feed,
  };
}
