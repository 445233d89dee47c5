import { createHash } from 'node:crypto';
import type { BlobStore } from '../../blobs/blob-store.port.js';
import { loadConfig } from '../../config/config.js';
import { FacegateError } from '../../domain/errors.js';
import type { EngineInfo, FaceAnalysis, FaceEngine, QualityIssue } from '../../engine/face-engine.port.js';
import { decideIdentify } from '../../gallery/gallery.js';
import { createMemoryStore, type MemoryStore } from '../../store/testing/memory-store.js';
import type { GalleryCandidate, ServiceDeps, ServiceGallery } from '../service-context.js';

/** Unit-test fakes of the service ports: blob map, scripted engine, exact gallery (store: memory-store). */

export const FAKE_INFO: EngineInfo = { engine: 'fake', model: 'fake-model', version: '1', dimension: 4 };

/** Unit vector along axis `i` of a 4-d space, optionally tilted towards axis `j`. */
export function vec(i: number, tilt = 0, j = (i + 1) % 4): Float32Array {
  const v = new Float32Array(4);
  v[i] = Math.cos(tilt);
  v[j] = (v[j] ?? 0) + Math.sin(tilt);
  return v;
}

/** What the fake engine returns for a photo whose bytes start with a given text label. */
export type FakeFace =
  | { embedding: Float32Array; issues?: QualityIssue['code'][] }
  | 'NO_FACE'
  | 'UNREADABLE';

/** An engine reading photos as UTF-8 labels registered with `define`. */
export class FakeEngine implements FaceEngine {
  readonly info = FAKE_INFO;
  readonly faces = new Map<string, FakeFace>();
  calls = 0;
  load(): Promise<void> {
    return Promise.resolve();
  }
  /** Registers a label and returns the photo bytes for it. */
  define(label: string, face: FakeFace): Uint8Array {
    this.faces.set(label, face);
    return new TextEncoder().encode(label);
  }
  detect(): never {
    throw new Error('not used');
  }
  async analyze(image: Uint8Array): Promise<FaceAnalysis> {
    this.calls++;
    const face = this.faces.get(new TextDecoder().decode(image));
    if (face === undefined || face === 'UNREADABLE') {
      throw new FacegateError('IMAGE_UNREADABLE', 'Image could not be decoded');
    }
    if (face === 'NO_FACE') throw new FacegateError('NO_FACE', 'No face found');
    const issues: QualityIssue[] = (face.issues ?? []).map((code) => ({
      code,
      value: 1,
      threshold: 2,
      message: `${code} message`,
    }));
    const detected = {
      box: { x: 0, y: 0, width: 100, height: 100 },
      landmarks: [
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
        [2, 2],
      ] as const,
      score: 0.99,
      quality: {
        faceSize: 100,
        sharpness: 0.5,
        brightness: 0.5,
        pose: { yaw: 1, pitch: 2, roll: 3 },
        issues,
      },
    };
    return {
      image: { format: 'jpeg', width: 200, height: 200, orientation: 1 },
      faces: [detected],
      face: detected,
      embedding: face.embedding,
      engineInfo: FAKE_INFO,
      timings: { total: 1 },
    };
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Exact in-memory gallery implementing the services' view. */
export class FakeGallery implements ServiceGallery {
  readonly templates = new Map<string, Array<{ id: string; embedding: Float32Array }>>();
  readonly ineligible = new Set<string>();
  add(employeeId: string, templates: ReadonlyArray<{ id: string; embedding: Float32Array }>): void {
    this.templates.set(employeeId, [...(this.templates.get(employeeId) ?? []), ...templates]);
  }
  removeEmployee(employeeId: string): number {
    const n = this.templates.get(employeeId)?.length ?? 0;
    this.templates.delete(employeeId);
    this.ineligible.delete(employeeId);
    return n;
  }
  removeTemplate(templateId: string): boolean {
    for (const [employeeId, ts] of this.templates) {
      const kept = ts.filter((t) => t.id !== templateId);
      if (kept.length === ts.length) continue;
      this.templates.set(employeeId, kept);
      return true;
    }
    return false;
  }
  setEligible(employeeId: string, eligible: boolean): void {
    if (eligible) this.ineligible.delete(employeeId);
    else this.ineligible.add(employeeId);
  }
  private scores(probe: Float32Array, onlyEligible: boolean): GalleryCandidate[] {
    const out: GalleryCandidate[] = [];
    for (const [employeeId, ts] of this.templates) {
      if (onlyEligible && this.ineligible.has(employeeId)) continue;
      out.push({ employeeId, score: Math.max(...ts.map((t) => dot(t.embedding, probe))) });
    }
    return out.sort((a, b) => b.score - a.score);
  }
  identify(probe: Float32Array, options: { threshold: number; margin: number }) {
    const [best, second] = this.scores(probe, true);
    const rival = this.scores(probe, false).find((c) => this.ineligible.has(c.employeeId));
    return {
      best: best ?? null,
      secondBest: second ?? null,
      ...decideIdentify(best?.score ?? null, second?.score ?? null, rival?.score ?? null, options),
    };
  }
  verify(employeeId: string, probe: Float32Array): number | null {
    const ts = this.templates.get(employeeId);
    return ts && ts.length > 0 ? Math.max(...ts.map((t) => dot(t.embedding, probe))) : null;
  }
  findDuplicate(probe: Float32Array, threshold: number, exclude?: string): GalleryCandidate | null {
    return this.scores(probe, false).find((c) => c.employeeId !== exclude && c.score >= threshold) ?? null;
  }
  templateCount(employeeId: string): number {
    return this.templates.get(employeeId)?.length ?? 0;
  }
  size(): number {
    let n = 0;
    for (const ts of this.templates.values()) n += ts.length;
    return n;
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] ?? 0) * (b[i] ?? 0);
  return s;
}

/** Content-addressed in-memory blob store. */
export class FakeBlobStore implements BlobStore {
  readonly kind = 'memory';
  readonly objects = new Map<string, Uint8Array>();
  async put(bytes: Uint8Array, _contentType = 'application/octet-stream'): Promise<string> {
    const key = createHash('sha256').update(bytes).digest('hex');
    this.objects.set(key, bytes);
    return key;
  }
  async get(key: string) {
    return this.objects.get(key);
  }
  async has(key: string) {
    return this.objects.has(key);
  }
  async delete(key: string) {
    return this.objects.delete(key);
  }
  async *list() {
    yield* [...this.objects.keys()];
  }
}

/** Service dependencies wired with fakes; threshold 0.8 for every preset unless given. */
export function fakeDeps(): {
  engine: FakeEngine;
  store: MemoryStore;
  blobs: FakeBlobStore;
  gallery: FakeGallery;
  config: ServiceDeps['config'];
  thresholds: NonNullable<ServiceDeps['thresholds']>;
} {
  const engine = new FakeEngine();
  const store = createMemoryStore();
  const blobs = new FakeBlobStore();
  const gallery = new FakeGallery();
  const config = loadConfig({ FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: '/nonexistent' });
  return {
    engine,
    store,
    blobs,
    gallery,
    config,
    thresholds: (_model: string, preset: string) =>
      ({ strict: 0.9, balanced: 0.8, lenient: 0.7 })[preset] ?? 0.8,
  };
}
