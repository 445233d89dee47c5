import type { FacegateConfig } from '../config/config.js';
import type { IdentificationService } from '../services/identification.service.js';
import type { Store } from '../store/store.port.js';
import { ApiKeyService } from './api-key.service.js';
import { AuditService } from './audit.service.js';
import { CalibrationService } from './calibration.service.js';
import { FaceLoginService } from './face-login.service.js';
import { KioskThrottleService } from './kiosk-throttle.service.js';
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
  /** Door and face throttling of face attempts, and the impostor-rate alarm. */
  kioskThrottle: KioskThrottleService;
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
  const kioskThrottle = createKioskThrottle(deps, () => settings.lockoutLimits(), now);
  return {
    users,
    sessions,
    apiKeys: new ApiKeyService(deps.store, now),
    setup: new SetupService(users),
    lockout,
    kioskThrottle,
    tokens,
    faceLogin: new FaceLoginService(deps.store, deps.identification, lockout, tokens, kioskThrottle),
    settings,
    audit: new AuditService(deps.store),
    calibration: new CalibrationService(deps.config.dataDir),
  };
}

/** The kiosk throttle with its limits from config (window, 60-s cap, alarm) and settings (threshold, delay). */
function createKioskThrottle(
  deps: AuthDeps,
  limits: () => ReturnType<SettingsService['lockoutLimits']>,
  now: () => Date,
): KioskThrottleService {
  const sec = deps.config.security;
  return new KioskThrottleService({
    store: deps.store,
    limits,
    now,
    options: {
      windowSeconds: sec.kioskWindowSeconds,
      maxDelaySeconds: sec.kioskMaxDelaySeconds,
      alarm: {
        rate: sec.impostorAlarmRate,
        minSamples: sec.impostorAlarmMinSamples,
        windowSeconds: sec.impostorAlarmWindowSeconds,
      },
    },
  });
}
