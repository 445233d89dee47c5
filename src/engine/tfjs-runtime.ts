import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as tfc from '@tensorflow/tfjs-core';
import type { Config, Human } from '@vladmandic/human';
import { packageDir, readModelFileAt } from './model-files.js';
import { SerialQueue } from './serial-queue.js';

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
 * Loads face-api's node-wasm bundle by path. It requires the `@tensorflow/tfjs` umbrella, not only tfjs-core:
 * its code calls chained tensor methods (`t.as3D()`, `t.toFloat()` …), which only the umbrella registers.
 */
export function loadFaceApiModule(): FaceApi {
  faceApiModule ??= require(join(faceApiPackageDir(), 'dist', 'face-api.node-wasm.js')) as FaceApi;
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
