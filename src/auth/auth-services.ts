import type { FacegateConfig } from '../config/config.js';
import type { IdentificationService } from '../services/identification.service.js';
import type { Store } from '../store/store.port.js';
import { ApiKeyService } from './api-key.service.js';
import { AuditService } from './audit.service.js';
import { CalibrationService } from './calibration.service.js';
import { FaceLoginService } from './face-login.service.js';
import { type EmployeeLocks, LockoutService } from './lockout.service.js';
import { SessionService } from './session.service.js';
import { SettingsService } from './settings.service.js';
import { SetupService } from './setup.service.js';
import { TokenService } from './token.service.js';
import { UserService } from './user.service.js';

/** Every auth-related service, built once by the composition root. */
export interface AuthServices {
  users: UserService;
  sessions: SessionService;
  apiKeys: ApiKeyService;
  setup: SetupService;
  lockout: LockoutService;
  tokens: TokenService;
  faceLogin: FaceLoginService;
  settings: SettingsService;
  audit: AuditService;
  calibration: CalibrationService;
}

/** What the auth services are built from. */
export interface AuthDeps {
  config: FacegateConfig;
  store: Store;
  /** The employee service (lock/unlock keep the gallery in step). */
  employees: EmployeeLocks;
  identification: Pick<IdentificationService, 'identify' | 'verify'>;
  now?: () => Date;
}

/** Builds the auth services over one store. */
export function createAuthServices(deps: AuthDeps): AuthServices {
  const now = deps.now ?? (() => new Date());
  const settings = new SettingsService(deps.store, deps.config);
  const lockout = new LockoutService(deps.store, deps.employees, () => settings.lockoutLimits(), now);
  const sessions = new SessionService(deps.store, deps.config.security.sessionTtlSeconds, now);
  const users = new UserService(deps.store, sessions, lockout, now);
  const tokens = new TokenService(deps.config, now);
  return {
    users,
    sessions,
    apiKeys: new ApiKeyService(deps.store, now),
    setup: new SetupService(users),
    lockout,
    tokens,
    faceLogin: new FaceLoginService(deps.store, deps.identification, lockout, tokens),
    settings,
    audit: new AuditService(deps.store),
    calibration: new CalibrationService(deps.config.dataDir),
  };
}
