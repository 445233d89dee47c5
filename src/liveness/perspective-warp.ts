import type { RgbImage } from '../engine/image-decoder.js';
import { at } from '../util/checked-access.js';
import { applyHomography, fitHomography, type Homography, type Point2 } from './homography.js';

/** How a flat picture is held in front of the camera, relative to facing it squarely. */
export interface PlanarPose {
  /** Turn about the picture's vertical axis, degrees (positive = its right edge moves away). */
  yawDeg: number;
  /** Tilt about the horizontal axis, degrees (positive = its top edge moves away). */
  pitchDeg: number;
  /** In-plane rotation, degrees. */
  rollDeg: number;
  /** Apparent size factor (1 = as is; > 1 = held closer). */
  scale: number;
}

/**
 * The homography that maps output pixels to source pixels when the picture (size w×h) is rotated in 3-D
 * about its centre, moved closer by `scale` and seen by a pinhole camera with focal length `focal` pixels.
 */
export function planarPoseHomography(
  pose: PlanarPose,
  w: number,
  h: number,
  focal = Math.max(w, h),
): Homography {
  const rad = Math.PI / 180;
  const [cy, sy] = [Math.cos(pose.yawDeg * rad), Math.sin(pose.yawDeg * rad)];
  const [cp, sp] = [Math.cos(pose.pitchDeg * rad), Math.sin(pose.pitchDeg * rad)];
  const [cr, sr] = [Math.cos(pose.rollDeg * rad), Math.sin(pose.rollDeg * rad)];
  const distance = focal / pose.scale;
  const project = ([x0, y0]: Point2): Point2 => {
    const x = x0 - w / 2;
    const y = y0 - h / 2;
    const [xr, yr] = [x * cr - y * sr, x * sr + y * cr];
    // Yaw about the vertical axis, then pitch about the horizontal one.
    const [x1, z1] = [xr * cy, xr * sy];
    const [y2, z2] = [yr * cp, z1 + yr * -sp];
    const z = distance + z2;
    return [w / 2 + (focal * x1) / z, h / 2 + (focal * y2) / z];
  };
  const corners: Point2[] = [
    [0, 0],
    [w, 0],
    [w, h],
    [0, h],
  ];
  const fit = fitHomography(corners.map(project), corners);
  if (!fit) throw new Error('Degenerate planar pose');
  return fit.h;
}

/** Renders `image` through `outToSrc` (bilinear, grey outside the picture) into an image of the same size. */
export function warpPerspective(image: RgbImage, outToSrc: Homography): RgbImage {
  const { width, height, data } = image;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = applyHomography(outToSrc, [x + 0.5, y + 0.5]);
      const o = (y * width + x) * 3;
      const fx = sx - 0.5;
      const fy = sy - 0.5;
      if (fx < -0.5 || fy < -0.5 || fx > width - 0.5 || fy > height - 0.5) {
        out.fill(96, o, o + 3);
        continue;
      }
      const x0 = Math.max(0, Math.min(width - 1, Math.floor(fx)));
      const y0 = Math.max(0, Math.min(height - 1, Math.floor(fy)));
      const x1 = Math.min(width - 1, x0 + 1);
      const y1 = Math.min(height - 1, y0 + 1);
      const ax = Math.max(0, Math.min(1, fx - x0));
      const ay = Math.max(0, Math.min(1, fy - y0));
      for (let c = 0; c < 3; c++) {
        const p00 = at(data, (y0 * width + x0) * 3 + c);
        const p10 = at(data, (y0 * width + x1) * 3 + c);
        const p01 = at(data, (y1 * width + x0) * 3 + c);
        const p11 = at(data, (y1 * width + x1) * 3 + c);
        out[o + c] = Math.round((p00 * (1 - ax) + p10 * ax) * (1 - ay) + (p01 * (1 - ax) + p11 * ax) * ay);
      }
    }
  }
  return { width, height, data: out };
}
