import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliActor } from '../domain/access.js';
import { CalibrationService } from './calibration.service.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'facegate-calibration-'));
  await mkdir(join(dataDir, 'calibration'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const save = (name: string, text: string) => writeFile(join(dataDir, 'calibration', name), text);

describe('CalibrationService', () => {
  it('draws the ROC with the server chart when eval saved points but no roc.svg', async () => {
    await save(
      'last.json',
      JSON.stringify({
        format: 1,
        engine: { model: 'model-x' },
        presets: {
          strict: { threshold: 0.5, far: 1e-4, tar: 0.9 },
          lenient: { threshold: null, far: null, tar: null },
        },
        roc: [
          { far: 1e-3, tar: 0.95, threshold: 0.4 },
          { far: 1e-5, tar: 0.8, threshold: 0.6 },
          { far: 1, tar: 1, threshold: null },
          { far: 'x', tar: 1 },
        ],
      }),
    );
    const report = await new CalibrationService({ dataDir }).last(cliActor());
    expect(report.rocSvg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(report.rocSvg).toContain('ROC: model-x');
    expect(report.rocSvg).toContain('strict 0.5');
    expect(report.rocSvg).not.toContain('lenient');
    expect(report.rocSvg?.match(/<path /g)).toHaveLength(1);
  });

  it('prefers the roc.svg eval wrote, and has no chart without points', async () => {
    await save('last.json', JSON.stringify({ format: 1, roc: [{ far: 1e-3, tar: 0.9 }] }));
    const service = new CalibrationService({ dataDir });
    expect((await service.last(cliActor())).rocSvg).toBeNull();
    await save('roc.svg', '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
    expect((await service.last(cliActor())).rocSvg).toBe('<svg xmlns="http://www.w3.org/2000/svg"></svg>');
  });
});
