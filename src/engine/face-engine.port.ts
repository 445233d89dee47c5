/** Axis-aligned box in pixels of the decoded, EXIF-oriented image. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** [x, y] in pixels of the decoded, EXIF-oriented image. */
export type Point = readonly [number, number];

/**
 * Five landmarks in ArcFace order, as seen in the image:
 * image-left eye, image-right eye, nose tip, image-left mouth corner, image-right mouth corner.
 */
export type FiveLandmarks = readonly [Point, Point, Point, Point, Point];

/**
 * One point of the 468-point face mesh: x, y in pixels of the decoded, EXIF-oriented image, z the model's
 * relative depth on the same scale (smaller = nearer the camera).
 */
export type MeshPoint = readonly [number, number, number];

/** Head pose estimate in degrees. */
export interface Pose {
  yaw: number;
  pitch: number;
  roll: number;
}

/** Quality reason codes, modelled on Rekognition's. */
export type QualityCode =
  | 'SMALL_FACE'
  | 'EXTREME_POSE'
  | 'LOW_SHARPNESS'
  | 'LOW_BRIGHTNESS'
  | 'OVEREXPOSED'
  | 'MULTIPLE_FACES'
  | 'FACE_CUT_OFF';

/** One failed quality check, with what was measured and the limit it broke. */
export interface QualityIssue {
  code: QualityCode;
  value: number;
  threshold: number;
  message: string;
}

/** Measured quality figures of one face. */
export interface FaceQuality {
  /** Inter-ocular-based face width in pixels of the original image. */
  faceSize: number;
  sharpness: number;
  brightness: number;
  pose: Pose;
  issues: QualityIssue[];
}

/** A face found in an image. */
export interface DetectedFace {
  box: Box;
  landmarks: FiveLandmarks;
  /** Detector confidence 0..1. */
  score: number;
  quality: FaceQuality;
  /** The 468-point face mesh (MediaPipe FaceMesh indices), only when asked for with `withMesh`. */
  mesh?: readonly MeshPoint[];
}

/** What the engine read from the image header and pixels. */
export interface ImageInfo {
  format: string;
  width: number;
  height: number;
  /** EXIF orientation that was applied (1 = none). */
  orientation: number;
}

/** Identifies the model that produced an embedding; a change means re-enrollment. */
export interface EngineInfo {
  /** e.g. `local`, `rekognition`. */
  engine: string;
  /** e.g. `human-mesh+fr_feature`; stored with every template. */
  model: string;
  /** Bumped when preprocessing or weights change in a way that changes vectors. */
  version: string;
  dimension: number;
}

/** Milliseconds spent per pipeline stage. */
export type StageTimings = Partial<
  Record<'decode' | 'detect' | 'quality' | 'align' | 'embed' | 'antispoof' | 'total', number>
>;

/** Result of detection only (no embedding). */
export interface DetectionResult {
  image: ImageInfo;
  /** Every face, most prominent (largest, then most central) first. */
  faces: DetectedFace[];
  timings: StageTimings;
}

/** Result of analysing the most prominent face of an image. */
export interface FaceAnalysis extends DetectionResult {
  /** The most prominent face (faces[0]), with `MULTIPLE_FACES` in its issues when others compete. */
  face: DetectedFace;
  /** L2-normalised embedding of `face`. */
  embedding: Float32Array;
  /** Passive anti-spoof score 0..1 (1 = live), when the engine has such a model; advisory only. */
  liveness?: number;
  engineInfo: EngineInfo;
}

/** Options for a single call. */
export interface AnalyzeOptions {
  /** Override the configured minimum face size in pixels. */
  minFaceSize?: number;
  /** Also return each face's 468-point mesh (liveness checks need it; off by default to keep replies small). */
  withMesh?: boolean;
  /**
   * Scale the image down first so that its longest side is at most this many pixels: every coordinate returned
   * is then in the scaled image (liveness frames: their checks are relative, and a smaller image costs less).
   */
  maxSide?: number;
  /**
   * `analyze` only: a face found by an earlier `detect` of the same image with the same `maxSide`. It is aligned
   * and embedded as it is, without detecting again (the liveness check embeds frames it has already detected).
   */
  face?: DetectedFace;
}

/**
 * The face engine port: decode, detect, align, quality, embed.
 * Implementations must be safe to call concurrently and must never block the event loop for long.
 */
export interface FaceEngine {
  readonly info: EngineInfo;
  /** Loads models once (lazy, locked) and warms up; later calls return the same promise. */
  load(): Promise<void>;
  /** Finds every face with landmarks and quality. Throws FacegateError for unreadable/oversized images. */
  detect(image: Uint8Array, options?: AnalyzeOptions): Promise<DetectionResult>;
  /**
   * Detects, picks the most prominent face, aligns and embeds it.
   * Throws FacegateError `NO_FACE` when there is none; quality issues are reported, not thrown.
   */
  analyze(image: Uint8Array, options?: AnalyzeOptions): Promise<FaceAnalysis>;
  /** Releases workers and sessions. */
  close(): Promise<void>;
}
