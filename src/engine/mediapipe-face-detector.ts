import { createHash } from 'node:crypto';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { FacegateError } from '../domain/errors.js';
import { at, required } from '../util/checked-access.js';
import {
  type BlazeDetection,
  type BlazeFaceVariant,
  blazeFaceAnchors,
  decodeBlazeFace,
  FULL_RANGE,
  SHORT_RANGE,
  weightedNms,
} from './blazeface-decoder.js';
import { estimatePose, type FaceDetector, fiveLandmarks, type RawFace } from './face-detector.js';
import type { MeshPoint } from './face-engine.port.js';
import {
  detectionRoi,
  MESH_INPUT,
  meshRoi,
  meshYawPitch,
  projectMesh,
  type Roi,
  roiToImage,
  sampleRoi,
} from './face-mesh-geometry.js';
import type { RgbImage } from './image-decoder.js';
import { FACE_LANDMARK_SLICE, MODEL_FILES, readModelFile } from './model-files.js';
import { onnxOutputName, tfliteToOnnx } from './tflite/tflite-to-onnx.js';

/** Options of {@link MediaPipeFaceDetector}. */
export interface MediaPipeDetectorOptions {
  /** ONNX Runtime intra-op threads (≥ 1), as for the embedders. */
  intraOpThreads: number;
  maxFaces?: number;
  /** BlazeFace model: `short` (default; 128², faces near the camera) or `full` (192², down to small faces). */
  range?: 'short' | 'full';
  /** Minimum BlazeFace score (default MediaPipe's: 0.5 short range, 0.6 full range). */
  minDetectionScore?: number;
  /** Minimum face-presence score of the mesh model (Human: 0.2). */
  minMeshScore?: number;
  /**
   * Mesh passes per face: 1 (default) crops from the detection only; 2 runs the mesh again on the crop its first
   * mesh gives, as MediaPipe does from the second video frame on (one more mesh run and crop per face).
   */
  meshPasses?: 1 | 2;
}

interface Sessions {
  ort: typeof import('onnxruntime-node');
  detector: InferenceSession;
  mesh: InferenceSession;
}

/** The face-landmark model sliced out of MediaPipe's packed assets, with the slice's sha256 checked. */
async function faceLandmarkTflite(): Promise<Uint8Array> {
  const packed = await readModelFile(MODEL_FILES.faceMeshPackedAssets);
  const slice = new Uint8Array(packed.subarray(FACE_LANDMARK_SLICE.start, FACE_LANDMARK_SLICE.end));
  const actual = createHash('sha256').update(slice).digest('hex');
  if (actual !== FACE_LANDMARK_SLICE.sha256) {
    throw new FacegateError('MODEL_INTEGRITY', 'face_landmark.tflite slice has an unexpected sha256', {
      expected: FACE_LANDMARK_SLICE.sha256,
      actual,
    });
  }
  return slice;
}

/**
 * MediaPipe's short-range BlazeFace (128×128) and 468-point FaceMesh, converted from TFLite to ONNX at load and
 * run in ONNX Runtime: letterboxed detection → weighted NMS → per face a rotated 1.5× crop (eye line level) →
 * mesh, all faces of an image in one batch. Outputs what Human's detector outputs (box, score, five landmarks from
 * the same mesh indices, pose, mesh).
 */
export class MediaPipeFaceDetector implements FaceDetector {
  private loading: Promise<Sessions> | undefined;
  private readonly variant: BlazeFaceVariant;
  private readonly anchors: Float32Array;

  constructor(private readonly options: MediaPipeDetectorOptions) {
    this.variant = options.range === 'full' ? FULL_RANGE : SHORT_RANGE;
    this.anchors = blazeFaceAnchors(this.variant);
  }

  async load(): Promise<void> {
    await this.sessions();
  }

  private sessions(): Promise<Sessions> {
    this.loading ??= (async () => {
      const ort = await import('onnxruntime-node');
      const options: InferenceSession.SessionOptions = {
        intraOpNumThreads: this.options.intraOpThreads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      };
      const detectorGraph = tfliteToOnnx(
        new Uint8Array(
          await readModelFile(
            this.variant === SHORT_RANGE ? MODEL_FILES.blazeFaceShortRange : MODEL_FILES.blazeFaceFullRange,
          ),
        ),
      );
      const meshGraph = tfliteToOnnx(await faceLandmarkTflite());
      const detector = await ort.InferenceSession.create(detectorGraph, options);
      const mesh = await ort.InferenceSession.create(meshGraph, options);
      return { ort, detector, mesh };
    })().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  async detect(image: RgbImage, scale = 1): Promise<RawFace[]> {
    const s = await this.sessions();
    const detections = await this.detectBoxes(s, image);
    if (detections.length === 0) return [];
    const minMesh = this.options.minMeshScore ?? 0.2;
    let meshes = (await this.runMesh(s, image, detections.map(toPixelsRoi))).filter(
      (m) => m.score >= minMesh,
    );
    if (this.options.meshPasses === 2 && meshes.length > 0) {
      const again = await this.runMesh(
        s,
        image,
        meshes.map((m) => meshRoi(m.mesh)),
      );
      // The first pass decided that there is a face; the second only places the points better.
      meshes = again.map((m, k) => ({ mesh: m.mesh, score: at(meshes, k).score }));
    }
    return meshes.map((m) => toRawFace(m.mesh, m.score, scale));
  }

  /** The mesh (image pixels) and face-presence score for each crop, all crops in one batch. */
  private async runMesh(
    s: Sessions,
    image: RgbImage,
    rois: Roi[],
  ): Promise<Array<{ mesh: MeshPoint[]; score: number }>> {
    const plane = 3 * MESH_INPUT * MESH_INPUT;
    const batch = new Float32Array(rois.length * plane);
    for (const [k, roi] of rois.entries()) sampleRoi(image, roi, MESH_INPUT, batch, k * plane, 1 / 255, 0);
    const input = new s.ort.Tensor('float32', batch, [rois.length, 3, MESH_INPUT, MESH_INPUT]);
    const out = await s.mesh.run({ input });
    const landmarks = (out[onnxOutputName(0)] as Tensor).data as Float32Array;
    const flags = (out[onnxOutputName(1)] as Tensor).data as Float32Array;
    return rois.map((roi, k) => ({
      mesh: projectMesh(landmarks.subarray(k * 1404, (k + 1) * 1404), roi),
      score: 1 / (1 + Math.exp(-at(flags, k))),
    }));
  }

  private async detectBoxes(s: Sessions, image: RgbImage): Promise<Array<{ det: BlazeDetection; roi: Roi }>> {
    // Letterbox: the whole image centred in a square, as MediaPipe's keep_aspect_ratio with a black border.
    const roi: Roi = {
      cx: image.width / 2,
      cy: image.height / 2,
      size: Math.max(image.width, image.height),
      angle: 0,
    };
    const side = this.variant.input;
    const data = new Float32Array(3 * side * side);
    sampleRoi(image, roi, side, data, 0, 2 / 255, -1);
    const input = new s.ort.Tensor('float32', data, [1, 3, side, side]);
    const out = await s.detector.run({ input });
    const regressors = (out[onnxOutputName(0)] as Tensor).data as Float32Array;
    const scores = (out[onnxOutputName(1)] as Tensor).data as Float32Array;
    const minScore = this.options.minDetectionScore ?? this.variant.minScore;
    const decoded = decodeBlazeFace(regressors, scores, this.anchors, minScore, side);
    return weightedNms(decoded, 0.3, this.options.maxFaces ?? 20).map((det) => ({ det, roi }));
  }

  async close(): Promise<void> {
    const s = await this.loading?.catch(() => undefined);
    this.loading = undefined;
    await s?.detector.release();
    await s?.mesh.release();
  }
}

/** The mesh crop of a detection made on the letterboxed image. */
function toPixelsRoi({ det, roi }: { det: BlazeDetection; roi: Roi }): Roi {
  const [x0, y0] = roiToImage(roi, det.xMin, det.yMin);
  const [x1, y1] = roiToImage(roi, det.xMax, det.yMax);
  const [re, le] = [at(det.keypoints, 0), at(det.keypoints, 1)].map((k) => roiToImage(roi, k[0], k[1]));
  return detectionRoi(
    { xMin: x0, yMin: y0, xMax: x1, yMax: y1 },
    required(re, 'right eye'),
    required(le, 'left eye'),
  );
}

const HUMAN_BOX_SCALE = 1.4;

function toRawFace(mesh: MeshPoint[], score: number, scale: number): RawFace {
  const scaled = mesh.map((p) => [p[0] * scale, p[1] * scale, p[2] * scale] as const);
  let [xMin, yMin, xMax, yMax] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of scaled) {
    xMin = Math.min(xMin, p[0]);
    yMin = Math.min(yMin, p[1]);
    xMax = Math.max(xMax, p[0]);
    yMax = Math.max(yMax, p[1]);
  }
  // Human's box: centred on the mesh, square, 1.4 × the face (its detector box enlarged by 1.4).
  const side = Math.max(xMax - xMin, yMax - yMin) * HUMAN_BOX_SCALE;
  const [cx, cy] = [(xMin + xMax) / 2, (yMin + yMax) / 2];
  const landmarks = fiveLandmarks(scaled);
  // Roll from the eye line as for Human's faces (what alignment undoes); yaw and pitch from the mesh.
  const pose = { ...meshYawPitch(scaled), roll: estimatePose(landmarks).roll };
  return {
    box: { x: cx - side / 2, y: cy - side / 2, width: side, height: side },
    landmarks,
    score,
    pose,
    mesh: scaled,
  };
}
