import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { createEngine } from '../app/local-engine.js';
import { type EmbedderChoice, loadConfig } from '../config/config.js';
import { isFacegateError } from '../domain/errors.js';
import type { FaceEngine } from '../engine/face-engine.port.js';

interface EngineFlags {
  embedder?: EmbedderChoice;
  flip?: boolean;
  minFaceSize?: string;
}

function engineFromFlags(flags: EngineFlags): FaceEngine {
  return createEngine(
    loadConfig(process.env, {
      engine: {
        workers: 0,
        ...(flags.embedder ? { embedder: flags.embedder } : {}),
        ...(flags.flip === false ? { flipAugment: false } : {}),
      },
    }),
  );
}

function errorJson(file: string, error: unknown): Record<string, unknown> {
  if (isFacegateError(error)) return { file, error: { code: error.code, message: error.message } };
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    return { file, error: { code: 'NOT_FOUND', message: 'No such file' } };
  }
  return {
    file,
    error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) },
  };
}

async function forEachImage(
  files: string[],
  flags: EngineFlags,
  run: (engine: FaceEngine, bytes: Uint8Array, file: string) => Promise<Record<string, unknown>>,
): Promise<void> {
  const engine = engineFromFlags(flags);
  let failed = false;
  try {
    await engine.load();
    for (const file of files) {
      let out: Record<string, unknown>;
      try {
        out = await run(engine, await readFile(file), file);
      } catch (error) {
        if (!isFacegateError(error) && (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        failed = true;
        out = errorJson(file, error);
      }
      process.stdout.write(`${JSON.stringify(out)}\n`);
    }
  } finally {
    await engine.close();
  }
  if (failed) process.exitCode = 2;
}

function addEngineOptions(cmd: Command): Command {
  return cmd
    .option(
      '--embedder <name>',
      'fr_feature | mobilefacenet | dlib | fusion (default from FACEGATE_EMBEDDER; members from FACEGATE_FUSION)',
    )
    .option('--no-flip', 'disable flip test-time augmentation')
    .option('--min-face-size <px>', 'minimum face size for the SMALL_FACE check');
}

/** Registers `facegate detect` and `facegate embed`: one JSON line per image on stdout. */
export function registerEngineCommands(program: Command): void {
  addEngineOptions(
    program
      .command('detect')
      .description(
        'Find every face in each image: box, 5 landmarks, score, quality (one JSON line per image)',
      )
      .argument('<image...>', 'image files (JPEG, PNG, WebP, GIF, AVIF)'),
  ).action(async (files: string[], flags: EngineFlags) => {
    const minFaceSize = flags.minFaceSize ? Number(flags.minFaceSize) : undefined;
    await forEachImage(files, flags, async (engine, bytes, file) => {
      const result = await engine.detect(bytes, minFaceSize ? { minFaceSize } : undefined);
      return { file, ...result };
    });
  });

  addEngineOptions(
    program
      .command('embed')
      .description('Embed the most prominent face of each image (one JSON line per image with the vector)')
      .argument('<image...>', 'image files (JPEG, PNG, WebP, GIF, AVIF)'),
  ).action(async (files: string[], flags: EngineFlags) => {
    const minFaceSize = flags.minFaceSize ? Number(flags.minFaceSize) : undefined;
    await forEachImage(files, flags, async (engine, bytes, file) => {
      const a = await engine.analyze(bytes, minFaceSize ? { minFaceSize } : undefined);
      return {
        file,
        model: a.engineInfo.model,
        version: a.engineInfo.version,
        dimension: a.embedding.length,
        face: { box: a.face.box, score: a.face.score, quality: a.face.quality },
        faces: a.faces.length,
        timings: a.timings,
        embedding: Array.from(a.embedding, (v) => Math.round(v * 1e6) / 1e6),
      };
    });
  });
}
