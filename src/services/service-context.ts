import type { BlobStore } from '../blobs/blob-store.port.js';
import type { FacegateConfig } from '../config/config.js';
import { localOnlyPolicy, type Policy } from '../domain/access.js';
import type { FaceEngine } from '../engine/face-engine.port.js';
import type { Store } from '../store/store.port.js';
import type { FaceMatcher } from './face-matcher.port.js';
import { LocalFaceMatcher } from './local-face-matcher.js';
import type { ThresholdLookup } from './match-settings.js';

/** A time source, injectable for tests. */
export interface Clock {
  now(): Date;
}

/** Minimal structured logger (pino-compatible subset). */
export interface ServiceLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A match candidate: one employee and its best template similarity. */
export interface GalleryCandidate {
  employeeId: string;
  score: number;
}

/**
 * What the services need from the in-memory gallery. Only eligible employees (active and not face-login-locked)
 * take part in `identify`; `verify` and `findDuplicate` see every enrolled employee.
 */
export interface ServiceGallery {
  /** Adds templates of an employee (after the store committed them). */
  add(employeeId: string, templates: ReadonlyArray<{ id: string; embedding: Float32Array }>): void;
  /** Removes an employee and all its templates; returns how many templates were removed. */
  removeEmployee(employeeId: string): number;
  /** Removes one template; false when it was not indexed. */
  removeTemplate(templateId: string): boolean;
  /** Whether the employee may be matched by 1:N identification. */
  setEligible(employeeId: string, eligible: boolean): void;
  /**
   * Best and second-best eligible employees for a probe (best score per employee) and the verdict of the 1:N rule
   * (`decideIdentify` in src/gallery/gallery.ts); `reason` is `AMBIGUOUS` when another person scores too close.
   */
  identify(
    probe: Float32Array,
    options: { threshold: number; margin: number },
  ): {
    best: GalleryCandidate | null;
    secondBest: GalleryCandidate | null;
    decision: 'match' | 'no_match';
    reason: string | null;
  };
  /** Best similarity of the probe to this employee's templates, or null when it has none. */
  verify(employeeId: string, probe: Float32Array): number | null;
  /** Best employee other than `excludeEmployeeId` scoring at least `threshold`, or null. */
  findDuplicate(probe: Float32Array, threshold: number, excludeEmployeeId?: string): GalleryCandidate | null;
  /** Templates currently indexed for this employee (0 when absent). */
  templateCount(employeeId: string): number;
  /** Total templates indexed. */
  size(): number;
}

/** What every service holds besides its ports: the access policy, a time source and a logger. */
export interface ServiceRuntime {
  /** Access rules; defaults to {@link localOnlyPolicy} (fails closed when the role policy is not wired). */
  policy?: Policy;
  clock?: Clock;
  logger?: ServiceLogger;
}

/** What every core service is built from. */
export interface ServiceDeps extends ServiceRuntime {
  engine: FaceEngine;
  store: Store;
  blobs: BlobStore;
  gallery: ServiceGallery;
  /**
   * The matcher identify, verify, enrol, erase and suspend go through; defaults to the local engine over
   * `gallery`. The composition root passes a remote collection's matcher when the engine owns its gallery.
   */
  matcher?: FaceMatcher;
  config: FacegateConfig;
  /** Threshold lookup; defaults to the calibrated table of `threshold-presets.ts`. */
  thresholds?: ThresholdLookup;
}

/** The real time. */
export const systemClock: Clock = { now: () => new Date() };

/** A logger that drops everything (the default when none is injected). */
export const silentLogger: ServiceLogger = { info() {}, warn() {}, error() {} };

/**
 * The policy, clock and logger every service holds (core and auth services alike), with their defaults
 * (local-only policy, system clock, silent logger).
 */
export abstract class GuardedService {
  protected readonly policy: Policy;
  protected readonly clock: Clock;
  protected readonly logger: ServiceLogger;

  constructor(deps: ServiceRuntime) {
    this.policy = deps.policy ?? localOnlyPolicy;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
  }
}

/** The ports every core service holds, so each service states only its rules. */
export abstract class ServiceBase extends GuardedService {
  protected readonly engine: FaceEngine;
  protected readonly store: Store;
  protected readonly blobs: BlobStore;
  protected readonly matcher: FaceMatcher;
  protected readonly config: FacegateConfig;
  protected readonly thresholds: ThresholdLookup | undefined;

  constructor(deps: ServiceDeps) {
    super(deps);
    this.engine = deps.engine;
    this.store = deps.store;
    this.blobs = deps.blobs;
    this.matcher = deps.matcher ?? new LocalFaceMatcher(deps.engine, deps.gallery);
    this.config = deps.config;
    this.thresholds = deps.thresholds;
  }
}
