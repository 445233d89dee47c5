import { describe, expect, it } from 'vitest';
import { ExactIndex } from '../gallery/exact-index.js';
import { IndexedGallery } from './service-gallery.js';

const v = (...xs: number[]) => {
  const a = new Float32Array(xs);
  const n = Math.hypot(...xs);
  return a.map((x) => x / n);
};

describe('IndexedGallery', () => {
  function gallery() {
    const g = new IndexedGallery(new ExactIndex(3));
    g.add('ann', [
      { id: 't1', embedding: v(1, 0, 0) },
      { id: 't2', embedding: v(1, 0.2, 0) },
    ]);
    g.add('bo', [{ id: 't3', embedding: v(0, 1, 0) }]);
    return g;
  }

  it('ranks employees by their best template and gives the runner-up', () => {
    const r = gallery().identify(v(1, 0.1, 0));
    expect(r.best?.employeeId).toBe('ann');
    expect(r.best?.score).toBeGreaterThan(0.99);
    expect(r.secondBest?.employeeId).toBe('bo');
  });

  it('leaves ineligible employees out of identify but not out of verify or duplicate checks', () => {
    const g = gallery();
    g.setEligible('ann', false);
    expect(g.identify(v(1, 0, 0)).best?.employeeId).toBe('bo');
    expect(g.verify('ann', v(1, 0, 0))).toBeCloseTo(1, 5);
    expect(g.findDuplicate(v(1, 0, 0), 0.9)?.employeeId).toBe('ann');
    g.setEligible('ann', true);
    expect(g.identify(v(1, 0, 0)).best?.employeeId).toBe('ann');
  });

  it('excludes the enrolling employee from duplicates and applies the threshold', () => {
    const g = gallery();
    expect(g.findDuplicate(v(1, 0, 0), 0.9, 'ann')).toBeNull();
    expect(g.findDuplicate(v(0.7, 0.7, 0), 0.9)).toBeNull();
  });

  it('removes every template of an employee', () => {
    const g = gallery();
    expect(g.removeEmployee('ann')).toBe(2);
    expect(g.templateCount('ann')).toBe(0);
    expect(g.verify('ann', v(1, 0, 0))).toBeNull();
    expect(g.size()).toBe(1);
  });
});
