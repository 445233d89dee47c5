import type { AuthServices } from '../auth/auth-services.js';
import type { FacegateConfig } from '../config/config.js';
import type { FaceEngine } from '../engine/face-engine.port.js';
import type { EmployeeService } from '../services/employee.service.js';
import type { EnrollmentService } from '../services/enrollment.service.js';
import type { ErasureService } from '../services/erasure.service.js';
import type { TemplateUpgradeService } from '../services/template-upgrade.service.js';
import type { Store } from '../store/store.port.js';
import type { WelcomePhotoPasses } from './welcome-photo.js';

/** What the HTTP API is built from: the composed application. */
export interface ApiContext {
  config: FacegateConfig;
  store: Pick<Store, 'ping'>;
  engine: Pick<FaceEngine, 'load' | 'info'>;
  employees: EmployeeService;
  enrollment: Pick<EnrollmentService, 'enrollPhotos' | 'enrollByBadge'>;
  erasure: Pick<ErasureService, 'deleteEmployee'>;
  templateUpgrade: Pick<TemplateUpgradeService, 'upgrade'>;
  auth: AuthServices;
  /** Short-lived links to the matched employee's photo for the kiosk welcome (`kiosk.showPhoto` setting). */
  welcomePhotos: WelcomePhotoPasses;
}
