import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { alignFace } from './alignment.js';
import type { Embedding, FaceEmbedder } from './embedder.js';
import type { FiveLandmarks } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';
import type { OnnxFaceOptions } from './onnx-face.embedder.js';
import type { OnnxFaceRequest, OnnxFaceResponse } from './onnx-face.worker.js';
import { ONNX_FACE_MODELS, type OnnxModelId } from './onnx-face-models.js';

/** Starts the worker; under tsx/vitest (sources are .ts) it registers tsx's loader before importing the file. */
function spawnWorker(workerData: OnnxFaceOptions): Worker {
  const url = new URL(
    import.meta.url.endsWith('.ts') ? './onnx-face.worker.ts' : './onnx-face.worker.js',
    import.meta.url,
  );
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  // `execArgv: ['--import', 'tsx']` does not reach a .ts entry file in a worker (measured); tsx's API does.
  const code = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}

interface Pending {
  resolve: (vector: Float32Array) => void;
  reject: (error: Error) => void;
}

/**
 * An {@link OnnxFaceEmbedder} with its ONNX Runtime session in a thread of its own. onnxruntime-node's
 * `session.run` computes on the calling JS thread (inside a `setImmediate`), so in the same thread it cannot
 * overlap other members of a fusion; here the crop is aligned in the caller, posted at once, and the fusion
 * runs its other members while this thread computes. Same code and vectors as {@link OnnxFaceEmbedder}.
 */
export class ThreadedOnnxFaceEmbedder implements FaceEmbedder {
  readonly id: OnnxModelId;
  readonly dimension: number;
  readonly version: number;
  private worker: Worker | undefined;
  private loading: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly options: OnnxFaceOptions) {
    const model = ONNX_FACE_MODELS[options.model];
    this.id = model.id;
    this.dimension = model.dimension;
    this.version = model.version;
  }

  /** Starts the thread and waits until its session is loaded (once; concurrent callers share it). */
  async load(): Promise<void> {
    await this.start();
  }

  private start(): Promise<Worker> {
    this.loading ??= new Promise<Worker>((resolve, reject) => {
      const worker = spawnWorker(this.options);
      // Never keeps the process alive (CLIs may exit without close()).
      worker.unref();
      worker.on('message', (msg: OnnxFaceResponse) => {
        if (msg.kind === 'ready') {
          this.worker = worker;
          resolve(worker);
        } else if (msg.kind === 'load-error') {
          reject(new Error(`${this.id} thread failed to load: ${msg.error}`));
          void worker.terminate();
        } else {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (msg.kind === 'vector') p?.resolve(msg.vector);
          else p?.reject(new Error(`${this.id} thread: ${msg.error}`));
        }
      });
      worker.on('error', (error) => this.fail(error, reject));
      worker.on('exit', (code) => this.fail(new Error(`${this.id} thread exited (${code})`), reject));
    });
    return this.loading;
  }

  private fail(error: Error, reject: (error: Error) => void): void {
    this.worker = undefined;
    this.loading = undefined;
    reject(error);
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /**
   * Aligns the face and posts the crop before the first `await` once loaded, so a caller that starts
   * this embed and then runs other work gets both at the same time.
   */
  async embed(image: RgbImage, landmarks: FiveLandmarks, flip: boolean): Promise<Embedding> {
    const worker = this.worker ?? (await this.start());
    const t0 = performance.now();
    const crop = alignFace(image, landmarks, 112);
    const t1 = performance.now();
    const id = this.nextId++;
    const vector = await new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, crop: crop.data, flip } satisfies OnnxFaceRequest, [
        crop.data.buffer as ArrayBuffer,
      ]);
    });
    return { vector, alignMs: t1 - t0, embedMs: performance.now() - t1 };
  }

  /** Stops the thread. */
  async close(): Promise<void> {
    const worker = this.worker ?? (await this.loading?.catch(() => undefined));
    this.worker = undefined;
    this.loading = undefined;
    await worker?.terminate();
  }
}
