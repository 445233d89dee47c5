import { performance } from 'node:perf_hooks';
import type { DetectorId, EmbedderChoice, EmbedderId, FusionMember } from '../config/config.js';
import { FacegateError } from '../domain/errors.js';
import { ARCFACE_TEMPLATE_112 } from './alignment.js';
import { DlibEmbedder } from './dlib.embedder.js';
import type { FaceEmbedder } from './embedder.js';
import { type FaceDetector, HumanFaceDetector } from './face-detector.js';
import type {
  AnalyzeOptions,
  DetectedFace,
  DetectionResult,
  EngineInfo,
  FaceAnalysis,
  FaceEngine,
  StageTimings,
} from './face-engine.port.js';
import { FusionEmbedder } from './fusion.embedder.js';
import { type DecodedImage, type DecodeLimits, decodeImage } from './image-decoder.js';
import { MediaPipeFaceDetector } from './mediapipe-face-detector.js';
import { OnnxFaceEmbedder } from './onnx-face.embedder.js';
import { assessFace, measureFace, type QualityLimits, rankFaces } from './quality.js';
import { ThreadedOnnxFaceEmbedder } from './threaded-onnx-face.embedder.js';

/** Everything the local engine needs, a subset of `config.engine`. */
export interface LocalEngineSettings extends DecodeLimits, QualityLimits {
  embedder: EmbedderChoice;
  flipAugment: boolean;
  /** ONNX Runtime intra-op threads; 0 = 1. */
  ortThreads: number;
  /** Members of the `fusion` embedder. */
  fusion: FusionMember[];
  /** Detector + mesh; absent = Human. */
  detector?: DetectorId;
}

/** The model-id prefix of each detector (templates from different detectors are never compared). */
const DETECTOR_MODEL_PREFIX: Record<DetectorId, string> = {
  human: 'human-mesh',
  // Same mesh model and crop rule after either BlazeFace range: one calibration.
  'mediapipe-onnx': 'mp-mesh',
  'mediapipe-onnx-full': 'mp-mesh',
};

/** Builds the detector named by the settings (MediaPipe's runs with the embedders' ORT threading). */
export function createDetector(settings: LocalEngineSettings): FaceDetector {
  if (settings.detector === 'mediapipe-onnx' || settings.detector === 'mediapipe-onnx-full') {
    return new MediaPipeFaceDetector({
      intraOpThreads: Math.max(1, settings.ortThreads),
      range: settings.detector === 'mediapipe-onnx' ? 'short' : 'full',
    });
  }
  return new HumanFaceDetector();
}

/** Version of the shared pipeline (detector, landmarks, alignment); bump when vectors change. */
const PIPELINE_VERSION = 1;

/** Builds the embedder named by the settings. */
export function createEmbedder(settings: LocalEngineSettings): FaceEmbedder {
  const threads = Math.max(1, settings.ortThreads);
  const single = (id: EmbedderId, threaded: boolean): FaceEmbedder => {
    if (id === 'dlib') return new DlibEmbedder();
    const options = { model: id, intraOpThreads: threads };
    return threaded ? new ThreadedOnnxFaceEmbedder(options) : new OnnxFaceEmbedder(options);
  };
  if (settings.embedder !== 'fusion') return single(settings.embedder, false);
  // ONNX members run in threads of their own, so that they overlap each other and dlib (same vectors).
  return new FusionEmbedder(
    settings.fusion.map((m) => ({ embedder: single(m.embedder, true), weight: m.weight })),
  );
}

/** The EngineInfo a given configuration produces (identical in-process and in the worker pool). */
export function localEngineInfo(
  settings: LocalEngineSettings,
  embedder = createEmbedder(settings),
): EngineInfo {
  return {
    engine: 'local',
    model: `${DETECTOR_MODEL_PREFIX[settings.detector ?? 'human']}+${embedder.id}${settings.flipAugment ? '+flip' : ''}`,
    version: `${PIPELINE_VERSION}.${embedder.version}`,
    dimension: embedder.dimension,
  };
}

interface Detection {
  decoded: DecodedImage;
  result: DetectionResult;
}

/**
 * The local face engine in the calling thread: sharp decode → detector + mesh (Human, or MediaPipe's on
 * ONNX Runtime) → quality →
 * 5-point alignment → embedder (fr_feature / dlib / fusion, optional flip augmentation).
 * Use it directly in CLIs and tests; the HTTP server wraps it in a worker pool.
 */
export class LocalFaceEngine implements FaceEngine {
  readonly info: EngineInfo;
  private readonly detector: FaceDetector;
  private readonly embedder: FaceEmbedder;
  private loading: Promise<void> | undefined;

  constructor(private readonly settings: LocalEngineSettings) {
    this.embedder = createEmbedder(settings);
    this.detector = createDetector(settings);
    this.info = localEngineInfo(settings, this.embedder);
  }

  /** Loads the detector and embedder once and runs one inference of each (warm-up). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      if (this.detector instanceof MediaPipeFaceDetector) {
        // No shared tfjs runtime to set up: the embedder threads load while this thread loads the detector.
        await Promise.all([this.detector.load(), this.embedder.load()]);
      } else {
        await this.detector.load();
        await this.embedder.load();
      }
      const blank = { data: new Uint8Array(160 * 120 * 3).fill(128), width: 160, height: 120 };
      await this.detector.detect(blank);
      await this.embedder.embed(blank, ARCFACE_TEMPLATE_112, this.settings.flipAugment);
    })().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  /** Decodes the image and returns every face with landmarks and quality, most prominent first. */
  async detect(image: Uint8Array, options?: AnalyzeOptions): Promise<DetectionResult> {
    return (await this.run(image, options)).result;
  }

  /** Detects, picks the most prominent face, aligns and embeds it. Throws NO_FACE when there is none. */
  async analyze(image: Uint8Array, options?: AnalyzeOptions): Promise<FaceAnalysis> {
    const start = performance.now();
    const { decoded, result } = options?.face
      ? await this.given(image, options.face, options)
      : await this.run(image, options);
    const face = result.faces[0];
    if (!face) {
      throw new FacegateError('NO_FACE', 'No face was found in the image', {
        width: result.image.width,
        height: result.image.height,
      });
    }
    const embedding = await this.embedder.embed(decoded.full, face.landmarks, this.settings.flipAugment);
    const timings: StageTimings = {
      ...result.timings,
      align: round(embedding.alignMs),
      embed: round(embedding.embedMs),
      total: round(performance.now() - start),
    };
    return { ...result, timings, face, embedding: embedding.vector, engineInfo: this.info };
  }

  /** Decodes the image for a face detected earlier, without detecting again. */
  private async given(image: Uint8Array, face: DetectedFace, options: AnalyzeOptions): Promise<Detection> {
    await this.load();
    const t0 = performance.now();
    const decoded = await decodeImage(image, this.limits(options));
    const kept = options.withMesh ? face : { ...face, mesh: undefined };
    const timings = { decode: round(performance.now() - t0), total: round(performance.now() - t0) };
    return { decoded, result: { image: decoded.info, faces: [kept], timings } };
  }

  private limits(options?: AnalyzeOptions): LocalEngineSettings & { maxSide?: number } {
    return options?.maxSide ? { ...this.settings, maxSide: options.maxSide } : this.settings;
  }

  private async run(image: Uint8Array, options?: AnalyzeOptions): Promise<Detection> {
    await this.load();
    const t0 = performance.now();
    const decoded = await decodeImage(image, this.limits(options));
    const t1 = performance.now();
    const raw = await this.detector.detect(decoded.detect, decoded.detectScale);
    const t2 = performance.now();
    const limits: QualityLimits = {
      ...this.settings,
      minFaceSize: options?.minFaceSize ?? this.settings.minFaceSize,
    };
    const measured = raw.map((r) => {
      const m = measureFace(decoded.full, r);
      return {
        raw: r,
        m,
        faceSize: m.faceSize,
        center: [r.box.x + r.box.width / 2, r.box.y + r.box.height / 2] as const,
      };
    });
    const { ordered, multiple } = rankFaces(measured, decoded.full.width, decoded.full.height);
    const faces: DetectedFace[] = ordered.map((f, i) => {
      const quality = assessFace(f.m, limits);
      if (i === 0 && multiple) quality.issues.push(multiple);
      return {
        box: roundBox(f.raw.box),
        landmarks: f.raw.landmarks,
        score: Math.round(f.raw.score * 1000) / 1000,
        quality,
        ...(options?.withMesh && f.raw.mesh ? { mesh: f.raw.mesh } : {}),
      };
    });
    const t3 = performance.now();
    const result: DetectionResult = {
      image: decoded.info,
      faces,
      timings: {
        decode: round(t1 - t0),
        detect: round(t2 - t1),
        quality: round(t3 - t2),
        total: round(t3 - t0),
      },
    };
    return { decoded, result };
  }

  /** Releases the ONNX Runtime sessions and tfjs models. */
  async close(): Promise<void> {
    this.loading = undefined;
    await this.embedder.close();
    await this.detector.close();
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function roundBox(b: DetectedFace['box']): DetectedFace['box'] {
  return {
    x: Math.round(b.x * 10) / 10,
    y: Math.round(b.y * 10) / 10,
    width: Math.round(b.width * 10) / 10,
    height: Math.round(b.height * 10) / 10,
  };
}
