/**
 * Fake-camera videos for the liveness e2e tests (kiosk and self-service enrolment), built at test time with
 * Debian's `ffmpeg` from real media: a real head-turn clip from `../shared/media` (cut and re-timed to follow a
 * challenge's prompts), and a still photo shipped by an npm package, held still. Chromium plays a `.y4m` file as
 * its webcam (`--use-file-for-fake-video-capture`), looping it, and reads the file when a page opens the camera: a
 * test may write the video after the browser started, as long as it does so before the page opens the camera.
 */
import { execFile } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { captureSchedule } from '../../src/web/client/kiosk/liveness-schedule.js';
import type { LivenessAction } from '../../src/web/client/shared/liveness-types.js';

const run = promisify(execFile);

/** The decoder: Debian's `ffmpeg` (installed by `.ci/run`), or `FACEGATE_FFMPEG`. */
export const FFMPEG = process.env.FACEGATE_FFMPEG || 'ffmpeg';

/** The shared test media (not in the repository): `../shared/media` next to the checkout, or `FACEGATE_MEDIA_DIR`. */
export const MEDIA_DIR =
  process.env.FACEGATE_MEDIA_DIR || resolve(import.meta.dirname, '../../../shared/media');

/** Size and rate of every fake-camera video: what a kiosk webcam gives, and what Chromium's fake device plays. */
export const VIDEO = { width: 640, height: 480, fps: 15 } as const;

/**
 * The head-turn clip (SOURCES.md: "one real man with glasses at a webcam … clear yaw turns to both sides"),
 * 13.28 s, 960×540, 15 fps, not mirrored. Its segments, read off every frame with the server's own detector at
 * the kiosk's 640×480: the man faces the camera at 0–1.8 s (yaw −3°) and 12.0–13.2 s; from 6.6 s he turns his
 * head to HIS right (yaw +5° → +33° at 7.47 s), then on into a near profile that the detector no longer finds
 * (7.5–8.7 s); from 8.9 s to HIS left (yaw +3° → −37° at 9.57 s), again into a profile without a face
 * (9.6–11.5 s). A slight upward look is too small to count as `look_up`, and the clip shows no deliberate blink:
 * a challenge the clip can answer uses only the turns.
 *
 * Each turn is therefore played up to the last detectable frame and then held there the way a person holds a
 * pose while the kiosk takes its frames: the clip's own frames between `hold` and `to` (|yaw| from 8–16° up to 33–37°),
 * played back and forth, never a frozen frame.
 */
export const HEADTURN_CLIP = 'video/zubair_real_headturn_yaw.webm';

/** A segment of the head-turn clip, in seconds. */
interface Segment {
  from: number;
  to: number;
}

/** A turn: played from `from` to `to`, then held by playing `hold`…`to` back and forth. */
interface Turn extends Segment {
  hold: number;
}

const FRONTAL: Segment = { from: 0, to: 1.8 };
const FRONTAL_END: Segment = { from: 12.0, to: 13.2 };
const SEGMENTS: Partial<Record<LivenessAction, Turn>> = {
  turn_right: { from: 6.6, hold: 6.87, to: 7.47 },
  turn_left: { from: 8.9, hold: 9.17, to: 9.57 },
};

/** The actions the head-turn clip can perform (a challenge for the clip must use only these). */
export const CLIP_ACTIONS: readonly LivenessAction[] = ['turn_left', 'turn_right'];

/** The still frontal frame of the clip where the man faces the camera (to enrol him). */
export const CLIP_FRONTAL_SECOND = 0.8;

/**
 * Time between the kiosk opening the camera and its first prompt step: the preview starting, the kiosk's
 * automatic start (900 ms) and the challenge request. The clip's frontal opening covers it; an error of a few
 * hundred milliseconds either way still lands the frames of each step inside its segment (the frames of a step
 * are taken from 0.9 s after its prompt, and each turn is held until the segment ends).
 */
export const PREROLL_MS = 1300;

/** True when ffmpeg runs. */
export async function ffmpegAvailable(): Promise<boolean> {
  try {
    await run(FFMPEG, ['-version']);
    return true;
  } catch {
    return false;
  }
}

/** The path of the head-turn clip, or `null` when `../shared/media` is absent (the clip-based test skips). */
export async function headTurnClip(): Promise<string | null> {
  const path = join(MEDIA_DIR, HEADTURN_CLIP);
  try {
    await access(path);
    return path;
  } catch {
    return null;
  }
}

const FIT = `scale=${VIDEO.width}:${VIDEO.height}:force_original_aspect_ratio=increase,crop=${VIDEO.width}:${VIDEO.height}`;
const Y4M = ['-an', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', '-y'];

/** A video of a still photo, `seconds` long: every frame is the same picture (a photo held to the camera). */
export async function stillPhotoVideo(photo: string, out: string, seconds = 8): Promise<string> {
  await run(FFMPEG, [
    ...['-v', 'error', '-loop', '1', '-framerate', String(VIDEO.fps), '-t', String(seconds), '-i', photo],
    ...[
      '-vf',
      `scale=${VIDEO.width}:${VIDEO.height}:force_original_aspect_ratio=decrease,` +
        `pad=${VIDEO.width}:${VIDEO.height}:(ow-iw)/2:(oh-ih)/2:color=0x7a7f85,fps=${VIDEO.fps}`,
    ],
    ...Y4M,
    out,
  ]);
  return out;
}

/** One JPEG frame of a clip at `second` (to enrol the person of the clip). */
export async function clipFrame(clip: string, second: number, out: string): Promise<string> {
  await run(FFMPEG, [
    '-v',
    'error',
    '-ss',
    String(second),
    '-i',
    clip,
    '-frames:v',
    '1',
    '-q:v',
    '2',
    '-y',
    out,
  ]);
  return out;
}

/** How long each part of the video lasts for a challenge, in seconds: pre-roll + frontal step, then each action. */
export function promptedDurations(
  actions: readonly LivenessAction[],
  frames: { min: number; max: number },
): number[] {
  const plan = captureSchedule(actions, frames);
  return plan.steps.map((step, i) => (step.endMs - step.startMs + (i === 0 ? PREROLL_MS : 0)) / 1000);
}

/** Options of {@link promptedClipVideo}. */
export interface PromptedOptions {
  /**
   * Seconds of the man facing the camera after the challenge's part (the clip's frontal opening played back and
   * forth): what a camera shows when photos are taken after the challenge, before the video loops to the turns.
   */
  frontalTail?: number;
}

/** Seconds from the start of a prompted video to the end of its challenge's part (where a frontal tail begins). */
export function promptedSeconds(
  actions: readonly LivenessAction[],
  frames: { min: number; max: number },
): number {
  const parts = promptedDurations(actions, frames).reduce((a, b) => a + b, 0);
  return parts + (FRONTAL_END.to - FRONTAL_END.from);
}

/**
 * A video of the clip's man doing `actions` in order, timed on the kiosk's own capture schedule: the frontal
 * opening (stretched over the pre-roll and the frontal step), then each action's turn, held for its step, then
 * the frontal ending (slack for a late start) and the optional frontal tail. Throws for an action the clip does
 * not show.
 */
export async function promptedClipVideo(
  clip: string,
  actions: readonly LivenessAction[],
  frames: { min: number; max: number },
  out: string,
  options: PromptedOptions = {},
): Promise<string> {
  const durations = promptedDurations(actions, frames);
  const dir = await mkdtemp(join(tmpdir(), 'facegate-clip-'));
  try {
    const cut = cutter(clip, dir);
    const files = [await cut(FRONTAL, durations[0] ?? 2)];
    for (const [i, action] of actions.entries()) {
      const turn = SEGMENTS[action];
      if (!turn) throw new Error(`the head-turn clip does not show ${action}`);
      files.push(await heldTurn(cut, turn, durations[i + 1] ?? 2, join(dir, `turn-${i}.y4m`)));
    }
    files.push(await cut(FRONTAL_END, FRONTAL_END.to - FRONTAL_END.from));
    if (options.frontalTail) files.push(await frontalTail(cut, options.frontalTail, join(dir, 'tail.y4m')));
    await concat(files, join(dir, 'parts.txt'), out);
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

type Cut = (segment: Segment, seconds: number, reverse?: boolean) => Promise<string>;

/** Cuts segments of `clip` into numbered y4m files in `dir`, re-timed to `seconds` (and played backwards). */
function cutter(clip: string, dir: string): Cut {
  let n = 0;
  return async (segment, seconds, reverse = false) => {
    const file = join(dir, `part-${n++}.y4m`);
    const stretch = seconds / (segment.to - segment.from);
    const filters = [
      FIT,
      `setpts=${stretch.toFixed(4)}*PTS`,
      `fps=${VIDEO.fps}`,
      ...(reverse ? ['reverse'] : []),
    ];
    await run(FFMPEG, [
      ...['-v', 'error', '-ss', String(segment.from), '-t', String(segment.to - segment.from), '-i', clip],
      ...['-vf', filters.join(',')],
      ...Y4M,
      file,
    ]);
    return file;
  };
}

/** The turn at natural speed, then its held part back and forth, `seconds` long in all. */
async function heldTurn(cut: Cut, turn: Turn, seconds: number, out: string): Promise<string> {
  const into = turn.to - turn.from;
  const held = { from: turn.hold, to: turn.to };
  const span = turn.to - turn.hold;
  const files = [await cut({ from: turn.from, to: turn.to }, into)];
  const back = await cut(held, span, true);
  const forth = await cut(held, span);
  let filled = into;
  for (let i = 0; filled < seconds; i++, filled += span) files.push(i % 2 === 0 ? back : forth);
  await concat(files, `${out}.txt`, out, seconds);
  return out;
}

/** The frontal opening backwards then forwards, again and again, `seconds` long: a person facing the camera. */
async function frontalTail(cut: Cut, seconds: number, out: string): Promise<string> {
  const span = FRONTAL.to - FRONTAL.from;
  const back = await cut(FRONTAL, span, true);
  const forth = await cut(FRONTAL, span);
  const files: string[] = [];
  for (let filled = 0, i = 0; filled < seconds; i++, filled += span) files.push(i % 2 === 0 ? back : forth);
  await concat(files, `${out}.txt`, out, seconds);
  return out;
}

/** Joins y4m files into `out` (cut to `seconds` when given). */
async function concat(files: readonly string[], list: string, out: string, seconds?: number): Promise<void> {
  await writeFile(list, files.map((f) => `file '${f}'`).join('\n'));
  const cut = seconds === undefined ? [] : ['-t', seconds.toFixed(3)];
  await run(FFMPEG, ['-v', 'error', '-f', 'concat', '-safe', '0', '-i', list, ...cut, ...Y4M, out]);
}
