import type { ApiKeyService } from './api-key.service.js';
import type { AuditService } from './audit.service.js';
import type { CalibrationService } from './calibration.service.js';
import type { FaceLoginService } from './face-login.service.js';
import type { KioskThrottleService } from './kiosk-throttle.service.js';
import type { LockoutService } from './lockout.service.js';
import type { SecondFactorService } from './mfa/second-factor.service.js';
import type { ConsoleSecondFactorLogin, FaceSecondFactorLogin } from './mfa/second-factor-login.js';
import type { SessionService } from './session.service.js';
import type { SettingsService } from './settings.service.js';
import type { SetupService } from './setup.service.js';
import type { TokenService } from './token.service.js';
import type { UserService } from './user.service.js';

/** Every auth-related service, built once by the composition root (`src/app`). */
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
  /** Second factors: enrolment, policy and steps. */
  secondFactors: SecondFactorService;
  /** The second step of face login. */
  faceSecondFactor: FaceSecondFactorLogin;
  /** The second step of console sign-in. */
  consoleSecondFactor: ConsoleSecondFactorLogin;
}
