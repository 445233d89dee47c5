import type { NewFaceTemplate } from '../domain/models.js';
import type { EngineInfo, FaceAnalysis, StageTimings } from '../engine/face-engine.port.js';

/**
 * Why a probe or an enrolment photo cannot be used, with our stable code (`NO_FACE`, `SMALL_FACE`,
 * `EXTREME_POSE`, `MULTIPLE_FACES`…) and, where one was measured, the value and the limit it broke.
 */
export interface ProbeIssue {
  code: string;
  message: string;
  value?: number;
  threshold?: number;
}

/** One employee a probe resembles, and how much (on the matcher's 0–1 scale, which its thresholds use). */
export interface MatchCandidate {
  employeeId: string;
  score: number;
}

/**
 * A photo that passed the matcher's quality gate so far. With the local engine it carries the analysis (face,
 * embedding); an engine that owns its gallery reads the photo only when it searches or indexes it, and reports
 * its quality issues then.
 */
export interface MatchProbe {
  photo: Uint8Array;
  /** Quality issues found before matching; the services answer `retry` (or refuse the photo) when any. */
  issues: ProbeIssue[];
  timings: StageTimings;
  /** The local engine's analysis (absent for a remote collection). */
  analysis?: FaceAnalysis;
  /** The probe's embedding, when the engine gives one (the kiosk throttle remembers failed faces by it). */
  embedding?: Float32Array;
  /** Image format read from the header (`jpeg`, `png`…), when known. */
  format?: string;
}

/** The 1:N verdict: best and second-best eligible employees and the decision of the 1:N rule. */
export type IdentifyVerdict =
  | {
      best: MatchCandidate | null;
      secondBest: MatchCandidate | null;
      decision: 'match' | 'no_match';
      /** `AMBIGUOUS` when another person scores too close to the best one. */
      reason: string | null;
    }
  | { retry: ProbeIssue[] };

/** The 1:1 result: the claimed employee's best score, or null when the employee has no enrolled face. */
export type VerifyVerdict = { score: number | null } | { retry: ProbeIssue[] };

/** What an accepted enrolment photo becomes in the store, or why the engine refused it. */
export type PreparedTemplate =
  | { template: Omit<NewFaceTemplate, 'sourceHash' | 'photoKey' | 'photoContentType'> }
  | { refused: ProbeIssue[] };

/**
 * The one matcher port of the services: "local engine + in-memory gallery" and "remote collection" (an engine
 * that owns its gallery, such as Amazon Rekognition, which never returns embeddings) alike. Identify, verify,
 * enrol, erase and suspend go through it; the rules (quality gate outcome, duplicate and mismatch checks,
 * suspension, reason codes, audit) stay in the services.
 */
export interface FaceMatcher {
  /** Engine, model and version recorded in templates and audit; thresholds are looked up by `model`. */
  readonly info: EngineInfo;
  /**
   * Reads a photo for matching or enrolment. Throws `NO_FACE` (and image errors) when there is nothing to read;
   * quality problems are returned as `issues`. `analysis` is a ready analysis of the same photo (liveness frame).
   */
  probe(photo: Uint8Array, analysis?: FaceAnalysis): Promise<MatchProbe>;
  /** 1:N among eligible employees with the 1:N rule (threshold, margin, suspended look-alikes). */
  identify(probe: MatchProbe, options: { threshold: number; margin: number }): Promise<IdentifyVerdict>;
  /** 1:1: the probe's best score against the employee's faces (any status). */
  verify(employeeId: string, probe: MatchProbe, threshold: number): Promise<VerifyVerdict>;
  /** The best employee other than `excludeEmployeeId` scoring at least `threshold`, or null. */
  findDuplicate(
    probe: MatchProbe,
    threshold: number,
    excludeEmployeeId?: string,
  ): Promise<MatchCandidate | null>;
  /**
   * Before the store commits an enrolment: the template to store for an accepted probe. A remote collection
   * indexes the face here (the template id is then the collection's face id); {@link discard} undoes it.
   */
  prepare(employeeId: string, probe: MatchProbe): Promise<PreparedTemplate>;
  /** Undoes {@link prepare} for templates whose commit failed. */
  discard(employeeId: string, templateIds: readonly string[]): Promise<void>;
  /** After the store committed templates: makes them matchable. */
  committed(
    employeeId: string,
    templates: ReadonlyArray<{ id: string; embedding: Float32Array }>,
    eligible: boolean,
  ): void;
  /** Removes one template; false when it was not matchable. */
  removeTemplate(employeeId: string, templateId: string): Promise<boolean>;
  /** Removes the employee and every face; returns how many templates were removed where known. */
  removeEmployee(employeeId: string): Promise<number>;
  /** Whether the employee may be matched by 1:N (active and not face-login-locked). */
  setEligible(employeeId: string, eligible: boolean): void;
  /** Templates still matchable for the employee (the erasure's check; 0 after {@link removeEmployee}). */
  templateCount(employeeId: string): number;
}
