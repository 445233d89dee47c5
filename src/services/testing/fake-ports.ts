import { createHash, randomUUID } from 'node:crypto';
import type { BlobStore } from '../../blobs/blob-store.port.js';
import { loadConfig } from '../../config/config.js';
import { FacegateError } from '../../domain/errors.js';
import type { AuditEvent, Employee, FaceTemplate } from '../../domain/models.js';
import type { EngineInfo, FaceAnalysis, FaceEngine, QualityIssue } from '../../engine/face-engine.port.js';
import type { Store } from '../../store/store.port.js';
import type { GalleryCandidate, ServiceDeps, ServiceGallery } from '../service-context.js';

/** Unit-test fakes of the service ports: in-memory store, blob map, scripted engine, exact gallery. */

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
  identify(probe: Float32Array, _options: { threshold: number; margin: number }) {
    const [best, second] = this.scores(probe, true);
    return { best: best ?? null, secondBest: second ?? null };
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

interface MemoryState {
  employees: Map<string, Employee>;
  templates: Map<string, FaceTemplate>;
  audit: AuditEvent[];
  settings: Map<string, unknown>;
}

/**
 * In-memory store with the employee, template, audit and settings repositories; `transaction` restores
 * a snapshot when `fn` throws. Other repositories throw.
 */
export function createMemoryStore(): Store & { state: MemoryState; failNextTemplateAdd: boolean } {
  const state: MemoryState = { employees: new Map(), templates: new Map(), audit: [], settings: new Map() };
  const now = () => new Date().toISOString();
  const unsupported = new Proxy(
    {} as Store['users'] & Store['apiKeys'] & Store['sessions'] & Store['lockouts'],
    {
      get: () => () => {
        throw new Error('not in the memory store');
      },
    },
  );
  const store: Store & { state: MemoryState; failNextTemplateAdd: boolean } = {
    kind: 'memory',
    state,
    failNextTemplateAdd: false,
    employees: {
      async create(e) {
        if ([...state.employees.values()].some((x) => x.badge === e.badge)) {
          throw new FacegateError('CONFLICT', 'badge taken');
        }
        const row: Employee = {
          id: e.id ?? randomUUID(),
          badge: e.badge,
          firstName: e.firstName,
          lastName: e.lastName,
          email: e.email ?? null,
          department: e.department ?? null,
          role: e.role ?? null,
          status: e.status ?? 'active',
          faceLoginLocked: false,
          createdAt: now(),
          updatedAt: now(),
        };
        state.employees.set(row.id, row);
        return { ...row };
      },
      async update(id, patch) {
        const cur = state.employees.get(id);
        if (!cur) throw new FacegateError('NOT_FOUND', 'no employee');
        const next = { ...cur, ...patch, updatedAt: now() };
        state.employees.set(id, next);
        return { ...next };
      },
      async get(id) {
        const e = state.employees.get(id);
        return e ? { ...e } : undefined;
      },
      async getByBadge(badge) {
        const e = [...state.employees.values()].find((x) => x.badge === badge);
        return e ? { ...e } : undefined;
      },
      async list(q) {
        const all = [...state.employees.values()].filter(
          (e) =>
            (!q.status || e.status === q.status) &&
            (!q.search ||
              `${e.badge} ${e.firstName} ${e.lastName}`.toLowerCase().includes(q.search.toLowerCase())),
        );
        return { items: all.slice(q.offset, q.offset + q.limit), total: all.length };
      },
      async delete(id) {
        for (const [tid, t] of state.templates) if (t.employeeId === id) state.templates.delete(tid);
        return state.employees.delete(id);
      },
      async count() {
        return state.employees.size;
      },
    },
    templates: {
      async add(employeeId, t) {
        if (store.failNextTemplateAdd) {
          store.failNextTemplateAdd = false;
          throw new Error('disk full');
        }
        const row: FaceTemplate = { ...t, id: t.id ?? randomUUID(), employeeId, createdAt: now() };
        state.templates.set(row.id, row);
        return { ...row };
      },
      async listByEmployee(employeeId) {
        return [...state.templates.values()].filter((t) => t.employeeId === employeeId);
      },
      async *iterateAll() {
        yield [...state.templates.values()];
      },
      async findBySourceHash(hash) {
        return [...state.templates.values()].find((t) => t.sourceHash === hash);
      },
      async get(id) {
        return state.templates.get(id);
      },
      async delete(id) {
        return state.templates.delete(id);
      },
      async listPhotoKeys() {
        return [...state.templates.values()].flatMap((t) => (t.photoKey ? [t.photoKey] : []));
      },
      async count() {
        return state.templates.size;
      },
    },
    audit: {
      async append(e) {
        const row: AuditEvent = {
          reason: null,
          actorId: null,
          employeeId: null,
          score: null,
          threshold: null,
          engine: null,
          ip: null,
          durationMs: null,
          details: {},
          ...e,
          id: randomUUID(),
          at: e.at ?? now(),
        };
        state.audit.push(row);
        return row;
      },
      async query() {
        return { items: [...state.audit], nextCursor: null };
      },
      async deleteOlderThan() {
        return 0;
      },
    },
    settings: {
      async get<T>(key: string) {
        return state.settings.get(key) as T | undefined;
      },
      async set<T>(key: string, value: T) {
        state.settings.set(key, value);
      },
      async all() {
        return Object.fromEntries(state.settings);
      },
    },
    users: unsupported,
    apiKeys: unsupported,
    sessions: unsupported,
    lockouts: unsupported,
    async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
      const snapshot = {
        employees: new Map(state.employees),
        templates: new Map(state.templates),
        audit: [...state.audit],
      };
      try {
        return await fn(store);
      } catch (error) {
        state.employees = snapshot.employees;
        state.templates = snapshot.templates;
        state.audit = snapshot.audit;
        throw error;
      }
    },
    async ping() {},
    async close() {},
  };
  return store;
}

/** Service dependencies wired with fakes; threshold 0.8 for every preset unless given. */
export function fakeDeps(): {
  engine: FakeEngine;
  store: ReturnType<typeof createMemoryStore>;
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
