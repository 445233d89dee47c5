import { describe, expect, it } from 'vitest';
import {
  accepts,
  areaUnderCurve,
  bestAccuracyThreshold,
  countAtLeast,
  equalErrorRate,
  lfwProtocol,
  nextUp,
  openSetRates,
  openSetSplit,
  operatingPoint,
  rankOneRate,
  rocCurve,
  searchProbes,
  sortDescending,
  thresholdAtFar,
  thresholdAtFpir,
  verificationMetrics,
} from './metrics.js';

const NEG = Number.NEGATIVE_INFINITY;
const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

describe('sorting and counting', () => {
  it('sorts descending with NaN as -Infinity and counts scores >= t', () => {
    const s = sortDescending([0.2, Number.NaN, 0.9, 0.5, 0.5]);
    expect([...s]).toEqual([0.9, 0.5, 0.5, 0.2, NEG]);
    expect(countAtLeast(s, 0.5)).toBe(3);
    expect(countAtLeast(s, 0.51)).toBe(1);
    expect(countAtLeast(s, 1)).toBe(0);
    expect(countAtLeast(s, NEG)).toBe(5);
  });

  it('nextUp returns the next representable double', () => {
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-1)).toBeGreaterThan(-1);
    expect(nextUp(-1)).toBeLessThan(-1 + Number.EPSILON);
    expect(nextUp(NEG)).toBe(-Number.MAX_VALUE);
    expect(nextUp(0.3) > 0.3).toBe(true);
  });
});

describe('thresholdAtFar', () => {
  // 1000 impostors 0.000, 0.001, ..., 0.999
  const impostor = sortDescending(range(1000, (i) => i / 1000));

  it('is the next float above the (k+1)-th highest impostor score', () => {
    // FAR 1e-2 allows k = 10 impostors: 0.990..0.999; the 11th highest is 0.989
    expect(thresholdAtFar(impostor, 1e-2)).toBe(nextUp(0.989));
    expect(countAtLeast(impostor, thresholdAtFar(impostor, 1e-2) as number)).toBe(10);
    // FAR 1e-3 allows 1 impostor
    expect(countAtLeast(impostor, thresholdAtFar(impostor, 1e-3) as number)).toBe(1);
    // FAR 1e-4 < 1/1000 allows none: threshold just above the maximum
    expect(thresholdAtFar(impostor, 1e-4)).toBe(nextUp(0.999));
  });

  it('is the smallest such threshold: the 11th highest impostor itself would exceed the target', () => {
    expect(countAtLeast(impostor, 0.989)).toBe(11);
  });

  it('rejects tied impostor scores together', () => {
    const tied = sortDescending([0.9, 0.8, 0.8, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
    // k = 2 allowed, but the 2nd and 3rd highest are tied at 0.8: only 0.9 may pass
    const t = thresholdAtFar(tied, 0.2) as number;
    expect(t).toBe(nextUp(0.8));
    expect(countAtLeast(tied, t)).toBe(1);
  });

  it('handles empty and permissive cases', () => {
    expect(thresholdAtFar(new Float64Array(0), 1e-3)).toBeNull();
    expect(thresholdAtFar(impostor, 1)).toBe(NEG);
  });
});

describe('operating points, ROC, EER, AUC', () => {
  it('computes TAR at FAR on separable scores', () => {
    const genuine = sortDescending([0.9, 0.8, 0.7, 0.6]);
    const impostor = sortDescending([0.65, 0.5, 0.4, 0.3]);
    const op = operatingPoint(genuine, impostor, 0.25);
    expect(op.threshold).toBe(nextUp(0.5));
    expect(op.tar).toBe(1);
    expect(op.far).toBe(0.25);
    expect(op.falseAccepts).toBe(1);
    const strict = operatingPoint(genuine, impostor, 0.1);
    expect(strict.threshold).toBe(nextUp(0.65));
    expect(strict.tar).toBe(0.75);
    expect(strict.far).toBe(0);
  });

  it('counts genuine pairs without a face as rejects at every finite threshold', () => {
    const m = verificationMetrics([0.9, NEG], [0.1, 0.2], [0.5]);
    expect(m.operatingPoints[0]?.tar).toBe(0.5);
    expect(m.genuine).toBe(2);
  });

  it('builds a ROC with one point per distinct score and diagonal steps on ties', () => {
    const roc = rocCurve([0.9, 0.5], [0.5, 0.1]);
    expect(roc).toEqual([
      { threshold: Number.POSITIVE_INFINITY, far: 0, tar: 0 },
      { threshold: 0.9, far: 0, tar: 0.5 },
      { threshold: 0.5, far: 0.5, tar: 1 },
      { threshold: 0.1, far: 1, tar: 1 },
    ]);
  });

  it('finds the EER where FAR and FRR cross exactly', () => {
    const roc = rocCurve([0.9, 0.8, 0.7, 0.6], [0.65, 0.5, 0.4, 0.3]);
    const { eer, threshold } = equalErrorRate(roc);
    expect(eer).toBeCloseTo(0.25, 12);
    expect(threshold).toBe(0.65);
  });

  it('interpolates the EER between ROC points', () => {
    // (FAR, FRR): at 0.9 → (0, 0.5); at the tie 0.5 → (0.5, 0); the segment crosses at 0.25
    const { eer } = equalErrorRate(rocCurve([0.9, 0.5], [0.5, 0.1]));
    expect(eer).toBeCloseTo(0.25, 12);
    expect(equalErrorRate(rocCurve([0.9, 0.8], [0.1, 0.2])).eer).toBe(0);
  });

  it('computes the AUC with ties counted half', () => {
    expect(areaUnderCurve([0.9, 0.8], [0.1, 0.2])).toBe(1);
    expect(areaUnderCurve([0.1, 0.2], [0.9, 0.8])).toBe(0);
    expect(areaUnderCurve([0.5], [0.5])).toBe(0.5);
    // pairs (g, i): (0.9 > 0.5, 0.9 > 0.1, 0.5 = 0.5 → ½, 0.5 > 0.1) = 3.5 / 4
    expect(areaUnderCurve([0.9, 0.5], [0.5, 0.1])).toBe(0.875);
    expect(areaUnderCurve([NEG], [NEG])).toBe(0.5);
  });

  it('matches a brute-force computation on random scores', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.round((seed / 2 ** 31) * 50) / 50;
    };
    const g = range(200, () => 0.3 + rnd());
    const im = range(2000, () => rnd());
    const m = verificationMetrics(g, im);
    for (const op of m.operatingPoints) {
      const t = op.threshold as number;
      expect(im.filter((s) => s >= t).length / im.length).toBeLessThanOrEqual(op.targetFar);
      expect(op.tar).toBe(g.filter((s) => s >= t).length / g.length);
      // any lower observed score would break the target
      const lower = Math.max(...im.filter((s) => s < t));
      expect(im.filter((s) => s >= lower).length / im.length).toBeGreaterThan(op.targetFar);
    }
    let wins = 0;
    for (const a of g) for (const b of im) wins += a > b ? 1 : a === b ? 0.5 : 0;
    expect(m.auc).toBeCloseTo(wins / (g.length * im.length), 12);
  });
});

describe('LFW protocol', () => {
  it('chooses the accuracy-maximising threshold between the classes', () => {
    const t = bestAccuracyThreshold([
      { score: 0.9, same: true },
      { score: 0.7, same: true },
      { score: 0.5, same: false },
      { score: 0.2, same: false },
    ]);
    expect(t).toBeCloseTo(0.6, 12);
  });

  it('picks the threshold on the other folds and scores the held-out fold', () => {
    const pairs = [
      // folds 1 and 2 separate at 0.5; fold 3 has a genuine pair at 0.45 (wrong under any such threshold)
      { score: 0.8, same: true, fold: 1 },
      { score: 0.3, same: false, fold: 1 },
      { score: 0.7, same: true, fold: 2 },
      { score: 0.2, same: false, fold: 2 },
      { score: 0.45, same: true, fold: 3 },
      { score: 0.1, same: false, fold: 3 },
    ];
    const r = lfwProtocol(pairs);
    expect(r.folds.map((f) => f.fold)).toEqual([1, 2, 3]);
    // fold 3's threshold comes from folds 1+2: midpoint of 0.7 and 0.3 → 0.5 → the 0.45 genuine is rejected
    expect(r.folds[2]?.threshold).toBeCloseTo(0.5, 12);
    expect(r.folds[2]?.accuracy).toBe(0.5);
    expect(r.folds[0]?.accuracy).toBe(1);
    expect(r.folds[1]?.accuracy).toBe(1);
    expect(r.accuracy).toBeCloseTo(2.5 / 3, 12);
    const mean = 2.5 / 3;
    const sd = Math.sqrt((2 * (1 - mean) ** 2 + (0.5 - mean) ** 2) / 2);
    expect(r.std).toBeCloseTo(sd, 12);
  });

  it('counts a missed face as "different": wrong for genuine, right for impostor', () => {
    const pairs = [
      { score: 0.9, same: true, fold: 1 },
      { score: 0.1, same: false, fold: 1 },
      { score: 0.9, same: true, fold: 2 },
      { score: NEG, same: true, fold: 2 },
      { score: NEG, same: false, fold: 2 },
      { score: 0.1, same: false, fold: 2 },
    ];
    const r = lfwProtocol(pairs);
    expect(r.folds[1]?.accuracy).toBe(0.75);
  });

  it('needs two folds', () => {
    expect(() => lfwProtocol([{ score: 1, same: true, fold: 1 }])).toThrow(/two folds/);
  });
});

describe('open-set identification', () => {
  const unit = (...v: number[]): Float32Array => {
    const n = Math.hypot(...v);
    return Float32Array.from(v.map((x) => x / n));
  };
  const images = [
    { identity: 'a', name: 'a/1.jpg', embedding: unit(1, 0, 0) },
    { identity: 'a', name: 'a/2.jpg', embedding: unit(0.9, 0.1, 0) },
    { identity: 'a', name: 'a/3.jpg', embedding: null },
    { identity: 'b', name: 'b/2.jpg', embedding: unit(0.1, 0.9, 0.2) },
    { identity: 'b', name: 'b/1.jpg', embedding: unit(0, 1, 0) },
    // c's probe is closer to a than to c: a misidentification
    { identity: 'c', name: 'c/1.jpg', embedding: unit(0, 0, 1) },
    { identity: 'c', name: 'c/2.jpg', embedding: unit(0.8, 0, 0.5) },
    // non-mated: one looks like b, one like nobody (best: c at cosine 0)
    { identity: 'x', name: 'x/1.jpg', embedding: unit(0.05, 1, 0) },
    { identity: 'y', name: 'y/1.jpg', embedding: unit(-1, -1, 0) },
  ];
  const split = openSetSplit(images);
  const results = searchProbes(split);

  it('puts the first photo of multi-photo identities in the gallery', () => {
    expect(split.gallery.map((g) => g.name)).toEqual(['a/1.jpg', 'b/1.jpg', 'c/1.jpg']);
    expect(split.mated.map((g) => g.name)).toEqual(['a/2.jpg', 'a/3.jpg', 'b/2.jpg', 'c/2.jpg']);
    expect(split.nonMated.map((g) => g.name)).toEqual(['x/1.jpg', 'y/1.jpg']);
  });

  it('ranks by max cosine and counts a probe without a face as a miss', () => {
    expect(results.map((r) => r.best)).toEqual(['a', null, 'b', 'a', 'b', 'c']);
    expect(rankOneRate(results)).toBe(0.5);
    const x = results[4];
    expect(x?.top1).toBeCloseTo(unit(0.05, 1, 0)[1] as number, 6);
  });

  it('computes FPIR, FNIR and misidentifications at a threshold and margin', () => {
    const r = openSetRates(results, 0.5);
    expect(r.fpir).toBe(0.5); // x accepted as b
    expect(r.fnir).toBe(0.5); // a/3 (no face), c/2 (wrong)
    expect(r.matedWrongAccept).toBe(0.25); // c/2 accepted as a
    const high = openSetRates(results, 1.01);
    expect(high.fpir).toBe(0);
    expect(high.fnir).toBe(1);
  });

  it('applies the margin to the gap between best and second-best identity', () => {
    const c2 = results[3];
    expect(c2 && accepts(c2, 0.5, 0)).toBe(true);
    const gap = (c2?.top1 ?? 0) - (c2?.top2 ?? 0);
    expect(c2 && accepts(c2, 0.5, gap + 1e-6)).toBe(false);
    expect(openSetRates(results, 0.5, gap + 1e-6).matedWrongAccept).toBe(0);
  });

  it('picks the FPIR threshold on non-mated top scores', () => {
    const t = thresholdAtFpir(results, 0.01) as number;
    expect(openSetRates(results, t).fpir).toBe(0);
    expect(t).toBe(nextUp(results[4]?.top1 as number));
  });
});
