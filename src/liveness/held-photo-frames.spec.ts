import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { heldPhotoFrames } from './held-photo-frames.js';

/** A 64×48 picture with an alpha channel: a bright square on a dark ground. */
function picture() {
  return sharp({
    create: { width: 64, height: 48, channels: 4, background: { r: 20, g: 30, b: 40, alpha: 1 } },
  }).composite([
    {
      input: { create: { width: 24, height: 24, channels: 3, background: { r: 240, g: 220, b: 200 } } },
      left: 20,
      top: 12,
    },
  ]);
}

describe('held-photo frames', () => {
  it('gives one JPEG a pose, each the size of the picture as framed', async () => {
    const poses = [0, -30, 30].map((yawDeg) => ({ yawDeg, pitchDeg: 0, rollDeg: 0, scale: 1 }));
    const frames = await heldPhotoFrames(picture(), poses, 90);
    expect(frames).toHaveLength(3);
    for (const frame of frames) {
      expect(await sharp(frame).metadata()).toMatchObject({ format: 'jpeg', width: 64, height: 48 });
    }
  });

  it('shows the picture as it is when held square, and grey around it when turned away', async () => {
    const [square, turned] = await heldPhotoFrames(
      picture(),
      [
        { yawDeg: 0, pitchDeg: 0, rollDeg: 0, scale: 1 },
        { yawDeg: 60, pitchDeg: 0, rollDeg: 0, scale: 1 },
      ],
      95,
    );
    const pixel = async (jpeg: Buffer | undefined, x: number, y: number) => {
      const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      return Array.from(data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3));
    };
    const [r, g, b] = await pixel(square, 32, 24);
    expect(r).toBeGreaterThan(220);
    expect(g).toBeGreaterThan(200);
    expect(b).toBeGreaterThan(180);
    // Turned 60°, the picture no longer reaches the frame's corner: the warp's grey (96) fills it.
    for (const c of await pixel(turned, 1, 1)) expect(Math.abs(c - 96)).toBeLessThan(8);
  });
});
