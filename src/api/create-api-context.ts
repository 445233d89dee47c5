import type { App } from '../app/composition-root.js';
import { createAuthServices } from '../auth/auth-services.js';
import type { ApiContext } from './api-context.js';
import { WelcomePhotoPasses } from './welcome-photo.js';

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
    enrollment: app.services.enrollment,
    erasure: app.services.erasure,
    templateUpgrade: app.services.templateUpgrade,
    auth,
    welcomePhotos: new WelcomePhotoPasses(
      (data) => app.cipher.keyedHash(Buffer.from(data), 'welcome-photo-pass'),
      now,
    ),
  };
}
