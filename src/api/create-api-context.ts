import type { App } from '../app/composition-root.js';
import { rolePolicy } from '../auth/actor.js';
import { createAuthServices } from '../auth/auth-services.js';
import { AuditViewService } from '../services/audit-view.service.js';
import { EmployeeViewService } from '../services/employee-view.service.js';
import { KioskPairingService } from '../services/kiosk-pairing.service.js';
import { WelcomePhotoService } from '../services/welcome-photo.service.js';
import { WelcomePhotoPasses } from '../services/welcome-photo-pass.js';
import type { ApiContext } from './api-context.js';

/**
 * Adds the auth services to a composed app and returns what the HTTP API needs.
 * The app must have been created with the role policy (`createApp(config, { policy: rolePolicy })`).
 */
export function createApiContext(app: App, now?: () => Date): ApiContext {
  const auth = createAuthServices({
    config: app.config,
    store: app.store,
    employees: app.services.employees,
    identification: app.services.identification,
    now,
  });
  return {
    config: app.config,
    store: app.store,
    engine: app.engine,
    employees: app.services.employees,
    employeeViews: new EmployeeViewService({
      employees: app.services.employees,
      enrollment: app.services.enrollment,
      lockout: auth.lockout,
    }),
    erasure: app.services.erasure,
    templateUpgrade: app.services.templateUpgrade,
    auth,
    kioskPairing: new KioskPairingService(app.store, auth.apiKeys, now),
    auditViews: new AuditViewService(app.store, auth.audit),
    welcomePhotos: new WelcomePhotoService({
      store: app.store,
      blobs: app.blobs,
      policy: rolePolicy,
      faceLogin: auth.faceLogin,
      settings: auth.settings,
      passes: new WelcomePhotoPasses(
        (data) => app.cipher.keyedHash(Buffer.from(data), 'welcome-photo-pass'),
        now,
      ),
    }),
  };
}
