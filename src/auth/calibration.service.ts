import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Actor } from '../domain/access.js';
import { FacegateError } from '../domain/errors.js';
import { GuardedService, type ServiceRuntime } from '../services/service-context.js';

/** The last calibration written by `facegate eval --save-calibration`, if any. */
export interface CalibrationReport {
  available: boolean;
  /** The calibration JSON as written by eval (thresholds per preset, FAR/FRR, ROC points...). */
  calibration: Record<string, unknown> | null;
  /** ROC/DET curve as an SVG document, when eval wrote one. */
  rocSvg: string | null;
}

/** Reads `<dataDir>/calibration/last.json` (and `roc.svg` beside it, or an `rocSvg` field inside it). */
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
    const svg = inline ?? (await readOptional(join(dir, 'roc.svg'))) ?? null;
    return { available: true, calibration: rest, rocSvg: svg };
  }
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
