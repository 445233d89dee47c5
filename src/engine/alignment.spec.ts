import { describe, expect, it } from 'vitest';
import {
  ARCFACE_TEMPLATE_112,
  alignFace,
  applySimilarity,
  estimateSimilarity,
  invertSimilarity,
  mirror,
  type Similarity,
  templateInWindow,
  warpSimilarity,
} from './alignment.js';
import type { Point } from './face-engine.port.js';
import type { RgbImage } from './image-decoder.js';

function fromParts(scale: number, angleDeg: number, tx: number, ty: number): Similarity {
  const r = (angleDeg * Math.PI) / 180;
  return { a: scale * Math.cos(r), b: scale * Math.sin(r), tx, ty };
}

describe('estimateSimilarity', () => {
  it('recovers a known rotation, scale and translation exactly', () => {
    const truth = fromParts(2.5, 30, 17, -4);
    const src = ARCFACE_TEMPLATE_112 as readonly Point[];
    const dst = src.map((p) => applySimilarity(truth, p));
    const est = estimateSimilarity(src, dst);
    expect(est.a).toBeCloseTo(truth.a, 9);
    expect(est.b).toBeCloseTo(truth.b, 9);
    expect(est.tx).toBeCloseTo(truth.tx, 9);
    expect(est.ty).toBeCloseTo(truth.ty, 9);
    expect(Math.hypot(est.a, est.b)).toBeCloseTo(2.5, 9);
    expect((Math.atan2(est.b, est.a) * 180) / Math.PI).toBeCloseTo(30, 9);
  });

  it('is a least-squares fit when points are noisy', () => {
    const truth = fromParts(0.5, -12, 3, 8);
    const src: Point[] = [
      [0, 0],
      [100, 0],
      [50, 40],
      [10, 90],
      [90, 90],
    ];
    const noise = [
      [0.3, -0.2],
      [-0.1, 0.4],
      [0.2, 0.1],
      [-0.4, -0.1],
      [0.1, -0.3],
    ];
    const dst = src.map((p, i) => {
      const [x, y] = applySimilarity(truth, p);
      return [x + noise[i]![0]!, y + noise[i]![1]!] as Point;
    });
    const est = estimateSimilarity(src, dst);
    expect(Math.hypot(est.a, est.b)).toBeCloseTo(0.5, 2);
    expect((Math.atan2(est.b, est.a) * 180) / Math.PI).toBeCloseTo(-12, 0);
    const residual = (t: Similarity) =>
      src.reduce((s, p, i) => {
        const [x, y] = applySimilarity(t, p);
        return s + (x - dst[i]![0]) ** 2 + (y - dst[i]![1]) ** 2;
      }, 0);
    // Any perturbation of the estimate fits worse.
    for (const d of [0.001, -0.001]) {
      expect(residual(est)).toBeLessThan(residual({ ...est, a: est.a + d }));
      expect(residual(est)).toBeLessThan(residual({ ...est, b: est.b + d }));
      expect(residual(est)).toBeLessThan(residual({ ...est, tx: est.tx + d * 100 }));
    }
  });

  it('refuses degenerate input', () => {
    expect(() => estimateSimilarity([[1, 1]], [[2, 2]])).toThrow(RangeError);
    expect(() =>
      estimateSimilarity(
        [
          [1, 1],
          [1, 1],
        ],
        [
          [0, 0],
          [1, 1],
        ],
      ),
    ).toThrow(RangeError);
  });
});

describe('invertSimilarity', () => {
  it('round-trips points', () => {
    const t = fromParts(1.7, 123, -40, 12);
    const inv = invertSimilarity(t);
    const p: Point = [13.5, -7.25];
    const [x, y] = applySimilarity(inv, applySimilarity(t, p));
    expect(x).toBeCloseTo(p[0], 9);
    expect(y).toBeCloseTo(p[1], 9);
  });
});

function checkerboard(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = x;
      data[o + 1] = y;
      data[o + 2] = (x + y) % 256;
    }
  }
  return { data, width, height };
}

describe('warpSimilarity', () => {
  it('copies pixels under an integer translation and fills outside with black', () => {
    const img = checkerboard(50, 40);
    const crop = warpSimilarity(img, { a: 1, b: 0, tx: -10, ty: -5 }, 8);
    // crop(u, v) = img(u + 10, v + 5)
    expect(crop.data[0]).toBe(10);
    expect(crop.data[1]).toBe(5);
    const o = (7 * 8 + 3) * 3;
    expect(crop.data[o]).toBe(13);
    expect(crop.data[o + 1]).toBe(12);
    const outside = warpSimilarity(img, { a: 1, b: 0, tx: 100, ty: 100 }, 4);
    expect(Array.from(outside.data).every((v) => v === 0)).toBe(true);
  });

  it('interpolates bilinearly at half-pixel positions', () => {
    const img = checkerboard(20, 20);
    // Scale 2: crop(u, v) = img(u / 2, v / 2); at u = 3 the red channel is 1.5 → rounds to 2.
    const crop = warpSimilarity(img, { a: 2, b: 0, tx: 0, ty: 0 }, 10);
    expect(crop.data[(0 * 10 + 3) * 3]).toBe(2);
    expect(crop.data[(4 * 10 + 0) * 3 + 1]).toBe(2);
  });
});

describe('alignFace', () => {
  it('puts the landmarks of a rotated, scaled face onto the template', () => {
    // A synthetic face: bright dots at the five landmarks of a transformed template.
    const truth = fromParts(3, 20, 60, 30);
    const landmarks = ARCFACE_TEMPLATE_112.map((p) => applySimilarity(truth, p)) as unknown as Parameters<
      typeof alignFace
    >[1];
    const img: RgbImage = { data: new Uint8Array(500 * 500 * 3), width: 500, height: 500 };
    for (const [x, y] of landmarks) {
      for (let dy = -3; dy <= 3; dy++) {
        for (let dx = -3; dx <= 3; dx++) {
          const o = ((Math.round(y) + dy) * 500 + Math.round(x) + dx) * 3;
          img.data[o] = 255;
        }
      }
    }
    const crop = alignFace(img, landmarks);
    for (const [x, y] of ARCFACE_TEMPLATE_112) {
      expect(crop.data[(Math.round(y) * 112 + Math.round(x)) * 3]).toBe(255);
    }
    expect(crop.data[(10 * 112 + 10) * 3]).toBe(0);
  });
});

describe('templateInWindow', () => {
  it('is the template itself for the full 112-px window and scales with the window', () => {
    expect(templateInWindow(112, { x: 0, y: 0, side: 112 })).toEqual(ARCFACE_TEMPLATE_112);
    const half = templateInWindow(56, { x: 10, y: 20, side: 112 });
    expect(half[0][0]).toBeCloseTo((38.2946 - 10) / 2, 9);
    expect(half[0][1]).toBeCloseTo((51.6963 - 20) / 2, 9);
  });
});

describe('mirror', () => {
  it('reverses each row', () => {
    const img = checkerboard(5, 2);
    const m = mirror(img);
    expect(m.data[0]).toBe(4);
    expect(m.data[(1 * 5 + 4) * 3 + 1]).toBe(1);
    expect(mirror(m).data).toEqual(img.data);
  });
});
