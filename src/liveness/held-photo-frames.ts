import sharp, { type Sharp } from 'sharp';
import { type PlanarPose, planarPoseHomography, warpPerspective } from './perspective-warp.js';

/**
 * A photo held up to a camera and moved through `poses`: one JPEG frame a pose (at `quality`), each the picture
 * warped in perspective, the same size, grey where the picture does not reach. `picture` is the photo as the
 * camera frames it (resized, padded), as a sharp pipeline of a three-channel image.
 */
export async function heldPhotoFrames(
  picture: Sharp,
  poses: readonly PlanarPose[],
  quality: number,
): Promise<Buffer[]> {
  const { data, info } = await picture.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const image = { data: new Uint8Array(data), width: info.width, height: info.height };
  return Promise.all(
    poses.map((pose) => {
      const warped = warpPerspective(image, planarPoseHomography(pose, image.width, image.height));
      return sharp(warped.data, { raw: { width: warped.width, height: warped.height, channels: 3 } })
        .jpeg({ quality })
        .toBuffer();
    }),
  );
}
