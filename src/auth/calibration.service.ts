import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import { type RocMarker, renderRocSvg } from '../eval/roc-svg.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';

/** The last calibration written by `facegate eval --save-calibration`, if any. */
export interface CalibrationReport {
  available: boolean;
  /** The calibration JSON as written by eval (thresholds per preset, FAR/FRR, ROC points...). */
  calibration: Record<string, unknown> | null;
  /**
   * The ROC curve as an SVG document: the one eval wrote, else drawn from the calibration's ROC points (the admin
   * page shows this chart and draws none of its own). Null when the calibration holds no curve.
   */
  rocSvg: string | null;
}

/**
 * Reads `<dataDir>/calibration/last.json` (and `roc.svg` beside it, or an `rocSvg` field inside it; without either,
 * the chart is drawn from its `roc` points).
 */
export class CalibrationService extends GuardedService {
  private readonly dataDir: string;

  constructor(deps: ServiceRuntime & { dataDir: string }) {
    super(deps);
    this.dataDir = deps.dataDir;
  }

  /** The last calibration for admins and auditors; `available: false` when eval never saved one. */
  async last(actor: Actor): Promise<CalibrationReport> {
    await this.policy.authorize(actor, 'calibration:read');
    const dir = join(this.dataDir, 'calibration');
    const json = await readOptional(join(dir, 'last.json'));
    if (json === undefined) return { available: false, calibration: null, rocSvg: null };
    let calibration: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(json);
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      calibration = parsed as Record<string, unknown>;
    } catch (error) {
      throw new FacegateError('INTERNAL', 'The saved calibration file is not valid JSON', undefined, {
        cause: error,
      });
    }
    const inline = typeof calibration.rocSvg === 'string' ? calibration.rocSvg : undefined;
    const { rocSvg: _dropped, ...rest } = calibration;
    const svg = inline ?? (await readOptional(join(dir, 'roc.svg'))) ?? drawRoc(rest);
    return { available: true, calibration: rest, rocSvg: svg };
  }
}

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const field = (o: unknown, key: string): unknown =>
  o && typeof o === 'object' ? (o as Record<string, unknown>)[key] : undefined;

/** Draws the ROC of a calibration file (`roc: [{far, tar, threshold}]`, `presets: {name: {far, tar, threshold}}`). */
function drawRoc(calibration: Record<string, unknown>): string | null {
  const roc = Array.isArray(calibration.roc) ? calibration.roc : [];
  const points = roc.flatMap((p: unknown) => {
    const [far, tar, threshold] = [field(p, 'far'), field(p, 'tar'), field(p, 'threshold')];
    return isNumber(far) && isNumber(tar)
      ? [{ far, tar, threshold: isNumber(threshold) ? threshold : Number.NaN }]
      : [];
  });
  if (points.length < 2) return null;
  points.sort((a, b) => a.far - b.far);
  const presets = calibration.presets && typeof calibration.presets === 'object' ? calibration.presets : {};
  const markers: RocMarker[] = Object.entries(presets).flatMap(([name, p]: [string, unknown]) => {
    const [far, tar, threshold] = [field(p, 'far'), field(p, 'tar'), field(p, 'threshold')];
    if (!isNumber(far) || !isNumber(tar)) return [];
    return [{ far: Math.max(far, 1e-5), tar, label: isNumber(threshold) ? `${name} ${threshold}` : name }];
  });
  const model = field(calibration.engine, 'model');
  const title = typeof model === 'string' ? `ROC: ${model}` : 'ROC of the last calibration';
  return renderRocSvg([{ label: 'measured', points }], { title, markers });
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
