import { describe, expect, it } from 'vitest';
import { livenessCrop } from './fr-liveness.model.js';

describe('fr_liveness crop', () => {
  it('enlarges the box 2.7× around its centre', () => {
    expect(livenessCrop({ x: 450, y: 450, width: 100, height: 100 }, 1000, 1000)).toEqual({
      x: 365,
      y: 365,
      width: 270,
      height: 270,
    });
  });

  it('shrinks the context when the image is too small and shifts the crop inside it', () => {
    const crop = livenessCrop({ x: 0, y: 10, width: 100, height: 100 }, 200, 150);
    expect(crop.x).toBeGreaterThanOrEqual(0);
    expect(crop.y).toBeGreaterThanOrEqual(0);
    expect(crop.x + crop.width).toBeLessThanOrEqual(200);
    expect(crop.y + crop.height).toBeLessThanOrEqual(150);
    expect(crop.height).toBe(149);
  });
});
