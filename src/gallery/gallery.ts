import type { ThresholdPreset } from '../config/config.js';
import { FacegateError } from '../domain/errors.js';
import type { Employee, FaceTemplate } from '../domain/models.js';
import type { EngineInfo } from '../engine/face-engine.port.js';
import type { Store } from '../store/store.port.js';
import { at } from '../util/checked-access.js';
import { ExactIndex } from './exact-index.js';
import { PqIndex } from './pq-index.js';
import { thresholdFor } from './threshold-presets.js';
import type { SearchReport, VectorIndex } from './vector-index.port.js';

/** The engine identity every gallery vector must come from. */
export type GalleryEngine = Pick<EngineInfo, 'model' | 'version' | 'dimension'>;

/** Threshold (cosine) and minimum gap between the best and second-best employee. */
export interface MatchOptions {
  threshold: number;
  margin: number;
}

/** One employee's best template for a probe. */
export interface GalleryCandidate {
  employeeId: string;
  templateId: string;
  score: number;
}

/** Why identification did not match. */
export type NoMatchReason = 'EMPTY_GALLERY' | 'BELOW_THRESHOLD' | 'AMBIGUOUS';

/** Result of 1:N identification; `best`/`secondBest` only ever name eligible employees. */
export interface IdentifyResult {
  decision: 'match' | 'no_match';
  reason: NoMatchReason | null;
  best: GalleryCandidate | null;
  secondBest: GalleryCandidate | null;
  /** The matched employee (null unless `decision` is `match`). */
  employeeId: string | null;
  score: number | null;
  secondScore: number | null;
  threshold: number;
  margin: number;
}

/** Result of 1:1 verification. */
export interface VerifyResult {
  decision: 'match' | 'no_match';
  /** Best score over the employee's templates; null when it has none. */
  score: number | null;
  threshold: number;
}

/** Figures of a load from the store. */
export interface GalleryLoadStats {
  templates: number;
  /** Employees with at least one loaded template. */
  employees: number;
  /** Templates skipped because another model (or model version) produced them: re-enroll those employees. */
  stale: number;
  ms: number;
}

/** Options of {@link Gallery}. */
export interface GalleryOptions {
  /**
   * The vector index; default a {@link PqIndex}: exact float32 below 50 000 templates; above, a quantised scan and a
   * re-rank on 10-bit vectors, whose scores (also `verify`'s) are within 5 × 10⁻⁴ of the float32 cosine.
   */
  index?: VectorIndex;
  /** `false` forces exact search at every size. */
  approximate?: boolean;
  /** Defaults for `identify` when no options are passed; without them nothing matches. */
  match?: MatchOptions;
}

/** A template as the gallery takes it: the model fields are checked when given. */
export interface GalleryTemplate {
  id: string;
  embedding: Float32Array;
  model?: string;
  modelVersion?: string;
}

const NEVER: MatchOptions = { threshold: Number.POSITIVE_INFINITY, margin: 0 };

/**
 * The in-memory gallery: every template's embedding (decrypted from the store at start-up) in a vector index, plus
 * which employees may be matched by 1:N identification (active and not face-login-locked; unknown employees are
 * not eligible until told). `verify` and `findDuplicate` consider every enrolled employee.
 */
export class Gallery {
  readonly index: VectorIndex;
  private readonly eligibility = new Map<string, boolean>();
  private readonly defaults: MatchOptions;
  private loading: Promise<GalleryLoadStats> | null = null;
  private removedDuringLoad: Set<string> | null = null;
  private stale = 0;

  constructor(
    readonly engine: GalleryEngine,
    private readonly store?: Store,
    options: GalleryOptions = {},
  ) {
    this.index =
      options.index ??
      (options.approximate === false ? new ExactIndex(engine.dimension) : new PqIndex(engine.dimension));
    if (this.index.dimension !== engine.dimension) {
      throw new FacegateError('CONFIG_INVALID', 'Gallery index dimension differs from the engine dimension');
    }
    this.defaults = options.match ?? NEVER;
  }

  /** Match options of a calibrated preset for this gallery's model. */
  matchOptions(preset: ThresholdPreset, margin: number): MatchOptions {
    return { threshold: thresholdFor(this.engine.model, preset), margin };
  }

  /** Templates skipped or refused because another model produced them. */
  get staleCount(): number {
    return this.stale;
  }

  /**
   * Loads employees and every template from the store (once; later calls return the same promise). Templates of
   * another model/version are counted as stale and left out. Changes made while loading are kept.
   */
  load(): Promise<GalleryLoadStats> {
    this.loading ??= this.loadFromStore().catch((error: unknown) => {
      this.loading = null;
      throw error;
    });
    return this.loading;
  }

  private async loadFromStore(): Promise<GalleryLoadStats> {
    const store = this.store;
    if (!store) throw new FacegateError('INTERNAL', 'Gallery has no store to load from');
    const started = performance.now();
    this.removedDuringLoad = new Set();
    try {
      let templates = 0;
      for await (const batch of store.templates.iterateAll(1000)) {
        for (const template of batch) {
          if (this.removedDuringLoad.has(template.id) || this.removedDuringLoad.has(template.employeeId))
            continue;
          if (!this.isCurrentModel(template)) {
            this.stale++;
            continue;
          }
          this.index.add(template.id, template.employeeId, normalised(template.embedding));
          templates++;
        }
      }
      // Only employees with templates matter here: one bulk read when the store offers it, else point lookups.
      const owners = new Set(this.index.owners());
      let employees = 0;
      const apply = (employee: Pick<Employee, 'id' | 'status' | 'faceLoginLocked'> | undefined): void => {
        if (!employee || !owners.has(employee.id) || this.removedDuringLoad?.has(employee.id)) return;
        this.setEmployee(employee);
        employees++;
      };
      if (store.employees.statuses) {
        for (const employee of await store.employees.statuses()) apply(employee);
      } else {
        for (const employeeId of owners) apply(await store.employees.get(employeeId));
      }
      return { templates, employees, stale: this.stale, ms: performance.now() - started };
    } finally {
      this.removedDuringLoad = null;
    }
  }

  private isCurrentModel(template: { model?: string; modelVersion?: string }): boolean {
    return (
      (template.model === undefined || template.model === this.engine.model) &&
      (template.modelVersion === undefined || template.modelVersion === this.engine.version)
    );
  }

  /**
   * Adds templates of an employee (after the store committed them). Throws `MODEL_MISMATCH` (and adds none) when a
   * template names another model or has another dimension.
   */
  add(employeeId: string, templates: ReadonlyArray<GalleryTemplate>): void {
    for (const template of templates) {
      if (!this.isCurrentModel(template) || template.embedding.length !== this.engine.dimension) {
        this.stale++;
        throw new FacegateError('MODEL_MISMATCH', 'Template was produced by another face model', {
          templateId: template.id,
          expectedModel: this.engine.model,
        });
      }
    }
    const vectors = templates.map((t) => normalised(t.embedding));
    templates.forEach((template, i) => {
      this.removedDuringLoad?.delete(template.id);
      this.index.add(template.id, employeeId, at(vectors, i));
    });
  }

  /** Adds one stored template (model checked). */
  addTemplate(template: FaceTemplate): void {
    this.add(template.employeeId, [template]);
  }

  /** Removes one template; false when absent. */
  removeTemplate(templateId: string): boolean {
    this.removedDuringLoad?.add(templateId);
    return this.index.remove(templateId);
  }

  /** Removes an employee, its templates and its status; returns how many templates were removed. */
  removeEmployee(employeeId: string): number {
    this.removedDuringLoad?.add(employeeId);
    this.eligibility.delete(employeeId);
    return this.index.removeOwner(employeeId);
  }

  /** Whether the employee may be matched by 1:N identification. */
  setEligible(employeeId: string, eligible: boolean): void {
    this.eligibility.set(employeeId, eligible);
  }

  /** Sets eligibility from an employee record: active and not face-login-locked. */
  setEmployee(employee: Pick<Employee, 'id' | 'status' | 'faceLoginLocked'>): void {
    this.setEligible(employee.id, employee.status === 'active' && !employee.faceLoginLocked);
  }

  /** True when the employee takes part in identification. */
  isEligible(employeeId: string): boolean {
    return this.eligibility.get(employeeId) === true;
  }

  /** Templates indexed for this employee (0 when absent). */
  templateCount(employeeId: string): number {
    return this.index.ownerSize(employeeId);
  }

  /** Total templates indexed. */
  size(): number {
    return this.index.size;
  }

  /** Stops the index's helper thread (large galleries scan on two threads); the gallery stays usable. */
  close(): Promise<void> {
    return this.index.close();
  }

  /**
   * 1:N identification. Best and second-best are the best templates of two distinct eligible employees. The
   * decision is `match` only when best ≥ threshold, best − second ≥ margin, and no ineligible (suspended or
   * locked) employee scores ≥ threshold within the margin of the best: a suspended person never matches, not even
   * as a look-alike colleague.
   */
  identify(probe: Float32Array, options: MatchOptions = this.defaults): IdentifyResult {
    const query = this.query(probe);
    const report: SearchReport = { rejectedBest: null };
    const [best, second] = this.index
      .search(query, 2, (owner) => this.eligibility.get(owner) === true, report)
      .map(toCandidate);
    const result: IdentifyResult = {
      decision: 'no_match',
      reason: null,
      best: best ?? null,
      secondBest: second ?? null,
      employeeId: null,
      score: best?.score ?? null,
      secondScore: second?.score ?? null,
      threshold: options.threshold,
      margin: options.margin,
    };
    const verdict = decideIdentify(
      best?.score ?? null,
      second?.score ?? null,
      report.rejectedBest?.score ?? null,
      options,
    );
    result.decision = verdict.decision;
    result.reason = verdict.reason;
    if (verdict.decision === 'match') result.employeeId = best?.employeeId ?? null;
    return result;
  }

  /** Best similarity of the probe to this employee's templates (as the index scores it), or null when it has none. */
  verify(employeeId: string, probe: Float32Array): number | null {
    return this.index.ownerScore(this.query(probe), employeeId)?.score ?? null;
  }

  /** 1:1 decision: `match` when the employee's best template scores ≥ threshold. */
  verifyMatch(employeeId: string, probe: Float32Array, threshold: number): VerifyResult {
    const score = this.verify(employeeId, probe);
    return { decision: score !== null && score >= threshold ? 'match' : 'no_match', score, threshold };
  }

  /** Best employee other than `excludeEmployeeId` (eligible or not) scoring ≥ threshold, or null (enrollment). */
  findDuplicate(probe: Float32Array, threshold: number, excludeEmployeeId?: string): GalleryCandidate | null {
    const [best] = this.index.search(this.query(probe), 1, (owner) => owner !== excludeEmployeeId);
    return best && best.score >= threshold ? toCandidate(best) : null;
  }

  private query(probe: Float32Array): Float32Array {
    if (probe.length !== this.engine.dimension) {
      throw new FacegateError('MODEL_MISMATCH', 'Probe dimension does not match the gallery', {
        expected: this.engine.dimension,
        actual: probe.length,
      });
    }
    return normalised(probe);
  }
}

/**
 * A refused (suspended/locked/unknown) employee close to the best one makes the match ambiguous. The index reports
 * every refused owner that scored above the second-best eligible one, which is all this rule needs: a refused
 * score below the second-best is either out of the margin or the result is already ambiguous.
 */
/**
 * The 1:N decision rule, from the best and second-best eligible employees' scores and the best score of an
 * ineligible (suspended or locked) employee: `match` only when best ≥ threshold, best − second ≥ margin, and no
 * ineligible employee scores ≥ threshold within the margin of the best.
 */
export function decideIdentify(
  best: number | null,
  second: number | null,
  bestIneligible: number | null,
  options: MatchOptions,
): { decision: 'match' | 'no_match'; reason: NoMatchReason | null } {
  if (best === null) return { decision: 'no_match', reason: 'EMPTY_GALLERY' };
  if (!(best >= options.threshold)) return { decision: 'no_match', reason: 'BELOW_THRESHOLD' };
  if (second !== null && best - second < options.margin) return { decision: 'no_match', reason: 'AMBIGUOUS' };
  // A suspended person must not pass as a look-alike colleague.
  if (
    bestIneligible !== null &&
    bestIneligible >= options.threshold &&
    bestIneligible > best - options.margin
  ) {
    return { decision: 'no_match', reason: 'AMBIGUOUS' };
  }
  return { decision: 'match', reason: null };
}

function toCandidate(hit: { ownerId: string; templateId: string; score: number }): GalleryCandidate {
  return { employeeId: hit.ownerId, templateId: hit.templateId, score: hit.score };
}

/** A unit-length copy; throws `VALIDATION_FAILED` for zero or non-finite vectors. */
export function normalised(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] ?? 0) * (vector[i] ?? 0);
  if (!(sum > 0) || !Number.isFinite(sum)) {
    throw new FacegateError('VALIDATION_FAILED', 'Embedding is zero or not finite');
  }
  const inv = 1 / Math.sqrt(sum);
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = (vector[i] ?? 0) * inv;
  return out;
}
