import { describe, expect, it } from 'vitest';
import { applyHomography } from './homography.js';
import { planarPoseHomography, warpPerspective } from './perspective-warp.js';

describe('perspective warp', () => {
  it('is the identity for a picture held square at distance 1', () => {
    const h = planarPoseHomography({ yawDeg: 0, pitchDeg: 0, rollDeg: 0, scale: 1 }, 64, 48);
    const [x, y] = applyHomography(h, [10, 20]);
    expect(x).toBeCloseTo(10, 6);
    expect(y).toBeCloseTo(20, 6);
    const image = { width: 4, height: 3, data: Uint8Array.from({ length: 36 }, (_, i) => i * 7) };
    expect(Array.from(warpPerspective(image, h).data.slice(12, 24))).toEqual(
      Array.from(image.data.slice(12, 24)),
    );
  });

  it('narrows a picture turned about its vertical axis and enlarges one brought closer', () => {
    const turned = planarPoseHomography({ yawDeg: 40, pitchDeg: 0, rollDeg: 0, scale: 1 }, 100, 100);
    // Output x = 50 ± 30 maps to source points further out: the picture looks narrower.
    const left = applyHomography(turned, [20, 50])[0];
    const right = applyHomography(turned, [80, 50])[0];
    expect(right - left).toBeGreaterThan(60);
    const closer = planarPoseHomography({ yawDeg: 0, pitchDeg: 0, rollDeg: 0, scale: 2 }, 100, 100);
    expect(applyHomography(closer, [100, 50])[0]).toBeCloseTo(75, 6);
  });
});
