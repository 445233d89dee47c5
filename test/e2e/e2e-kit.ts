import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { zipSync } from 'fflate';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { build } from 'vite';
import type { ApiContext } from '../../src/api/api-context.js';
import type { App } from '../../src/app/composition-root.js';
import { startServer } from '../../src/app/server-lifecycle.js';
import { type DeepPartial, type FacegateConfig, loadConfig } from '../../src/config/config.js';
import { noteMissingCalibration } from '../fixtures/calibration-check.js';
import { chromiumPath } from './chromium-check.js';

/** `FACEGATE_CHROMIUM`, else Debian's Chromium; never a downloaded browser. */
export const CHROMIUM = chromiumPath();

/** A strong test password (tests only). */
export const PASSWORD = 'correct horse battery staple';

const BASE_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-extensions',
];

/**
 * Launches Chromium. With `fakeVideo`, the webcam is Chromium's fake device playing that .y4m file and the
 * permission prompt is auto-accepted; without it the browser has no camera at all (upload fallback).
 */
export function launchBrowser(fakeVideo?: string): Promise<Browser> {
  const camera = fakeVideo
    ? [
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${fakeVideo}`,
      ]
    : [];
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_ARGS, ...camera] });
}

/** Builds the web client into dist/web (what `npm run build:web` does), so tests run the current sources. */
export async function buildWeb(): Promise<void> {
  await build({ configFile: join(import.meta.dirname, '../../src/web/vite.config.ts'), logLevel: 'error' });
}

/**
 * The real server (real SQLite, real engine, role policy, calibrated thresholds, web UI) on a loopback port.
 * A model without calibration makes every match fail with `NOT_READY` (and says so on stderr).
 */
export interface RunningFacegate {
  url: string;
  server: FastifyInstance;
  ctx: ApiContext;
  app: App;
  setupToken: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Starts facegate over a fresh temp data directory; `overrides` adjust the config (e.g. lockout limits), `server`
 * the HTTP server (e.g. a longer event-loop delay before `503 OVERLOADED` on a busy test machine).
 */
export async function startFacegate(
  overrides: DeepPartial<FacegateConfig> = {},
  server: { maxEventLoopDelayMs?: number } = {},
): Promise<RunningFacegate> {
  const dataDir = await mkdtemp(join(tmpdir(), 'facegate-e2e-'));
  const config = loadConfig(
    { FACEGATE_ENV: 'test', FACEGATE_DATA_DIR: dataDir, FACEGATE_ENGINE_WORKERS: '0', FACEGATE_PORT: '0' },
    { ...overrides, security: { rateLimitPerMinute: 100_000, ...overrides.security } },
  );
  const running = await startServer(config, {
    handleSignals: false,
    announceSetupToken: false,
    // The engine runs in the server's thread: the event-loop check is off unless a test asks for it (on a loaded
    // machine its detections keep the loop late for seconds, which the check rightly reads as overload).
    server: { logger: false, maxEventLoopDelayMs: 0, ...server },
  });
  noteMissingCalibration(running.app.engine.info.model);
  return {
    url: running.url,
    server: running.server,
    ctx: running.ctx,
    app: running.app,
    setupToken: running.setupToken ?? '',
    dataDir,
    async close() {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Writes a YUV4MPEG2 video (640×480, 10 fps, 4:2:0 JPEG chroma siting) showing `photo` fitted on a grey
 * background, `frames` frames, each shifted by a pixel or two so the picture is not perfectly still.
 */
export async function writeY4m(photo: Buffer, file: string, frames = 10): Promise<string> {
  const W = 640;
  const H = 480;
  const SW = W + 4;
  const SH = H + 4;
  const fitted = await sharp(photo)
    .resize({ width: W - 40, height: H, fit: 'inside' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const data = await sharp({ create: { width: SW, height: SH, channels: 3, background: '#7a7f85' } })
    .composite([
      {
        input: fitted.data,
        raw: { width: fitted.info.width, height: fitted.info.height, channels: 3 },
        left: Math.round((SW - fitted.info.width) / 2),
        top: Math.round((SH - fitted.info.height) / 2),
      },
    ])
    .removeAlpha()
    .raw()
    .toBuffer();
  const chunks: Buffer[] = [Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < frames; f++) {
    const dx = f % 3;
    const dy = (f >> 1) % 3;
    const y = Buffer.alloc(W * H);
    const u = Buffer.alloc((W / 2) * (H / 2));
    const v = Buffer.alloc((W / 2) * (H / 2));
    const rgb = (px: number, py: number): [number, number, number] => {
      const i = ((py + dy) * SW + (px + dx)) * 3;
      return [data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0];
    };
    for (let py = 0; py < H; py++) {
      for (let px = 0; px < W; px++) {
        const [r, g, b] = rgb(px, py);
        y[py * W + px] = clamp(0.299 * r + 0.587 * g + 0.114 * b);
      }
    }
    for (let cy = 0; cy < H / 2; cy++) {
      for (let cx = 0; cx < W / 2; cx++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (const [ox, oy] of [
          [0, 0],
          [1, 0],
          [0, 1],
          [1, 1],
        ] as const) {
          const [pr, pg, pb] = rgb(cx * 2 + ox, cy * 2 + oy);
          r += pr / 4;
          g += pg / 4;
          b += pb / 4;
        }
        u[cy * (W / 2) + cx] = clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128);
        v[cy * (W / 2) + cx] = clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128);
      }
    }
    chunks.push(Buffer.from('FRAME\n'), y, u, v);
  }
  await writeFile(file, Buffer.concat(chunks));
  return file;
}

function clamp(x: number): number {
  return Math.max(0, Math.min(255, Math.round(x)));
}

/** Collects console errors and uncaught exceptions of a page. */
export function watchConsole(page: Page): { errors: string[] } {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`${page.url()}: uncaught ${err.message}`));
  return { errors };
}

// Browser-side code is passed as strings: the server tsconfig has no DOM types.
const UNLABELLED = `(() => {
  const bad = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const byFor = el.id ? document.querySelector('label[for="' + CSS.escape(el.id) + '"]') : null;
    const wrapped = el.closest('label');
    const aria = (el.getAttribute('aria-label') || '').trim() || (el.getAttribute('aria-labelledby') || '').trim();
    if (!byFor && !wrapped && !aria) bad.push(el.outerHTML.slice(0, 120));
  }
  return bad;
})()`;

/** Form controls with no accessible label (label[for], wrapping label, aria-label or aria-labelledby). */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return (await page.evaluate(UNLABELLED)) as string[];
}

/** Number of form controls on the page (to make sure the label check looked at something). */
export async function controlCount(page: Page): Promise<number> {
  return (await page.evaluate(`document.querySelectorAll('input, select, textarea').length`)) as number;
}

/** Horizontal overflow of the page in CSS pixels (0 when it fits the viewport). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return (await page.evaluate(
    `Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth)`,
  )) as number;
}

/**
 * Writes `<dataDir>/calibration/last.json` in the shape `facegate eval --save-calibration` writes, with an
 * illustrative ROC, so the settings page has a curve and per-preset figures to show.
 */
export async function writeCalibration(dataDir: string): Promise<void> {
  const roc = [];
  for (let l = -5; l <= 0.001; l += 0.25) {
    roc.push({ far: 10 ** l, tar: 1 - 0.3 * 10 ** (-(l + 6) * 0.3), threshold: 0.2 - l * 0.06 });
  }
  const preset = (far: number, threshold: number) => ({
    threshold,
    target_far: far,
    far: far * 0.8,
    tar: 1 - 0.3 * 10 ** (-(Math.log10(far) + 6) * 0.3),
  });
  const file = {
    format: 1,
    created_at: '2026-11-20T10:00:00.000Z',
    faces_dir: 'test calibration',
    genuine_pairs: 3000,
    impostor_pairs: 3000,
    presets: { strict: preset(1e-5, 0.5), balanced: preset(1e-4, 0.44), lenient: preset(1e-3, 0.38) },
    roc,
  };
  await mkdir(join(dataDir, 'calibration'), { recursive: true });
  await writeFile(join(dataDir, 'calibration', 'last.json'), JSON.stringify(file));
}

/** Writes a zip of deflated entries (fflate: the import checks CRCs and sizes). */
export async function writeZip(
  file: string,
  entries: Array<{ name: string; data: Buffer }>,
): Promise<string> {
  await writeFile(file, zipSync(Object.fromEntries(entries.map((e) => [e.name, new Uint8Array(e.data)]))));
  return file;
}

/** Screenshots of the last run (git-ignored); `npm run docs:screenshots` copies them into docs/screenshots. */
export const SCREENSHOTS = join(import.meta.dirname, '../../test-results/screenshots');

/** Saves a screenshot under test-results/screenshots. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}
