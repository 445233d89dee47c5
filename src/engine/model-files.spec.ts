import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFacegateError } from '../domain/errors.js';
import { MODEL_FILES, type ModelFile, modelFilePath, readModelFile, readModelFileAt } from './model-files.js';
import { installFileFetch } from './tfjs-runtime.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-model-files-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The code a promise rejects with, or `resolved`. */
async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isFacegateError(error) ? error.code : `uncoded: ${String(error)}`;
  }
}

/** A copy of the installed file in the temp folder, with the byte at `flip` inverted if given. */
async function copyOf(file: ModelFile, name: string, flip?: number): Promise<string> {
  const path = join(dir, name);
  await copyFile(modelFilePath(file), path);
  if (flip !== undefined) {
    const bytes = await readFile(path);
    bytes[flip] = (bytes[flip] ?? 0) ^ 0xff;
    await writeFile(path, bytes);
  }
  return path;
}

describe('model file sha256 check', () => {
  it('passes every shipped model file as installed', async () => {
    for (const file of Object.values(MODEL_FILES)) {
      const bytes = await readModelFile(file);
      expect(bytes.length, file.path).toBeGreaterThan(0);
    }
  });

  it('passes an unchanged copy and refuses a copy with one byte changed', async () => {
    const file = MODEL_FILES.frFeature;
    const same = await copyOf(file, 'same.onnx');
    expect((await readModelFile(file, same)).equals(await readFile(modelFilePath(file)))).toBe(true);
    const changed = await copyOf(file, 'changed.onnx', 1000);
    const error = await readModelFile(file, changed).catch((e: unknown) => e);
    expect(isFacegateError(error, 'MODEL_INTEGRITY')).toBe(true);
    expect(isFacegateError(error) && error.details).toMatchObject({ expected: file.sha256, path: changed });
    expect(isFacegateError(error) && error.status).toBe(500);
  });

  it('checks again when a verified file is rewritten', async () => {
    const file = MODEL_FILES.dlibManifest;
    const path = await copyOf(file, 'manifest.json');
    expect(await codeOf(readModelFile(file, path))).toBe('resolved');
    const bytes = await readFile(path);
    bytes[bytes.length - 1] = 0x20;
    await writeFile(path, bytes);
    expect(await codeOf(readModelFile(file, path))).toBe('MODEL_INTEGRITY');
  });

  it('refuses a path that is not a known model file', async () => {
    const other = await copyOf(MODEL_FILES.frFeature, 'other.onnx');
    expect(await codeOf(readModelFileAt(other))).toBe('MODEL_INTEGRITY');
    expect(await codeOf(readModelFileAt(modelFilePath(MODEL_FILES.faceMeshGraph)))).toBe('resolved');
  });

  it('serves file:// URLs to Human only for known, unchanged model files', async () => {
    installFileFetch();
    const known = await fetch(pathToFileURL(modelFilePath(MODEL_FILES.blazeFaceGraph)));
    expect(known.status).toBe(200);
    expect((await known.arrayBuffer()).byteLength).toBe(
      (await readModelFile(MODEL_FILES.blazeFaceGraph)).length,
    );
    const unknown = await copyOf(MODEL_FILES.blazeFaceGraph, 'blazeface.json');
    expect(await codeOf(fetch(pathToFileURL(unknown)))).toBe('MODEL_INTEGRITY');
  });
});
