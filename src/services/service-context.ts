import type { BlobStore } from '../blobs/blob-store.port.js';
import type { FacegateConfig } from '../config/config.js';
import { FacegateError } from '../domain/errors.js';
import type { ActorType, Role } from '../domain/models.js';
import type { FaceEngine } from '../engine/face-engine.port.js';
import type { Store } from '../store/store.port.js';
import type { ThresholdLookup } from './match-settings.js';

/** Who asks: recorded in the audit and checked by the policy. */
export interface Actor {
  type: ActorType;
  /** User id, API key id, OS user name for the CLI, or a component name for `system`. */
  id: string;
  /** Admin role of a user or API key; absent for `cli` and `system`. */
  role?: Role;
}

/** Every permission a service method may ask for. */
export type Permission =
  | 'employees:read'
  | 'employees:write'
  | 'employees:delete'
  | 'faces:enroll'
  | 'faces:identify'
  | 'faces:verify'
  | 'faces:read'
  | 'photos:read'
  | 'templates:upgrade';

/**
 * The single place where access rules plug in: every service method calls `authorize` before doing anything.
 * Throws `FORBIDDEN` (or `UNAUTHENTICATED`) to refuse.
 */
export interface Policy {
  authorize(actor: Actor, permission: Permission): void | Promise<void>;
}

/**
 * Default policy: the local CLI operator and internal system tasks may do everything; any other actor is refused,
 * so forgetting to wire the API's role policy fails closed.
 */
export const localOnlyPolicy: Policy = {
  authorize(actor, permission) {
    if (actor.type === 'cli' || actor.type === 'system') return;
    throw new FacegateError('FORBIDDEN', `Not allowed: ${permission}`, { permission });
  },
};

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

/** What every service is built from. */
export interface ServiceDeps {
  engine: FaceEngine;
  store: Store;
  blobs: BlobStore;
  gallery: ServiceGallery;
  config: FacegateConfig;
  clock?: Clock;
  logger?: ServiceLogger;
  policy?: Policy;
  /** Threshold lookup; defaults to the calibrated table of `threshold-presets.ts`. */
  thresholds?: ThresholdLookup;
}

export const systemClock: Clock = { now: () => new Date() };

export const silentLogger: ServiceLogger = { info() {}, warn() {}, error() {} };

/**
 * The ports every service holds, with the defaults of the optional ones (local-only policy, system clock,
 * silent logger), so each service states only its rules.
 */
export abstract class ServiceBase {
  protected readonly engine: FaceEngine;
  protected readonly store: Store;
  protected readonly blobs: BlobStore;
  protected readonly gallery: ServiceGallery;
  protected readonly config: FacegateConfig;
  protected readonly policy: Policy;
  protected readonly clock: Clock;
  protected readonly logger: ServiceLogger;
  protected readonly thresholds: ThresholdLookup | undefined;

  constructor(deps: ServiceDeps) {
    this.engine = deps.engine;
    this.store = deps.store;
    this.blobs = deps.blobs;
    this.gallery = deps.gallery;
    this.config = deps.config;
    this.policy = deps.policy ?? localOnlyPolicy;
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
    this.thresholds = deps.thresholds;
  }
}
