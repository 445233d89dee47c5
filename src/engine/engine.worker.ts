import { workerData } from 'node:worker_threads';
import { isFacegateError } from '../domain/errors.js';
import type { AnalyzeOptions, DetectionResult, FaceAnalysis } from './face-engine.port.js';
import { type LocalEngineSettings, LocalFaceEngine } from './local-face-engine.js';

/** A job sent to an engine worker. */
export type EngineTask =
  | { op: 'load' }
  | { op: 'detect'; image: Uint8Array; options?: AnalyzeOptions }
  | { op: 'analyze'; image: Uint8Array; options?: AnalyzeOptions };

/** A worker's answer; errors travel as plain data because class identity does not survive threads. */
export type EngineReply =
  | { ok: true; value: DetectionResult | FaceAnalysis | null }
  | { ok: false; error: { code: string | undefined; message: string; details?: Record<string, unknown> } };

const engine = new LocalFaceEngine(workerData as LocalEngineSettings);
// Start loading as soon as the thread starts; tasks await the same promise.
engine.load().catch(() => undefined);

/** Runs one engine task in this worker thread. */
export default async function runEngineTask(task: EngineTask): Promise<EngineReply> {
  try {
    switch (task.op) {
      case 'load':
        await engine.load();
        return { ok: true, value: null };
      case 'detect':
        return { ok: true, value: await engine.detect(task.image, task.options) };
      case 'analyze':
        return { ok: true, value: await engine.analyze(task.image, task.options) };
    }
  } catch (error) {
    if (isFacegateError(error)) {
      return { ok: false, error: { code: error.code, message: error.message, details: error.details } };
    }
    return {
      ok: false,
      error: { code: undefined, message: error instanceof Error ? error.message : String(error) },
    };
  }
}
