import { describe, expect, it } from 'vitest';
import { isFacegateError } from '../domain/errors.js';
import type { FaceTemplate } from '../domain/models.js';
import type { Store } from '../store/store.port.js';
import { ExactIndex } from './exact-index.js';
import { Gallery, normalised } from './gallery.js';

const engine = { model: 'm1', version: '1', dimension: 4 };
const opts = { threshold: 0.8, margin: 0.05 };
const v = (...xs: number[]): Float32Array => normalised(Float32Array.from(xs));

function gallery(): Gallery {
  const g = new Gallery(engine, undefined, { index: new ExactIndex(4) });
  g.add('alice', [
    { id: 'a1', embedding: v(1, 0, 0, 0) },
    { id: 'a2', embedding: v(0.9, 0.1, 0, 0) },
  ]);
  g.add('bob', [{ id: 'b1', embedding: v(0, 1, 0, 0) }]);
  g.setEligible('alice', true);
  g.setEligible('bob', true);
  return g;
}

describe('Gallery.identify', () => {
  it('matches the best employee above threshold and margin, with scores and options reported', () => {
    const result = gallery().identify(v(1, 0.05, 0, 0), opts);
    expect(result).toMatchObject({
      decision: 'match',
      reason: null,
      employeeId: 'alice',
      threshold: 0.8,
      margin: 0.05,
    });
    expect(result.best).toMatchObject({ employeeId: 'alice', templateId: 'a1' });
    expect(result.secondBest?.employeeId).toBe('bob');
    expect(result.score!).toBeGreaterThan(result.secondScore!);
  });

  it('refuses below threshold, ambiguous pairs, an empty gallery, and matches nothing without options', () => {
    const g = gallery();
    expect(g.identify(v(0, 0, 1, 0), opts)).toMatchObject({
      decision: 'no_match',
      reason: 'BELOW_THRESHOLD',
    });
    expect(g.identify(v(1, 1.2, 0, 0), { threshold: 0.5, margin: 0.05 })).toMatchObject({
      decision: 'no_match',
      reason: 'AMBIGUOUS',
      employeeId: null,
    });
    expect(g.identify(v(1, 0, 0, 0))).toMatchObject({
      decision: 'no_match',
      threshold: Number.POSITIVE_INFINITY,
    });
    const empty = new Gallery(engine);
    expect(empty.identify(v(1, 0, 0, 0), opts)).toMatchObject({
      decision: 'no_match',
      reason: 'EMPTY_GALLERY',
    });
  });

  it('never matches suspended, locked or unknown employees, nor a look-alike of a suspended one', () => {
    const g = gallery();
    g.setEmployee({ id: 'alice', status: 'suspended', faceLoginLocked: false });
    const probe = v(1, 0.05, 0, 0);
    expect(g.identify(probe, opts).best?.employeeId).not.toBe('alice');
    expect(g.identify(probe, opts).decision).toBe('no_match');
    g.setEmployee({ id: 'alice', status: 'active', faceLoginLocked: true });
    expect(g.identify(probe, opts).decision).toBe('no_match');
    g.setEmployee({ id: 'alice', status: 'active', faceLoginLocked: false });
    expect(g.identify(probe, opts).decision).toBe('match');

    // carol looks like dave; dave is suspended: a dave probe must not pass as carol.
    g.add('carol', [{ id: 'c1', embedding: v(0, 0, 1, 0.1) }]);
    g.add('dave', [{ id: 'd1', embedding: v(0, 0, 1, 0.12) }]);
    g.setEligible('carol', true);
    g.setEligible('dave', false);
    expect(g.identify(v(0, 0, 1, 0.12), { threshold: 0.8, margin: 0.01 })).toMatchObject({
      decision: 'no_match',
      reason: 'AMBIGUOUS',
    });
    // A suspended employee far below the matched one does not block the match.
    g.setEligible('dave', true);
    g.setEligible('carol', false);
    expect(g.identify(v(0, 1, 0, 0), { threshold: 0.8, margin: 0.01 })).toMatchObject({
      decision: 'match',
      employeeId: 'bob',
    });
    expect(g.identify(v(0, 0, 1, 0.1), { threshold: 0.8, margin: 0.01 })).toMatchObject({
      decision: 'no_match',
      reason: 'AMBIGUOUS',
    });
    expect(g.identify(v(0, 0, 1, 0.12), { threshold: 0.8, margin: 0 })).toMatchObject({ decision: 'match' });
    g.add('erin', [{ id: 'e1', embedding: v(0, 0, 0, 1) }]);
    expect(g.identify(v(0, 0, 0, 1), opts).decision).toBe('no_match');
  });
});

describe('Gallery', () => {
  it('verifies one employee and finds duplicates of other employees', () => {
    const g = gallery();
    expect(g.verify('alice', v(1, 0, 0, 0))).toBeCloseTo(1, 5);
    expect(g.verify('nobody', v(1, 0, 0, 0))).toBeNull();
    expect(g.verifyMatch('bob', v(1, 0, 0, 0), 0.8)).toMatchObject({ decision: 'no_match' });
    expect(g.verifyMatch('alice', v(1, 0, 0, 0), 0.8)).toMatchObject({ decision: 'match', threshold: 0.8 });
    expect(g.findDuplicate(v(1, 0, 0, 0), 0.8)?.employeeId).toBe('alice');
    expect(g.findDuplicate(v(1, 0, 0, 0), 0.8, 'alice')).toBeNull();
    g.setEligible('alice', false);
    expect(g.findDuplicate(v(1, 0, 0, 0), 0.8)?.employeeId).toBe('alice');
  });

  it('removes templates and employees', () => {
    const g = gallery();
    expect(g.templateCount('alice')).toBe(2);
    expect(g.removeTemplate('a1')).toBe(true);
    expect(g.templateCount('alice')).toBe(1);
    expect(g.removeEmployee('alice')).toBe(1);
    expect(g.size()).toBe(1);
    expect(g.isEligible('alice')).toBe(false);
    expect(g.identify(v(1, 0, 0, 0), { threshold: 0, margin: 0 }).best?.employeeId).toBe('bob');
  });

  it('refuses templates of another model or dimension, and bad probes', () => {
    const g = gallery();
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (error) {
        return isFacegateError(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(codeOf(() => g.add('x', [{ id: 'x1', embedding: v(1, 0, 0, 0), model: 'other' }]))).toBe(
      'MODEL_MISMATCH',
    );
    expect(
      codeOf(() => g.add('x', [{ id: 'x1', embedding: v(1, 0, 0, 0), model: 'm1', modelVersion: '2' }])),
    ).toBe('MODEL_MISMATCH');
    expect(codeOf(() => g.add('x', [{ id: 'x1', embedding: new Float32Array(3).fill(1) }]))).toBe(
      'MODEL_MISMATCH',
    );
    expect(g.staleCount).toBe(3);
    expect(g.templateCount('x')).toBe(0);
    expect(codeOf(() => g.identify(new Float32Array(5), opts))).toBe('MODEL_MISMATCH');
    expect(codeOf(() => g.identify(new Float32Array(4), opts))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => g.verify('alice', Float32Array.of(Number.NaN, 0, 0, 0)))).toBe('VALIDATION_FAILED');
  });

  it('normalises stored and probe vectors', () => {
    const g = new Gallery(engine, undefined, { index: new ExactIndex(4) });
    g.add('a', [{ id: 'a1', embedding: Float32Array.of(3, 0, 0, 0) }]);
    expect(g.verify('a', Float32Array.of(10, 0, 0, 0))).toBeCloseTo(1, 6);
  });
});

describe('Gallery.load', () => {
  function stored(id: string, employeeId: string, embedding: Float32Array, modelVersion = '1'): FaceTemplate {
    return {
      id,
      employeeId,
      embedding,
      engine: 'local',
      model: 'm1',
      modelVersion,
      quality: { faceSize: 1, sharpness: 1, brightness: 1, yaw: 0, pitch: 0, roll: 0, detectorScore: 1 },
      sourceHash: id,
      photoKey: null,
      photoContentType: null,
      createdAt: '2026-01-01T00:00:00.000Z',
    };
  }

  it('keeps removals made while loading, skips stale templates, and loads once', async () => {
    let gallery!: Gallery;
    let iterations = 0;
    const fakeStore = {
      templates: {
        async *iterateAll() {
          iterations++;
          yield [stored('a1', 'alice', v(1, 0, 0, 0)), stored('old', 'alice', v(0, 0, 1, 0), '0')];
          // An erasure lands between two batches: its later templates must not come back.
          gallery.removeEmployee('bob');
          gallery.removeTemplate('c2');
          yield [
            stored('b1', 'bob', v(0, 1, 0, 0)),
            stored('c1', 'carol', v(0, 0, 0, 1)),
            stored('c2', 'carol', v(0, 0, 1, 1)),
          ];
        },
      },
      employees: {
        statuses: async () => [
          { id: 'alice', status: 'active', faceLoginLocked: false },
          { id: 'bob', status: 'active', faceLoginLocked: false },
          { id: 'carol', status: 'suspended', faceLoginLocked: false },
        ],
      },
    } as unknown as Store;
    gallery = new Gallery(engine, fakeStore, { index: new ExactIndex(4) });
    const [stats] = await Promise.all([gallery.load(), gallery.load()]);
    expect(iterations).toBe(1);
    expect(stats).toMatchObject({ templates: 2, employees: 2, stale: 1 });
    expect(gallery.templateCount('bob')).toBe(0);
    expect(gallery.isEligible('bob')).toBe(false);
    expect(gallery.templateCount('carol')).toBe(1);
    expect(gallery.isEligible('carol')).toBe(false);
    expect(gallery.identify(v(1, 0, 0, 0), opts).employeeId).toBe('alice');
  });

  it('fails without a store and can be retried', async () => {
    const gallery = new Gallery(engine);
    await expect(gallery.load()).rejects.toThrow(/no store/);
    await expect(gallery.load()).rejects.toThrow(/no store/);
  });
});
