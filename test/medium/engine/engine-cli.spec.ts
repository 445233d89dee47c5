import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceCrop } from '../../fixtures/sample-faces.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-engine-cli-'));
  await writeFile(join(dir, 'face.jpg'), await faceCrop('s3-0'));
  await writeFile(join(dir, 'notes.txt'), 'not an image');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function facegate(...args: string[]): Promise<{ lines: Array<Record<string, unknown>>; code: number }> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: { ...process.env, FACEGATE_ENGINE_WORKERS: '0' },
      maxBuffer: 16 * 1024 * 1024,
    });
    return {
      lines: stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      code: 0,
    };
  } catch (error) {
    const e = error as { stdout: string; code: number };
    return {
      lines: e.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      code: e.code,
    };
  }
}

describe('facegate detect / embed', () => {
  it('detect prints one JSON line per image and codes for refused files', async () => {
    const { lines, code } = await facegate('detect', join(dir, 'face.jpg'), join(dir, 'notes.txt'));
    expect(code).toBe(2);
    expect(lines).toHaveLength(2);
    const faces = lines[0]!.faces as Array<{ landmarks: unknown[]; quality: { issues: unknown[] } }>;
    expect(faces.length).toBeGreaterThanOrEqual(1);
    expect(faces[0]!.landmarks).toHaveLength(5);
    expect(lines[1]).toMatchObject({ error: { code: 'IMAGE_UNREADABLE' } });
  });

  it('embed prints the model, dimension and a unit vector', async () => {
    const { lines, code } = await facegate(
      'embed',
      '--embedder',
      'fr_feature',
      '--no-flip',
      join(dir, 'face.jpg'),
    );
    expect(code).toBe(0);
    const out = lines[0]!;
    expect(out).toMatchObject({ model: 'mp-mesh+fr_feature', dimension: 512 });
    const v = out.embedding as number[];
    expect(v).toHaveLength(512);
    expect(Math.hypot(...v)).toBeCloseTo(1, 3);
  });
});
