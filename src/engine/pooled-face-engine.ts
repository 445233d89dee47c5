import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { type ErrorCode, FacegateError } from '../domain/errors.js';
import type { EngineReply, EngineTask } from './engine.worker.js';
import type {
  AnalyzeOptions,
  DetectionResult,
  EngineInfo,
  FaceAnalysis,
  FaceEngine,
} from './face-engine.port.js';
import { type LocalEngineSettings, localEngineInfo } from './local-face-engine.js';

/** Queued tasks per worker before callers get OVERLOADED. */
const QUEUE_PER_WORKER = 32;

function workerFile(): { filename: string; execArgv: string[] | undefined } {
  const here = fileURLToPath(import.meta.url);
  // Under tsx/vitest the sources are .ts and the worker thread needs tsx's loader too.
  if (here.endsWith('.ts')) {
    return {
      filename: here.replace(/pooled-face-engine\.ts$/, 'engine.worker.ts'),
      execArgv: ['--import', 'tsx'],
    };
  }
  return { filename: here.replace(/pooled-face-engine\.js$/, 'engine.worker.js'), execArgv: undefined };
}

/**
 * The local engine in a pool of worker threads (piscina), so decoding and inference never block the
 * HTTP event loop. Same port, same vectors as {@link LocalFaceEngine}.
 */
export class PooledFaceEngine implements FaceEngine {
  readonly info: EngineInfo;
  private pool: Piscina | undefined;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly settings: LocalEngineSettings,
    private readonly workers: number,
    private readonly queuePerWorker = QUEUE_PER_WORKER,
  ) {
    this.info = localEngineInfo(settings);
  }

  private getPool(): Piscina {
    if (!this.pool) {
      const { filename, execArgv } = workerFile();
      this.pool = new Piscina({
        filename,
        ...(execArgv ? { execArgv } : {}),
        workerData: this.settings,
        minThreads: this.workers,
        maxThreads: this.workers,
        idleTimeout: 2 ** 31 - 1,
        maxQueue: this.workers * this.queuePerWorker,
        concurrentTasksPerWorker: 1,
        atomics: 'disabled',
      });
    }
    return this.pool;
  }

  /** Starts every worker and waits until each has loaded and warmed up its models. */
  load(): Promise<void> {
    this.loading ??= Promise.all(Array.from({ length: this.workers }, () => this.call({ op: 'load' })))
      .then(() => undefined)
      .catch((error: unknown) => {
        this.loading = undefined;
        throw error;
      });
    return this.loading;
  }

  /** Detects every face in a worker thread. */
  async detect(image: Uint8Array, options?: AnalyzeOptions): Promise<DetectionResult> {
    return (await this.call({ op: 'detect', image, options })) as DetectionResult;
  }

  /** Analyses the most prominent face in a worker thread. */
  async analyze(image: Uint8Array, options?: AnalyzeOptions): Promise<FaceAnalysis> {
    return (await this.call({ op: 'analyze', image, options })) as FaceAnalysis;
  }

  private async call(task: EngineTask): Promise<DetectionResult | FaceAnalysis | null> {
    let reply: EngineReply;
    try {
      reply = (await this.getPool().run(task)) as EngineReply;
    } catch (error) {
      if (error instanceof Error && /queue is at limit/i.test(error.message)) {
        throw new FacegateError('OVERLOADED', 'The face engine is busy; try again shortly');
      }
      throw new FacegateError('INTERNAL', 'The face engine worker failed', undefined, { cause: error });
    }
    if (reply.ok) return reply.value;
    const { code, message, details } = reply.error;
    throw code
      ? new FacegateError(code as ErrorCode, message, details)
      : new FacegateError('INTERNAL', `Face engine error: ${message}`);
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.loading = undefined;
    await pool?.destroy();
  }
}
