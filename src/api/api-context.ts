import type { AuthServices } from '../auth/auth-services.js';
import type { FacegateConfig } from '../config/config.js';
import type { Policy } from '../domain/access.js';
import type { FaceEngine } from '../engine/face-engine.port.js';
import type { GalleryFeed } from '../gallery/feed/gallery-feed.port.js';
import type { AuditViewService } from '../services/audit-view.service.js';
import type { EmployeeService } from '../services/employee.service.js';
import type { EmployeeViewService } from '../services/employee-view.service.js';
import type { ErasureService } from '../services/erasure.service.js';
import type { InvitationService } from '../services/invitation.service.js';
import type { KioskPairingService } from '../services/kiosk-pairing.service.js';
import type { LivenessLoginService } from '../services/liveness-login.service.js';
import type { LivenessProvider } from '../services/liveness-provider.port.js';
import type { ProbeUploadService } from '../services/probe-upload.service.js';
import type { ReviewService } from '../services/review.service.js';
import type { SelfEnrolmentService } from '../services/self-enrolment.service.js';
import type { TemplateUpgradeService } from '../services/template-upgrade.service.js';
import type { WelcomePhotoService } from '../services/welcome-photo.service.js';
import type { SharedState } from '../shared-state/shared-state.port.js';
import type { Store } from '../store/store.port.js';

/** What the HTTP API is built from: a view of the composed application (`apiContextOf` in `src/app`). */
export interface ApiContext {
  config: FacegateConfig;
  store: Pick<Store, 'ping'>;
  engine: Pick<FaceEngine, 'load' | 'info'>;
  /** The access policy of every service; routes check it early, before reading a body. */
  policy: Policy;
  employees: EmployeeService;
  /** The employee operations of the API: employees as the caller may see them. */
  employeeViews: EmployeeViewService;
  erasure: Pick<ErasureService, 'deleteEmployee'>;
  templateUpgrade: Pick<TemplateUpgradeService, 'upgrade'>;
  auth: AuthServices;
  /** Face login with short-lived links to the matched employee's photo (`kiosk.showPhoto` setting). */
  welcomePhotos: WelcomePhotoService;
  /** Kiosk pairing codes, per-kiosk settings and the kiosk set-up PIN. */
  kioskPairing: KioskPairingService;
  /** The audit log with actors and employees named. */
  auditViews: AuditViewService;
  /** Liveness challenges of the provider in force. */
  liveness: Pick<LivenessProvider, 'issueChallenge' | 'kind'>;
  /** Face login with the liveness mode enforced. */
  livenessLogin: Pick<LivenessLoginService, 'authenticate' | 'verify' | 'setKeyMode'>;
  /** Upload tickets of the serverless deployment's validation bucket (refused elsewhere). */
  probeUploads: Pick<ProbeUploadService, 'issue' | 'take'>;
  /** Self-service enrolment: invitations, the enrolment page's steps, the review queue. */
  invitations: InvitationService;
  selfEnrolment: SelfEnrolmentService;
  review: ReviewService;
  /** State shared between nodes: rate-limit counters, readiness (absent: counted in this process). */
  sharedState?: SharedState;
  /** Freshness of the gallery, for readiness (absent: always fresh). */
  galleryFeed?: Pick<GalleryFeed, 'status' | 'kind'>;
}
