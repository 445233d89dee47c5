import type { ThresholdPreset } from '../config/config.js';
import type { ErrorCode } from '../domain/errors.js';

/**
 * A face engine that owns its gallery (Rekognition): it detects, embeds and searches itself and never exposes
 * embeddings, so facegate keeps only references (face ids) and the employee records. Suspension and lockout stay
 * in facegate's store: a match on a suspended employee is refused by the service, not by the engine.
 */
export interface RemoteFaceMatcher {
  /** Engine id recorded in templates and audit (e.g. `rekognition`). */
  readonly engine: string;
  /** Creates the gallery (collection) when it is missing; safe to call on every cold start. */
  ensureGallery(): Promise<void>;
  /** Indexes one photo of `employeeId` and ties it to that employee; refusals carry our reason codes. */
  enrol(employeeId: string, photo: Uint8Array, options?: RemoteEnrolOptions): Promise<RemoteEnrolment>;
  /** 1:N: the employees whose faces match the photo's largest face at or above the threshold, best first. */
  identify(photo: Uint8Array, threshold: MatchThreshold): Promise<RemoteSearch>;
  /** 1:1: whether the photo matches `employeeId` at or above the threshold. */
  verify(employeeId: string, photo: Uint8Array, threshold: MatchThreshold): Promise<RemoteVerification>;
  /** Removes some faces of an employee (template deletion). */
  removeFaces(employeeId: string, faceIds: readonly string[]): Promise<void>;
  /** Erasure: removes every face of the employee and the employee itself from the gallery. */
  removeEmployee(employeeId: string): Promise<void>;
}

/** A preset, or an explicit similarity on the engine's own 0–100 scale. */
export type MatchThreshold = ThresholdPreset | { similarity: number };

/** Options of one enrolment. */
export interface RemoteEnrolOptions {
  /** Accept a face that already matches another employee (our `DUPLICATE_FACE` rule). */
  force?: boolean;
}

/** Quality figures the engine measured on a face, on facegate's 0–1 scales where it has one. */
export interface RemoteFaceQuality {
  /** Face box width as a fraction of the image width. */
  faceWidthRatio: number;
  brightness: number;
  sharpness: number;
  yaw: number;
  pitch: number;
  roll: number;
  detectorScore: number;
}

/** Why a photo was refused, with our stable code and the engine's own reason. */
export interface RemoteRefusal {
  code: ErrorCode;
  /** The engine's reason (e.g. Rekognition's `SMALL_BOUNDING_BOX`). */
  source: string;
  message: string;
  /** The other employee, for `DUPLICATE_FACE`. */
  employeeId?: string;
}

/** The outcome of one enrolment. */
export type RemoteEnrolment =
  | { status: 'enrolled'; faceId: string; quality: RemoteFaceQuality; modelVersion: string | null }
  | { status: 'refused'; reasons: RemoteRefusal[] };

/** One candidate employee of a search. */
export interface RemoteCandidate {
  employeeId: string;
  /** The engine's similarity, 0–100. */
  similarity: number;
  /** The same on facegate's 0–1 scale (similarity / 100), for audit records. */
  score: number;
}

/** The result of a 1:N search. */
export interface RemoteSearch {
  candidates: RemoteCandidate[];
  /** The similarity the search used, 0–100. */
  similarity: number;
  quality: RemoteFaceQuality | null;
}

/** The result of a 1:1 verification. */
export interface RemoteVerification {
  match: boolean;
  /** The claimed employee's similarity (0 when it was not among the results). */
  similarity: number;
  score: number;
  /** The best other employee scoring higher than the claimed one, if any (a warning sign for the service). */
  betterOther: RemoteCandidate | null;
  threshold: number;
}
