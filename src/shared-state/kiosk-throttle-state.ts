import type { FailedProbes } from '../auth/impostor-probes.js';
import type { ThrottleGate } from '../auth/throttle-gate.js';
import type { FailureWindows } from '../auth/throttle-window.js';
import type { DataCipher } from '../crypto/data-cipher.js';
import { SharedFailedProbes } from './shared-failed-probes.js';
import { SharedFailureWindows } from './shared-failure-windows.js';
import type { SharedState } from './shared-state.port.js';
import { SharedThrottleGate } from './shared-throttle-gate.js';

/** The parts of the kiosk throttle that several nodes must share (`KioskThrottleDeps`). */
export interface KioskThrottleState {
  windows: FailureWindows;
  probes: FailedProbes;
  gate: ThrottleGate;
}

/**
 * The kiosk throttle's windows, failed probes and gate on a shared state, for `new KioskThrottleService({ ...,
 * ...kioskThrottleStateOn(state, windowSeconds, cipher) })`. Undefined for the memory state: the service's own
 * in-process defaults are then kept unchanged.
 */
export function kioskThrottleStateOn(
  state: SharedState,
  windowSeconds: number,
  cipher?: Pick<DataCipher, 'encrypt' | 'decrypt'>,
): KioskThrottleState | undefined {
  if (state.kind === 'memory') return undefined;
  const windowMs = windowSeconds * 1000;
  return {
    windows: new SharedFailureWindows(state, windowMs),
    probes: new SharedFailedProbes(state, { ttlMs: windowMs, ...(cipher ? { cipher } : {}) }),
    gate: new SharedThrottleGate(state),
  };
}
