import { spawn } from 'node:child_process';
import { at } from '../util/checked-access.js';

/** One decoded key frame. */
export interface KeyFrame {
  /** Baseline JPEG bytes. */
  jpeg: Uint8Array;
  /** Presentation time of the frame in the clip, in milliseconds. */
  timestampMs: number;
}

/** How {@link decodeKeyFrames} samples a clip. */
export interface KeyFrameOptions {
  /** Frames to take, evenly spaced over the clip (or the window). */
  frames: number;
  /** Longest side of the output frames in pixels; smaller clips are not enlarged. */
  maxSide: number;
  /** Start of the window in seconds (default 0). */
  startS?: number;
  /** Length of the window in seconds (default: to the end of the clip). */
  durationS?: number;
  /** The ffmpeg binary (default `ffmpeg` on the PATH; Debian's package). */
  ffmpeg?: string;
  /** The ffprobe binary (default `ffprobe`). */
  ffprobe?: string;
}

interface ProcessOutput {
  stdout: Buffer;
  stderr: string;
}

function run(command: string, args: readonly string[]): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr });
      else reject(new Error(`${command} exited with ${code}: ${stderr.slice(-400)}`));
    });
  });
}

/** Duration of a clip in seconds, from its container (ffprobe). */
export async function probeDurationS(path: string, ffprobe = 'ffprobe'): Promise<number> {
  const { stdout } = await run(ffprobe, [
    '-v',
    'error',
    '-show_entries',
    'format=duration',
    '-of',
    'default=noprint_wrappers=1:nokey=1',
    path,
  ]);
  const duration = Number.parseFloat(stdout.toString('utf8').trim());
  if (!Number.isFinite(duration) || duration <= 0) throw new Error(`No duration for ${path}`);
  return duration;
}

/** Splits a stream of concatenated JPEG images (ffmpeg's image2pipe) into single images. */
export function splitJpegStream(stream: Uint8Array): Uint8Array[] {
  const images: Uint8Array[] = [];
  let start = -1;
  for (let i = 0; i + 2 < stream.length; i++) {
    // Inside entropy-coded data 0xFF is always stuffed, so SOI right after EOI (or at 0) starts an image.
    const soi = stream[i] === 0xff && stream[i + 1] === 0xd8 && stream[i + 2] === 0xff;
    const afterEoi = i === 0 || (stream[i - 2] === 0xff && stream[i - 1] === 0xd9);
    if (soi && afterEoi) {
      if (start >= 0) images.push(stream.subarray(start, i));
      start = i;
    }
  }
  if (start >= 0) images.push(stream.subarray(start));
  return images;
}

/** Reads `pts_time:` of every frame from ffmpeg's showinfo log. */
export function parseShowinfoTimes(log: string): number[] {
  const times: number[] = [];
  for (const match of log.matchAll(/\bn:\s*\d+\s+pts:\s*-?\d+\s+pts_time:\s*(-?[\d.]+)/g)) {
    times.push(Number.parseFloat(at(match, 1)) * 1000);
  }
  return times;
}

/**
 * Decodes `frames` evenly spaced key frames of a video or animated GIF with ffmpeg, scaled down to
 * `maxSide`, as JPEG with their timestamps. For evaluation and tests: the server gets frames from the kiosk.
 */
export async function decodeKeyFrames(path: string, options: KeyFrameOptions): Promise<KeyFrame[]> {
  const start = options.startS ?? 0;
  const total = await probeDurationS(path, options.ffprobe);
  const duration = Math.max(0.05, Math.min(options.durationS ?? total - start, total - start));
  const rate = options.frames / duration;
  const side = Math.max(16, Math.round(options.maxSide));
  const filter = [
    `fps=${rate.toFixed(6)}`,
    'showinfo',
    `scale='min(${side},iw)':'min(${side},ih)':force_original_aspect_ratio=decrease:force_divisible_by=2`,
  ].join(',');
  const { stdout, stderr } = await run(options.ffmpeg ?? 'ffmpeg', [
    '-hide_banner',
    '-nostats',
    '-loglevel',
    'info',
    ...(start > 0 ? ['-ss', String(start)] : []),
    '-t',
    duration.toFixed(3),
    '-i',
    path,
    '-vf',
    filter,
    '-frames:v',
    String(options.frames),
    '-f',
    'image2pipe',
    '-c:v',
    'mjpeg',
    '-pix_fmt',
    'yuvj420p',
    '-q:v',
    '3',
    '-',
  ]);
  const jpegs = splitJpegStream(stdout);
  const times = parseShowinfoTimes(stderr);
  return jpegs.map((jpeg, i) => ({
    jpeg,
    timestampMs: Math.round(start * 1000 + (times[i] ?? (i * duration * 1000) / options.frames)),
  }));
}
