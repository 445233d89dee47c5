import { FacegateError } from '../domain/errors.js';
import type { DetectionResult, EngineInfo, FaceAnalysis, FaceEngine } from './face-engine.port.js';

/**
 * The {@link FaceEngine} of a process whose faces are read by a remote collection (`FACEGATE_ENGINE=rekognition`):
 * it names the engine for health and audit, and refuses local analysis (`NOT_READY`), which only the local
 * liveness challenge and template upgrades ask for. No model is loaded or bundled.
 */
export class RemoteOnlyEngine implements FaceEngine {
  constructor(readonly info: EngineInfo) {}

  async load(): Promise<void> {}

  detect(): Promise<DetectionResult> {
    return Promise.reject(this.unavailable());
  }

  analyze(): Promise<FaceAnalysis> {
    return Promise.reject(this.unavailable());
  }

  async close(): Promise<void> {}

  private unavailable(): FacegateError {
    return new FacegateError(
      'NOT_READY',
      `Local face analysis is not available with the ${this.info.engine} engine`,
      { engine: this.info.engine },
    );
  }
}
