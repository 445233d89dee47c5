import { ApiKeyService } from '../auth/api-key.service.js';
import { AuditService } from '../auth/audit.service.js';
import type { AuthServices } from '../auth/auth-services.js';
import { CalibrationService } from '../auth/calibration.service.js';
import { FaceLoginService } from '../auth/face-login.service.js';
import { KioskThrottleService } from '../auth/kiosk-throttle.service.js';
import { type EmployeeLocks, LockoutService } from '../auth/lockout.service.js';
import { SecondFactorService } from '../auth/mfa/second-factor.service.js';
import {
  ConsoleSecondFactorLogin,
  FaceSecondFactorLogin,
  secondFactorFailureCounter,
} from '../auth/mfa/second-factor-login.js';
import type { PasswordHasher } from '../auth/password-hasher.js';
import { PasswordThrottleService } from '../auth/password-throttle.service.js';
import { SessionService } from '../auth/session.service.js';
import { SettingsService } from '../auth/settings.service.js';
import { SetupService } from '../auth/setup.service.js';
import { TokenService } from '../auth/token.service.js';
import { UserService } from '../auth/user.service.js';
import type { FacegateConfig } from '../config/config.js';
import { localOnlyPolicy } from '../domain/access.js';
import type { IdentificationService } from '../services/identification.service.js';
import { type ServiceRuntime, systemClock } from '../services/service-context.js';
import type { KioskThrottleState } from '../shared-state/kiosk-throttle-state.js';
import type { SharedState } from '../shared-state/shared-state.port.js';
import type { Store } from '../store/store.port.js';

/** What the auth services are built from, besides the policy, clock and logger every service gets. */
export interface AuthPorts {
  config: FacegateConfig;
  store: Store;
  /** The employee service (lock/unlock keep the gallery in step). */
  employees: EmployeeLocks;
  identification: Pick<IdentificationService, 'identify' | 'verify'>;
  /** The kiosk throttle's windows, probes and gate on shared state (several nodes); absent: in this process. */
  kioskState?: KioskThrottleState;
  /** Memory on one node, Redis across nodes: the password pace and the impostor alarm count there. */
  sharedState: SharedState;
  /** Argon2id of passwords, PINs and recovery codes (native or WebAssembly). */
  hasher: PasswordHasher;
}

/** Builds the auth services over one store, each with the same policy and clock. */
export function buildAuthServices(ports: AuthPorts, runtime: ServiceRuntime): AuthServices {
  const { config, store } = ports;
  const settings = new SettingsService({ ...runtime, store, config });
  const lockout = new LockoutService({
    ...runtime,
    store,
    employees: ports.employees,
    limits: () => settings.lockoutLimits(),
  });
  const sessions = new SessionService({ ...runtime, store, ttlSeconds: config.security.sessionTtlSeconds });
  const throttle = new PasswordThrottleService({ lockout, slots: ports.sharedState });
  const tokens = new TokenService({ ...runtime, config });
  const mfa = buildSecondFactors(ports, runtime, { lockout, settings, tokens });
  const users = new UserService({
    ...runtime,
    store,
    sessions,
    throttle,
    hasher: ports.hasher,
    secondFactor: (user, ip) => mfa.console.stepFor(user, ip),
  });
  mfa.bindUsers(users);
  const kioskThrottle = buildKioskThrottle(ports, () => settings.lockoutLimits(), runtime);
  return {
    users,
    sessions,
    apiKeys: new ApiKeyService({ ...runtime, store }),
    setup: new SetupService({ ...runtime, users, state: ports.sharedState }),
    lockout,
    kioskThrottle,
    tokens,
    faceLogin: new FaceLoginService({
      ...runtime,
      store,
      identification: ports.identification,
      lockout,
      tokens,
      kiosk: kioskThrottle,
      secondFactor: mfa.face,
    }),
    settings,
    audit: new AuditService({ ...runtime, store }),
    calibration: new CalibrationService({ ...runtime, dataDir: config.dataDir }),
    secondFactors: mfa.service,
    faceSecondFactor: mfa.face,
    consoleSecondFactor: mfa.console,
  };
}

/**
 * Second factors: the service (settings from the run-time settings; failed factors counted by the lockout), and
 * the second steps of face login and console sign-in. The console step opens sessions through the user service,
 * which is built after it: `bindUsers` closes that loop.
 */
function buildSecondFactors(
  ports: AuthPorts,
  runtime: ServiceRuntime,
  deps: { lockout: LockoutService; settings: SettingsService; tokens: TokenService },
) {
  const { store, config } = ports;
  const { lockout, settings, tokens } = deps;
  const service = new SecondFactorService({
    store,
    clock: runtime.clock ?? systemClock,
    policy: runtime.policy ?? localOnlyPolicy,
    settings: async () => (await settings.current()).mfa,
    webauthn: config.webauthn,
    hasher: ports.hasher,
    onFailure: secondFactorFailureCounter(store, lockout),
  });
  let users: UserService | undefined;
  const consoleStep = new ConsoleSecondFactorLogin({
    mfa: service,
    store,
    lockout,
    users: {
      openSession: (user, ip, amr) => {
        if (!users) throw new Error('second factors: the user service is not bound');
        return users.openSession(user, ip, amr);
      },
    },
  });
  return {
    service,
    face: new FaceSecondFactorLogin({ mfa: service, store, lockout, tokens }),
    console: consoleStep,
    bindUsers(bound: UserService) {
      users = bound;
    },
  };
}

/** The kiosk throttle with its limits from config (window, 60-s cap, alarm) and settings (threshold, delay). */
function buildKioskThrottle(
  ports: AuthPorts,
  limits: () => ReturnType<SettingsService['lockoutLimits']>,
  runtime: ServiceRuntime,
): KioskThrottleService {
  const sec = ports.config.security;
  const clock = runtime.clock ?? systemClock;
  return new KioskThrottleService({
    store: ports.store,
    limits,
    now: () => clock.now(),
    ...ports.kioskState,
    alarmCounters: ports.sharedState,
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
