import type { Config, FaceResult, Human } from '@vladmandic/human';
import { FacegateError } from '../domain/errors.js';
import { at, required } from '../util/checked-access.js';
import type { Box, FiveLandmarks, MeshPoint, Point, Pose } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';
import { HUMAN_MODEL_FILES, readModelFile } from './model-files.js';
import {
  humanModelBaseUrl,
  installFileFetch,
  loadHumanModule,
  type Tfjs,
  tfjs,
  tfjsQueue,
  wasmDir,
} from './tfjs-runtime.js';

/** A face as the detector sees it, in pixels of the full-resolution image. */
export interface RawFace {
  box: Box;
  landmarks: FiveLandmarks;
  score: number;
  pose: Pose;
  /** The 468-point mesh in pixels of the full-resolution image. */
  mesh?: MeshPoint[];
}

/** What the local engine needs from a face detector (Human on tfjs-wasm, or MediaPipe's models on ONNX Runtime). */
export interface FaceDetector {
  /** Loads the models once; concurrent callers share the same promise. */
  load(): Promise<void>;
  /** Every face in `image` (maybe downscaled); coordinates are multiplied by `scale` to the full-resolution image. */
  detect(image: RgbImage, scale?: number): Promise<RawFace[]>;
  /** Releases the models. */
  close(): Promise<void>;
}

/**
 * Mesh indices averaged into the five ArcFace landmarks (subject's right eye first = image-left when upright).
 * Human truncates mesh coordinates to whole input pixels; enlarging small images 4× before detection (sub-pixel
 * landmarks) and eye centres from the whole eye contour were measured on ../shared/faces and did not help (docs/benchmarks.md "Accuracy").
 */
export const FIVE_POINT_MESH: ReadonlyArray<readonly number[]> = [[33, 133], [362, 263], [1], [61], [291]];

const DEG = 180 / Math.PI;

function humanConfig(maxFaces: number): Partial<Config> {
  return {
    debug: false,
    backend: 'wasm',
    wasmPath: wasmDir(),
    modelBasePath: humanModelBaseUrl(),
    // Still images are unrelated to each other: never reuse results between calls.
    cacheSensitivity: 0,
    skipAllowed: false,
    warmup: 'none',
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: { enabled: true, rotation: true, maxDetected: maxFaces, minConfidence: 0.2, return: false },
      mesh: { enabled: true },
      attention: { enabled: false },
      iris: { enabled: false },
      description: { enabled: false },
      emotion: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
      gear: { enabled: false },
    },
    body: { enabled: false },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  } as Partial<Config>;
}

/**
 * Face detector + 468-point mesh of `@vladmandic/human` (BlazeFace + FaceMesh, MediaPipe models) on the
 * tfjs WASM backend, with models read from the installed package. Calls are serialised: Human keeps
 * per-instance state and the WASM backend is single-threaded anyway.
 */
export class HumanFaceDetector implements FaceDetector {
  private loading: Promise<void> | undefined;
  private human: Human | undefined;

  constructor(private readonly maxFaces = 20) {}

  /** Loads Human and its models once; concurrent callers share the same promise. */
  load(): Promise<void> {
    this.loading ??= (async () => {
      installFileFetch();
      // Human logs a model that failed to load and carries on without it, so the hashes are checked here first.
      for (const file of HUMAN_MODEL_FILES) await readModelFile(file);
      const { Human } = loadHumanModule();
      const human = new Human(humanConfig(this.maxFaces));
      await human.load();
      await human.tf.ready();
      const loaded = human.models.loaded();
      if (!loaded.includes('blazeface') || !loaded.includes('facemesh')) {
        throw new FacegateError('MODEL_INTEGRITY', 'Human did not load its face models', { loaded });
      }
      this.human = human;
    })().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  /** The tfjs instance Human runs on (for other models sharing the backend). */
  get tf(): Tfjs {
    return tfjs();
  }

  /**
   * Detects every face in `image` (which may be a downscaled copy); coordinates are multiplied by `scale`
   * to map them back to the full-resolution image.
   */
  async detect(image: RgbImage, scale = 1): Promise<RawFace[]> {
    await this.load();
    return tfjsQueue.run(async () => {
      const human = required(this.human, 'Human instance');
      const tf = human.tf as Tfjs;
      const input = tf.tensor4d(image.data, [1, image.height, image.width, 3], 'int32');
      try {
        // Human's typings bundle their own copy of the tfjs Tensor class; at run time it is the same one.
        const result = await human.detect(input as never);
        return result.face.flatMap((face) => {
          const raw = toRawFace(face, scale);
          return raw ? [raw] : [];
        });
      } finally {
        tf.dispose(input);
      }
    });
  }

  /** Releases the tfjs models. */
  async close(): Promise<void> {
    this.human?.reset();
    this.human = undefined;
    this.loading = undefined;
  }
}

function toRawFace(face: FaceResult, scale: number): RawFace | undefined {
  const mesh = face.mesh;
  if (!mesh || mesh.length < 468) return undefined;
  const points = fiveLandmarks(mesh, scale);
  const [bx, by, bw, bh] = face.box;
  const angle = face.rotation?.angle;
  return {
    box: { x: bx * scale, y: by * scale, width: bw * scale, height: bh * scale },
    landmarks: points,
    score: face.score,
    mesh: mesh.map((p) => [p[0] * scale, p[1] * scale, (p[2] ?? 0) * scale] as const),
    // Roll comes from the eye line, the same geometry alignment undoes; yaw and pitch from the mesh.
    pose: angle
      ? { yaw: angle.yaw * DEG, pitch: angle.pitch * DEG, roll: estimatePose(points).roll }
      : estimatePose(points),
  };
}

/** The five ArcFace landmarks from a 468-point mesh ({@link FIVE_POINT_MESH}), times `scale`. */
export function fiveLandmarks(
  mesh: ReadonlyArray<{ readonly 0: number; readonly 1: number }>,
  scale = 1,
): FiveLandmarks {
  return FIVE_POINT_MESH.map((idx) => {
    let x = 0;
    let y = 0;
    for (const i of idx) {
      const p = at(mesh, i);
      x += p[0];
      y += p[1];
    }
    return [(x / idx.length) * scale, (y / idx.length) * scale] as Point;
  }) as unknown as FiveLandmarks;
}

/** Rough head pose from five landmarks (fallback when the mesh gives no rotation). */
export function estimatePose(points: FiveLandmarks): Pose {
  const [le, re, nose, lm, rm] = points;
  const eyeMid: Point = [(le[0] + re[0]) / 2, (le[1] + re[1]) / 2];
  const mouthMid: Point = [(lm[0] + rm[0]) / 2, (lm[1] + rm[1]) / 2];
  const roll = Math.atan2(re[1] - le[1], re[0] - le[0]) * DEG;
  const iod = Math.hypot(re[0] - le[0], re[1] - le[1]) || 1;
  // Project the nose onto the eye axis and onto the eye-to-mouth axis, as fractions of the face.
  const ux = (re[0] - le[0]) / iod;
  const uy = (re[1] - le[1]) / iod;
  const dx = nose[0] - eyeMid[0];
  const dy = nose[1] - eyeMid[1];
  const across = (dx * ux + dy * uy) / iod;
  const faceLen = Math.hypot(mouthMid[0] - eyeMid[0], mouthMid[1] - eyeMid[1]) || 1;
  const down = (-dx * uy + dy * ux) / faceLen;
  const yaw = Math.asin(Math.max(-1, Math.min(1, across * 2))) * DEG;
  // A frontal nose tip sits about 55 % of the way from the eyes to the mouth.
  const pitch = Math.asin(Math.max(-1, Math.min(1, (0.55 - down) * 2))) * DEG;
  return { yaw, pitch, roll };
}
