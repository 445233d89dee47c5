import type { AuthServices } from '../auth/auth-services.js';
import type { FacegateConfig } from '../config/config.js';
import type { Policy } from '../domain/access.js';
import type { FaceEngine } from '../engine/face-engine.port.js';
import type { EmployeeService } from '../services/employee.service.js';
import type { EnrollmentService } from '../services/enrollment.service.js';
import type { ErasureService } from '../services/erasure.service.js';
import type { TemplateUpgradeService } from '../services/template-upgrade.service.js';
import type { Store } from '../store/store.port.js';
import type { WelcomePhotoPasses } from './welcome-photo.js';

/** What the HTTP API is built from: a view of the composed application (`apiContextOf` in `src/app`). */
export interface ApiContext {
  config: FacegateConfig;
  store: Pick<Store, 'ping'>;
  engine: Pick<FaceEngine, 'load' | 'info'>;
  /** The access policy of every service; routes check it early, before reading a body. */
  policy: Policy;
  employees: EmployeeService;
  enrollment: Pick<EnrollmentService, 'enrollPhotos' | 'enrollByBadge'>;
  erasure: Pick<ErasureService, 'deleteEmployee'>;
  templateUpgrade: Pick<TemplateUpgradeService, 'upgrade'>;
  auth: AuthServices;
  /** Short-lived links to the matched employee's photo for the kiosk welcome (`kiosk.showPhoto` setting). */
  welcomePhotos: WelcomePhotoPasses;
}
