import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrops, type TransformKind, transform } from '../../fixtures/sample-faces.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const IDENTITIES = ['s1-0', 's3-0', 's5-3', 's6-0'];
const VARIANTS: (TransformKind | 'original')[] = ['original', 'flip', 'recompress'];
const LONER = 's4-0';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function facegate(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, FACEGATE_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lastJson = (stdout: string): Record<string, unknown> => {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
};

let dir: string;
let faces: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-eval-medium-'));
  faces = join(dir, 'faces');
  const crops = new Map((await faceCrops()).map((c) => [c.id, c.jpeg]));
  for (const id of IDENTITIES) {
    await mkdir(join(faces, id), { recursive: true });
    for (const [k, kind] of VARIANTS.entries()) {
      const jpeg = crops.get(id) as Buffer;
      await writeFile(
        join(faces, id, `${k}-${kind}.jpg`),
        kind === 'original' ? jpeg : await transform(jpeg, kind),
      );
    }
  }
  await mkdir(join(faces, LONER));
  await writeFile(join(faces, LONER, '0.jpg'), crops.get(LONER) as Buffer);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('facegate eval on transformed package photos', () => {
  it('prints one JSON object as its last line with sane figures, writes outputs and the calibration', async () => {
    const out = join(dir, 'out');
    const dataDir = join(dir, 'data');
    const cache = join(dir, 'cache.jsonl');
    const run = await facegate(
      [
        'eval',
        '--faces',
        faces,
        '--identify',
        '--out',
        out,
        '--cache',
        cache,
        '--save-calibration',
        '--workers',
        '1',
      ],
      { FACEGATE_DATA_DIR: dataDir },
    );
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.code).toBe(0);
    const r = lastJson(run.stdout);
    const images = IDENTITIES.length * VARIANTS.length + 1;
    expect(r.images).toBe(images);
    expect(r.detected).toBe(images);
    // every pair within an identity: 4 × C(3, 2); every cross-identity pair (fewer than 20× genuine exist)
    expect(r.genuine_pairs).toBe(IDENTITIES.length * 3);
    expect(r.impostor_pairs).toBe((images * (images - 1)) / 2 - IDENTITIES.length * 3);
    expect(r.pairs_source).toBe('generated');
    expect(r.lfw_accuracy).toBeNull();
    // a photo and its flipped/recompressed copies match; four different women do not
    expect(r['tar_at_far_1e-2']).toBe(1);
    expect(r.eer).toBe(0);
    expect(r['threshold_at_far_1e-4']).toEqual(expect.any(Number));
    expect(r.ms_per_image_median).toBeGreaterThan(0);
    expect(r.engine).toMatchObject({ engine: 'local', model: expect.stringContaining('mp-mesh') });
    expect(r.rank1).toBe(1);
    // the default model is calibrated, so the report measures FAR/TAR at its preset thresholds
    expect(r.presets).toMatchObject({ balanced: { threshold: expect.any(Number), target_far: 1e-4 } });
    expect(r.identify).toMatchObject({ gallery_identities: 4, mated_probes: 8, non_mated_probes: 1 });
    for (const f of ['report.json', 'scores.csv', 'roc.svg', 'identify.csv']) {
      expect((await readFile(join(out, f), 'utf8')).length).toBeGreaterThan(10);
    }
    expect(JSON.parse(await readFile(join(out, 'report.json'), 'utf8'))).toEqual(r);
    const calibration = JSON.parse(await readFile(join(dataDir, 'calibration', 'last.json'), 'utf8'));
    expect(calibration).toMatchObject({ format: 1, images, engine: r.engine });
    expect(await readFile(join(dataDir, 'calibration', 'roc.svg'), 'utf8')).toMatch(/^<svg/);

    // the cache answers a re-run without the engine embedding anything again: same figures, same timings
    const again = await facegate(['eval', '--faces', faces, '--cache', cache, '--workers', '1']);
    expect(again.code).toBe(0);
    const r2 = lastJson(again.stdout);
    expect(r2['tar_at_far_1e-4']).toBe(r['tar_at_far_1e-4']);
    expect(r2.ms_per_image_median).toBe(r.ms_per_image_median);
    expect(r2.identify).toBeUndefined();

    // a cache written by another model is refused
    const other = await facegate([
      'eval',
      '--faces',
      faces,
      '--cache',
      cache,
      '--embedder',
      'dlib',
      '--workers',
      '1',
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('MODEL_MISMATCH');
  });

  it('refuses a folder that does not exist', async () => {
    const run = await facegate(['eval', '--faces', join(dir, 'missing')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('VALIDATION_FAILED');
  });
});
