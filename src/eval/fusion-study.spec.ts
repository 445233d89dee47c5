import { describe, expect, it } from 'vitest';
import { combineMembers, fuse, membersFromCache, splitFused, unit } from './fusion-study.js';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);

describe('fusion study', () => {
  const a1 = unit(Float32Array.from([1, 2, 3]));
  const a2 = unit(Float32Array.from([3, -1]));
  const b1 = unit(Float32Array.from([2, 2, 1]));
  const b2 = unit(Float32Array.from([1, 1]));

  it('fuses so that the dot product is the weighted average of member cosines', () => {
    const fa = fuse([a1, a2], [0.7, 0.3]) as Float32Array;
    const fb = fuse([b1, b2], [0.7, 0.3]) as Float32Array;
    expect(dot(fa, fa)).toBeCloseTo(1, 6);
    expect(dot(fa, fb)).toBeCloseTo(0.7 * dot(a1, b1) + 0.3 * dot(a2, b2), 6);
    expect(fuse([a1, null], [0.5, 0.5])).toBeNull();
  });

  it('splits a fused vector back into unit members', () => {
    const [p1, p2] = splitFused(fuse([a1, a2], [0.8, 0.2]) as Float32Array, [3, 2]);
    expect([...(p1 as Float32Array)].map((x) => x.toFixed(5))).toEqual([...a1].map((x) => x.toFixed(5)));
    expect([...(p2 as Float32Array)].map((x) => x.toFixed(5))).toEqual([...a2].map((x) => x.toFixed(5)));
    expect(() => splitFused(a1, [2, 2])).toThrow(RangeError);
  });

  it('re-combines cached members with new weights', () => {
    const entries = new Map([
      ['x', { rel: 'x', sha256: '', embedding: fuse([a1, a2], [0.5, 0.5]), error: null, faces: 1, ms: 5 }],
      ['y', { rel: 'y', sha256: '', embedding: null, error: 'NO_FACE', faces: 0, ms: 3 }],
    ]);
    const members = membersFromCache(entries, [3, 2]);
    const only1 = combineMembers(members, [1, 0]).get('x')?.embedding as Float32Array;
    expect(only1).toHaveLength(3);
    expect(dot(only1, a1)).toBeCloseTo(1, 5);
    expect(combineMembers(members, [0.6, 0.4]).get('x')?.embedding).toHaveLength(5);
    expect(combineMembers(members, [0.6, 0.4]).get('y')?.embedding).toBeNull();
  });
});
