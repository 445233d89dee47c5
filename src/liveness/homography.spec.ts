import { describe, expect, it } from 'vitest';
import { applyHomography, fitHomography, type Homography, type Point2 } from './homography.js';
import { similarityResidual } from './planar-motion.js';

const GRID: Point2[] = [];
for (let x = 0; x <= 100; x += 20) for (let y = 0; y <= 120; y += 20) GRID.push([x + 200, y + 150]);

describe('fitHomography', () => {
  it('recovers a known projective transform from noiseless points', () => {
    const truth: Homography = [1.1, 0.05, -12, -0.08, 0.95, 20, 0.0004, -0.0002, 1];
    const fit = fitHomography(
      GRID,
      GRID.map((p) => applyHomography(truth, p)),
    );
    expect(fit).toBeDefined();
    expect(fit!.rms).toBeLessThan(1e-6);
    fit!.h.forEach((v, i) => {
      expect(v).toBeCloseTo(truth[i]!, 6);
    });
  });

  it('leaves a residual for points that do not lie on a plane', () => {
    // A bump in the middle: the centre points move with depth, the rim does not.
    const moved = GRID.map(([x, y]): Point2 => {
      const bump = Math.exp(-((x - 250) ** 2 + (y - 210) ** 2) / 800);
      return [x + 15 * bump, y];
    });
    expect(fitHomography(GRID, moved)!.rms).toBeGreaterThan(1);
  });

  it('refuses fewer than four points and collinear points', () => {
    expect(fitHomography(GRID.slice(0, 3), GRID.slice(0, 3))).toBeUndefined();
    const line: Point2[] = [0, 1, 2, 3, 4].map((i) => [i * 10, i * 5]);
    expect(fitHomography(line, line)).toBeUndefined();
  });
});

describe('similarityResidual', () => {
  it('is zero for a rotation + scale + shift and positive for a squeeze', () => {
    const c = Math.cos(0.3) * 1.5;
    const s = Math.sin(0.3) * 1.5;
    const sim = GRID.map(([x, y]): Point2 => [c * x - s * y + 7, s * x + c * y - 3]);
    expect(similarityResidual(GRID, sim)).toBeLessThan(1e-9);
    const squeezed = GRID.map(([x, y]): Point2 => [x * 0.7, y]);
    expect(similarityResidual(GRID, squeezed)).toBeGreaterThan(1);
  });
});
