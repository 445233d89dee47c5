import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileFunction } from 'node:vm';
import type * as tfc from '@tensorflow/tfjs-core';
import type { Config, Human } from '@vladmandic/human';
import { SerialQueue } from '../util/serial-queue.js';
import { packageDir, readModelFileAt } from './model-files.js';

const require = createRequire(import.meta.url);

/** The tfjs-core namespace (Human, face-api and we share the one instance in node_modules). */
export type Tfjs = typeof tfc;

/** Folder of the tfjs-backend-wasm `.wasm` binaries, so no CDN is ever used. */
export function wasmDir(): string {
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

/** Root folder of the installed `@vladmandic/human` package (its `exports` map hides package.json). */
export function humanPackageDir(): string {
  return packageDir('@vladmandic/human');
}

/** Root folder of the installed `@vladmandic/face-api` package. */
export function faceApiPackageDir(): string {
  return packageDir('@vladmandic/face-api');
}

let fetchPatched = false;

/**
 * Human loads its weights through `fetch`, which in Node cannot read `file://` URLs. This wraps
 * `globalThis.fetch` once so `file://` URLs are served from disk, and only for the model files of
 * `model-files.ts`, each checked against its sha256 (the request is rejected with `MODEL_INTEGRITY` otherwise);
 * all other URLs pass through.
 */
export function installFileFetch(): void {
  if (fetchPatched) return;
  fetchPatched = true;
  const original = globalThis.fetch;
  globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith('file://'))
      return new Response(await readModelFileAt(fileURLToPath(url)), { status: 200 });
    return original(input, init);
  };
}

interface HumanModule {
  Human: new (config?: Partial<Config>) => Human;
}

let humanModule: HumanModule | undefined;

/** Loads Human's node-wasm bundle by path: its package `exports` map is broken for Node. */
export function loadHumanModule(): HumanModule {
  humanModule ??= require(join(humanPackageDir(), 'dist', 'human.node-wasm.js')) as HumanModule;
  return humanModule;
}

type FaceApi = typeof import('@vladmandic/face-api');

let faceApiModule: FaceApi | undefined;

/**
 * The chained tensor methods face-api's descriptor path calls (traced on face-api 1.7.15; `cast` is tfjs-core's
 * own), with the bodies of tfjs's chained ops. tfjs-core leaves chained methods to the `@tensorflow/tfjs`
 * umbrella, which with its layers, data, WebGL and core-js dependencies adds 212 MB, so facegate does not install
 * it. A method face-api calls that is missing here fails loudly (`… is not a function`), never with other numbers.
 */
function addFaceApiTensorMethods(tf: Tfjs): void {
  const methods = {
    as3D(this: tfc.Tensor, rows: number, columns: number, depth: number) {
      this.throwIfDisposed();
      return tf.reshape(this, [rows, columns, depth]);
    },
    as4D(this: tfc.Tensor, rows: number, columns: number, depth: number, depth2: number) {
      this.throwIfDisposed();
      return tf.reshape(this, [rows, columns, depth, depth2]);
    },
    div(this: tfc.Tensor, b: tfc.Tensor | tfc.TensorLike) {
      this.throwIfDisposed();
      return tf.div(this, b);
    },
    mean(this: tfc.Tensor, axis?: number | number[], keepDims?: boolean) {
      this.throwIfDisposed();
      return tf.mean(this, axis, keepDims);
    },
  };
  const prototype = tf.Tensor.prototype as unknown as Record<string, unknown>;
  for (const [name, method] of Object.entries(methods)) prototype[name] ??= method;
}

/**
 * Loads face-api's node-wasm bundle with its `require("@tensorflow/tfjs")` answered by the shared tfjs-core
 * (plus the few chained tensor methods it calls, above); every other id resolves as usual from the bundle's
 * folder. Apart from those methods the bundle uses only tfjs-core's API (ops, `io`, `image`, `browser`).
 */
export function loadFaceApiModule(): FaceApi {
  if (faceApiModule) return faceApiModule;
  const tf = tfjs();
  addFaceApiTensorMethods(tf);
  const file = join(faceApiPackageDir(), 'dist', 'face-api.node-wasm.js');
  const requireFromBundle = createRequire(file);
  const requireMapped = (id: string): unknown => (id === '@tensorflow/tfjs' ? tf : requireFromBundle(id));
  const params = ['exports', 'require', 'module', '__filename', '__dirname'];
  const wrapper = compileFunction(readFileSync(file, 'utf8'), params, { filename: file });
  const module = { exports: {} };
  wrapper.call(module.exports, module.exports, requireMapped, module, file, dirname(file));
  faceApiModule = module.exports as FaceApi;
  return faceApiModule;
}

/** `file://` URL (with trailing slash) of Human's bundled model folder. */
export function humanModelBaseUrl(): string {
  return `${pathToFileURL(join(humanPackageDir(), 'models')).href}/`;
}

/** The shared tfjs-core instance. */
export function tfjs(): Tfjs {
  return require('@tensorflow/tfjs-core') as Tfjs;
}

/** One queue for every model on the single-threaded tfjs WASM backend, so their calls never interleave. */
export const tfjsQueue = new SerialQueue();
