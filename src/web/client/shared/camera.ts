/** Webcam helpers shared by the kiosk and the admin enrollment page. */

/** Why the camera could not be used. */
export type CameraProblem = 'no-camera' | 'denied';

/** A camera failure with its user-facing category. */
export class CameraError extends Error {
  readonly problem: CameraProblem;
  constructor(problem: CameraProblem, message: string) {
    super(message);
    this.name = 'CameraError';
    this.problem = problem;
  }
}

/** Opens the front camera (video only); throws {@link CameraError}. */
export async function openCamera(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CameraError(
      'no-camera',
      'This browser cannot use a camera here (a secure https:// page is needed).',
    );
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: 'user', width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch (error) {
    const name = error instanceof DOMException ? error.name : '';
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      throw new CameraError('denied', 'Camera permission was denied.');
    }
    throw new CameraError('no-camera', 'No camera is available.');
  }
}

/** Stops every track of a stream. */
export function stopCamera(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/** Waits until a video element shows frames. */
export function whenPlaying(video: HTMLVideoElement, signal: AbortSignal): Promise<void> {
  if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && video.videoWidth > 0)
    return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      if (video.videoWidth > 0) resolve();
    };
    video.addEventListener('loadeddata', done, { signal });
    video.addEventListener('playing', done, { signal });
    signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true });
  });
}

/** One captured frame: JPEG bytes plus its mean luminance in [0, 1] for a local "too dark" check. */
export interface CapturedFrame {
  blob: Blob;
  brightness: number;
  width: number;
  height: number;
}

/**
 * Grabs the current frame of a playing video as a JPEG (not mirrored), scaled down to at most `maxWidth` pixels
 * wide when given (the challenge frames: small uploads, and what the server analyses anyway).
 */
export async function captureFrame(
  video: HTMLVideoElement,
  quality = 0.92,
  maxWidth = Number.POSITIVE_INFINITY,
): Promise<CapturedFrame> {
  if (!video.videoWidth || !video.videoHeight) throw new Error('The camera shows no picture yet.');
  const scale = Math.min(1, maxWidth / video.videoWidth);
  const width = Math.round(video.videoWidth * scale);
  const height = Math.round(video.videoHeight * scale);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('Canvas is not available.');
  ctx.drawImage(video, 0, 0, width, height);
  const brightness = meanLuminance(ctx, width, height);
  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error('Could not encode the frame.'))),
      'image/jpeg',
      quality,
    ),
  );
  return { blob, brightness, width, height };
}

function meanLuminance(ctx: CanvasRenderingContext2D, width: number, height: number): number {
  // Sample the central region (where the face guide is) on a coarse grid; cheap and good enough for "too dark".
  const x0 = Math.floor(width * 0.25);
  const y0 = Math.floor(height * 0.15);
  const w = Math.max(1, Math.floor(width * 0.5));
  const h = Math.max(1, Math.floor(height * 0.7));
  const { data } = ctx.getImageData(x0, y0, w, h);
  let sum = 0;
  let n = 0;
  const step = 4 * 7;
  for (let i = 0; i + 2 < data.length; i += step) {
    sum += 0.2126 * (data[i] ?? 0) + 0.7152 * (data[i + 1] ?? 0) + 0.0722 * (data[i + 2] ?? 0);
    n++;
  }
  return n === 0 ? 0 : sum / n / 255;
}
