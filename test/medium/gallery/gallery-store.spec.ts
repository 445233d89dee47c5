import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from '../../../src/app/adapters.js';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import type { Employee, NewFaceTemplate } from '../../../src/domain/models.js';
import { Gallery } from '../../../src/gallery/gallery.js';
import { PqIndex } from '../../../src/gallery/pq-index.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../../src/store/store.port.js';

const DIM = 128;
const engine = { model: 'test-model', version: '1', dimension: DIM };
const match = { threshold: 0.6, margin: 0.05 };

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 4294967296 - 0.5;
  };
}
const next = seeded(42);

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}
const randomUnit = (): Float32Array => unit(Float32Array.from({ length: DIM }, () => next()));
/** A probe at roughly cosine 0.8 to `v`: another photo of the same person. */
function sameFace(v: Float32Array): Float32Array {
  const noise = randomUnit();
  return unit(v.map((x, i) => 0.8 * x + 0.6 * noise[i]!));
}

function template(embedding: Float32Array, extra: Partial<NewFaceTemplate> = {}): NewFaceTemplate {
  return {
    embedding,
    engine: 'local',
    model: engine.model,
    modelVersion: engine.version,
    quality: {
      faceSize: 100,
      sharpness: 0.2,
      brightness: 0.5,
      yaw: 0,
      pitch: 0,
      roll: 0,
      detectorScore: 0.9,
    },
    sourceHash: randomBytes(8).toString('hex'),
    photoKey: null,
    photoContentType: null,
    ...extra,
  };
}

let dir: string;
let store: SqliteStore;
const people = new Map<string, { employee: Employee; faces: Float32Array[] }>();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'facegate-gallery-'));
  store = SqliteStore.open(join(dir, SQLITE_FILE), new DataCipher([{ id: 'k', key: randomBytes(32) }]));
  people.clear();
  for (let i = 0; i < 40; i++) {
    const employee = await store.employees.create({
      badge: `B${i}`,
      firstName: `F${i}`,
      lastName: `L${i}`,
      status: i === 1 ? 'suspended' : 'active',
    });
    const base = randomUnit();
    const faces = [base, sameFace(base)];
    for (const face of faces) await store.templates.add(employee.id, template(face));
    people.set(`B${i}`, { employee, faces });
  }
  await store.employees.update(people.get('B2')!.employee.id, { faceLoginLocked: true });
  // A template from an older model: must be skipped and counted as stale.
  await store.templates.add(people.get('B3')!.employee.id, template(randomUnit(), { modelVersion: '0' }));
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const id = (badge: string): string => people.get(badge)!.employee.id;
const face = (badge: string): Float32Array => people.get(badge)!.faces[0]!;

describe('Gallery over the SQLite store', () => {
  it('loads once from the store, decrypting every current template and counting stale ones', async () => {
    const gallery = new Gallery(engine, store);
    const [a, b] = await Promise.all([gallery.load(), gallery.load()]);
    expect(a).toBe(b);
    expect(a).toMatchObject({ templates: 80, employees: 40, stale: 1 });
    expect(gallery.size()).toBe(80);
    expect(gallery.templateCount(id('B3'))).toBe(2);
    expect(gallery.isEligible(id('B0'))).toBe(true);
    expect(gallery.isEligible(id('B1'))).toBe(false);
    expect(gallery.isEligible(id('B2'))).toBe(false);
  });

  it('loads statuses by point lookups from a store without the bulk statuses() read', async () => {
    const minimal = {
      templates: store.templates,
      employees: { get: (employeeId: string) => store.employees.get(employeeId) },
    } as unknown as Store;
    const gallery = new Gallery(engine, minimal);
    expect(await gallery.load()).toMatchObject({ templates: 80, employees: 40, stale: 1 });
    expect(gallery.isEligible(id('B0'))).toBe(true);
    expect(gallery.isEligible(id('B1'))).toBe(false);
    expect(gallery.isEligible(id('B2'))).toBe(false);
  });

  it('identifies enrolled people, refuses strangers and suspended or locked employees, verifies, finds duplicates', async () => {
    const gallery = new Gallery(engine, store, { match });
    await gallery.load();
    for (let i = 3; i < 40; i += 5) {
      const result = gallery.identify(sameFace(face(`B${i}`)));
      expect(result.decision, `B${i}`).toBe('match');
      expect(result.employeeId).toBe(id(`B${i}`));
      expect(result.score!).toBeGreaterThanOrEqual(match.threshold);
    }
    expect(gallery.identify(randomUnit())).toMatchObject({ decision: 'no_match', reason: 'BELOW_THRESHOLD' });
    for (const badge of ['B1', 'B2']) {
      const result = gallery.identify(sameFace(face(badge)));
      expect(result.decision).toBe('no_match');
      expect(result.best?.employeeId).not.toBe(id(badge));
    }
    expect(gallery.verifyMatch(id('B5'), sameFace(face('B5')), match.threshold).decision).toBe('match');
    expect(gallery.verifyMatch(id('B6'), sameFace(face('B5')), match.threshold).decision).toBe('no_match');
    // Duplicate check sees suspended employees too, and ignores the employee being enrolled.
    expect(gallery.findDuplicate(sameFace(face('B1')), match.threshold)?.employeeId).toBe(id('B1'));
    expect(gallery.findDuplicate(sameFace(face('B1')), match.threshold, id('B1'))).toBeNull();
  });

  it('tracks deletion and status changes, and a reload from the store equals the live state', async () => {
    const live = new Gallery(engine, store, { match });
    await live.load();
    const gone = id('B7');
    await store.employees.delete(gone);
    expect(live.removeEmployee(gone)).toBe(2);
    expect(live.identify(sameFace(face('B7'))).decision).toBe('no_match');
    const restored = await store.employees.update(id('B1'), { status: 'active' });
    live.setEmployee(restored);
    const newcomer = await store.employees.create({ badge: 'NEW', firstName: 'N', lastName: 'Ew' });
    const newFace = randomUnit();
    const saved = await store.templates.add(newcomer.id, template(newFace));
    live.add(newcomer.id, [saved]);
    live.setEmployee(newcomer);
    const dropped = (await store.templates.listByEmployee(id('B8')))[0]!;
    await store.templates.delete(dropped.id);
    live.removeTemplate(dropped.id);

    const reloaded = new Gallery(engine, store, { match });
    await reloaded.load();
    expect(reloaded.size()).toBe(live.size());
    const probes = [
      sameFace(newFace),
      ...[...people.values()].map((p) => sameFace(p.faces[0]!)),
      randomUnit(),
    ];
    for (const probe of probes) {
      const a = live.identify(probe);
      const b = reloaded.identify(probe);
      expect(b.decision).toBe(a.decision);
      expect(b.employeeId).toBe(a.employeeId);
      expect(b.best?.templateId).toBe(a.best?.templateId);
      expect(b.score ?? 0).toBeCloseTo(a.score ?? 0, 5);
    }
    expect(reloaded.identify(sameFace(face('B1'))).employeeId).toBe(id('B1'));
    expect(reloaded.identify(sameFace(newFace)).employeeId).toBe(newcomer.id);
    expect(reloaded.templateCount(id('B8'))).toBe(1);
    expect(reloaded.templateCount(gone)).toBe(0);
  });

  it('gives the same answers with the quantised index once it is trained', async () => {
    const exact = new Gallery(engine, store, { match, approximate: false });
    const pq = new Gallery(engine, store, {
      match,
      index: new PqIndex(DIM, { trainAt: 50, rerank: 16, sample: 80 }),
    });
    await Promise.all([exact.load(), pq.load()]);
    expect((pq.index as PqIndex).trained).toBe(true);
    for (const person of people.values()) {
      const probe = sameFace(person.faces[1]!);
      expect(pq.identify(probe).employeeId).toBe(exact.identify(probe).employeeId);
    }
  });
});
