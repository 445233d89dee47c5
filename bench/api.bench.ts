/**
 * API benchmark: starts the real server on 127.0.0.1 (temp data dir, worker-thread engine), waits for `/readyz`,
 * enrolls a few fixture people over HTTP, then runs up to three scenarios at concurrency 1, 4 and 16 for a bounded
 * time each:
 * - `photo`: POST /v1/authenticate with one photo, by a kiosk key whose liveness mode is `off`;
 * - `challenge`: POST /v1/liveness/challenges, then the answer with 8 frames (the enrolled person's photo held up and
 *   turned in perspective, as a kiosk would send them). Those frames are a picture, so the server refuses them
 *   (planar): an attack, where no prompted action shows in the key frames, so every frame is analysed (the worst
 *   case); passes and refusals are both counted;
 * - `challenge-live` (when `../shared/media` is present): the answer with 8 frames of the real head-turn clip, at a
 *   kiosk's capture times, to a challenge `turn_right, turn_left` (issued until drawn, as the e2e test does); the
 *   man is enrolled, so a pass is also matched: the cost of a challenge-verified authentication that passes.
 * Prints throughput, p50/p95 latency, the server's mean decision time for `photo` (from `/metrics`, read with a
 * generated token), CPU ms per 2xx answer, non-2xx counts by status and peak RSS.
 * `npm run bench:api [-- --seconds 15] [--levels 1,4,16] [--detectors human,mediapipe-onnx]` (several detectors: the
 * whole run once per detector, then the photo scenario's figures as ratios to the first).
 * Targets (2 cores): p50 ≤ 50 ms at c=1, ≥ 30 auth/s at c=16, only 503s.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { startServer } from '../src/app/server-lifecycle.js';
import { loadConfig } from '../src/config/config.js';
import { cliActor } from '../src/domain/access.js';
import { heldPhotoFrames } from '../src/liveness/held-photo-frames.js';
import { at } from '../src/util/checked-access.js';
import { clipFrame, headTurnClip } from '../test/e2e/liveness-video.js';
import { faceCrops, transform } from '../test/fixtures/sample-faces.js';

/** The comma-separated values after `--name`, or `fallback` when the option is absent. */
function listArg(name: string, fallback: string[]): string[] {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? '').split(',').filter(Boolean) : fallback;
}

const SECONDS = Number(listArg('--seconds', ['15'])[0]);
const CONCURRENCY = listArg('--levels', ['1', '4', '16']).map(Number);
/** `--detectors human,mediapipe-onnx`: the whole run once per detector; without it, the configured detector. */
const DETECTORS: (string | undefined)[] = listArg('--detectors', []);
if (DETECTORS.length === 0) DETECTORS.push(process.env.FACEGATE_DETECTOR);
const PEOPLE = 5;
const FRAMES = 8;
/** Seconds of the head-turn clip a kiosk captures for `turn_right, turn_left`: frontal ×2, right ×3, left ×3. */
const LIVE_SECONDS = [0.5, 0.9, 7.0, 7.2, 7.4, 9.3, 9.45, 9.55];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A photo held up in front of the camera and turned: perspective warps at webcam resolution. */
function heldFrames(jpeg: Buffer): Promise<Buffer[]> {
  const yaws = [0, -15, -30, -15, 0, 15, 30, 15].slice(0, FRAMES);
  const poses = yaws.map((yawDeg, i) => ({ yawDeg, pitchDeg: 0, rollDeg: 0, scale: 1 + i * 0.02 }));
  return heldPhotoFrames(sharp(jpeg).resize({ width: 640, height: 480, fit: 'cover' }), poses, 85);
}

/** A kiosk-like probe: the mirrored shot at webcam resolution. */
async function probeOf(jpeg: Buffer): Promise<Buffer> {
  return sharp(await transform(jpeg, 'flip'))
    .resize({ width: 640, height: 480, fit: 'cover' })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** The live burst (640 × 480) and an enrolment photo of the clip's man, or `null` without the clip. */
async function liveBurst(dir: string): Promise<{ frames: Buffer[]; enrol: Buffer } | null> {
  const clip = await headTurnClip();
  if (!clip) return null;
  const grab = async (second: number, i: number) =>
    sharp(await clipFrame(clip, second, join(dir, `live-${i}.jpg`)))
      .resize({ width: 640, height: 480, fit: 'cover' })
      .jpeg({ quality: 85 })
      .toBuffer();
  const frames = await Promise.all(LIVE_SECONDS.map(grab));
  return { frames, enrol: await grab(1.2, 99) };
}

/** Set-up calls on a busy machine: a `503` (the server's backpressure) is waited out, per `Retry-After`, and retried. */
async function patiently(call: () => Promise<Response>): Promise<Response> {
  for (let i = 0; ; i++) {
    const res = await call();
    if (res.status !== 503 || i >= 30) return res;
    await res.arrayBuffer();
    await sleep(1000 * Number(res.headers.get('retry-after') || 1));
  }
}

/** The models load after the server listens; until then requests get 503 (bounded wait). */
async function waitUntilReady(url: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const res = await fetch(`${url}/readyz`);
    await res.arrayBuffer();
    if (res.status === 200) return;
    await sleep(500);
  }
  throw new Error('server not ready after 120 s');
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return at(sorted, Math.min(sorted.length - 1, Math.floor(q * sorted.length)));
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 200);

/** A running server and the keys the bench calls it with. */
interface Target {
  url: string;
  admin: string;
  kiosk: string;
  challengeKiosk: string;
  metricsToken: string;
}

/** Enrols one person (employee, then one photo, retried on 503); throws unless the photo is added. */
async function enrol(t: Target, badge: string, jpeg: Buffer): Promise<void> {
  const created = await fetch(`${t.url}/v1/employees`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ badge, firstName: 'Bench', lastName: badge }),
  });
  const { id } = (await created.json()) as { id: string };
  const enrolled = await patiently(() => {
    const form = new FormData();
    form.append('photo', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), `${badge}.jpg`);
    return fetch(`${t.url}/v1/employees/${id}/faces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.admin}` },
      body: form,
    });
  });
  const result = (await enrolled.json()) as { added?: number };
  if (result.added !== 1) throw new Error(`enrollment of ${badge} failed: ${JSON.stringify(result)}`);
}

/** What each scenario sends: one probe per person, one held-up burst per person, the live burst when present. */
interface Fixtures {
  probes: Buffer[];
  bursts: Buffer[][];
  live: Buffer[] | null;
}

async function enrolFixtures(t: Target, dataDir: string): Promise<Fixtures> {
  const fixtures: Fixtures = { probes: [], bursts: [], live: null };
  for (const [i, crop] of (await faceCrops()).slice(0, PEOPLE).entries()) {
    await enrol(t, `BENCH-${i}`, crop.jpeg);
    fixtures.probes.push(await probeOf(crop.jpeg));
    fixtures.bursts.push(await heldFrames(crop.jpeg));
  }
  const live = await liveBurst(dataDir);
  if (live) {
    await enrol(t, 'BENCH-LIVE', live.enrol);
    fixtures.live = live.frames;
  }
  return fixtures;
}

interface Outcome {
  status: number;
  ms: number;
  decision?: string;
  liveness?: string;
  retryAfter: number;
}

async function authenticate(t: Target, probe: Buffer): Promise<Outcome> {
  const t0 = performance.now();
  const res = await fetch(`${t.url}/v1/authenticate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.kiosk}`, 'content-type': 'image/jpeg' },
    body: probe,
  });
  const json = (await res.json()) as { decision?: string };
  return {
    status: res.status,
    ms: performance.now() - t0,
    decision: json.decision,
    retryAfter: Number(res.headers.get('retry-after') ?? 0),
  };
}

interface Challenge {
  id: string;
  nonce: string;
  actions: string[];
}

/** A challenge for the challenge kiosk (drawn again until it is `actions`, when given), or the refusal's status. */
async function issueChallenge(t: Target, actions?: string[]): Promise<Challenge | number> {
  const body = actions ? JSON.stringify({ exclude: ['blink', 'look_up', 'come_closer'] }) : '{}';
  for (;;) {
    const issued = await fetch(`${t.url}/v1/liveness/challenges`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.challengeKiosk}`, 'content-type': 'application/json' },
      body,
    });
    // 400: three actions drawn from the two left; draw again.
    if (issued.status === 400) await issued.arrayBuffer();
    else if (issued.status !== 201) {
      await issued.arrayBuffer();
      return issued.status;
    } else {
      const c = (await issued.json()) as Challenge;
      if (!actions || c.actions.join() === actions.join()) return c;
    }
  }
}

/** One challenge-verified authentication: ask for a challenge (of `actions` when given), answer it with the burst. */
async function authenticateWithChallenge(t: Target, frames: Buffer[], actions?: string[]): Promise<Outcome> {
  const t0 = performance.now();
  const c = await issueChallenge(t, actions);
  if (typeof c === 'number') return { status: c, ms: performance.now() - t0, retryAfter: 1 };
  const form = new FormData();
  form.set('challengeId', c.id);
  form.set('nonce', c.nonce);
  const start = Date.now();
  form.set('timestamps', JSON.stringify(frames.map((_, i) => start + i * 400)));
  for (const [i, f] of frames.entries())
    form.append('frames', new Blob([new Uint8Array(f)], { type: 'image/jpeg' }), `f${i}.jpg`);
  const res = await fetch(`${t.url}/v1/authenticate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.challengeKiosk}` },
    body: form,
  });
  const json = (await res.json()) as { decision?: string; liveness?: { outcome: string } };
  return {
    status: res.status,
    ms: performance.now() - t0,
    decision: json.decision,
    liveness: json.liveness?.outcome,
    retryAfter: Number(res.headers.get('retry-after') ?? 0),
  };
}

/** Sum and count of the engine's `total` stage so far, from /metrics (server-side time per decision). */
async function engineTotals(t: Target): Promise<{ sum: number; count: number }> {
  const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.metricsToken}` } });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  const pick = (name: string) =>
    Number(new RegExp(`^${name}\\{stage="total"\\} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    sum: pick('facegate_engine_stage_seconds_sum'),
    count: pick('facegate_engine_stage_seconds_count'),
  };
}

type Scenario = 'photo' | 'challenge' | 'challenge-live';

/** The request a scenario's `i`-th call sends. */
function scenarioCall(t: Target, f: Fixtures, scenario: Scenario): (i: number) => Promise<Outcome> {
  if (scenario === 'photo') return (i) => authenticate(t, at(f.probes, i % f.probes.length));
  if (scenario === 'challenge' || !f.live)
    return (i) => authenticateWithChallenge(t, at(f.bursts, i % f.bursts.length));
  const frames = f.live;
  return () => authenticateWithChallenge(t, frames, ['turn_right', 'turn_left']);
}

/** What one level (one scenario at one concurrency) measured. */
interface LevelResult {
  ok: number;
  matches: number;
  latencies: number[];
  statuses: Map<number, number>;
  outcomes: Map<string, number>;
  elapsed: number;
  cpuMs: number;
  engineMs: number;
}

/** `concurrency` clients, each waiting for its answer before sending again, until the level's deadline. */
async function runLevel(t: Target, call: (i: number) => Promise<Outcome>, concurrency: number) {
  const r: LevelResult = {
    ...{ ok: 0, matches: 0, latencies: [], statuses: new Map(), outcomes: new Map() },
    ...{ elapsed: 0, cpuMs: 0, engineMs: 0 },
  };
  peakRss = process.memoryUsage().rss;
  const engineBefore = await engineTotals(t);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  let next = 0;
  const client = async () => {
    while (performance.now() < deadline) {
      const o = await call(next++);
      if (o.status >= 200 && o.status < 300) {
        r.ok++;
        r.latencies.push(o.ms);
        if (o.decision === 'match') r.matches++;
        const key = o.liveness ? `liveness ${o.liveness}` : (o.decision ?? '?');
        r.outcomes.set(key, (r.outcomes.get(key) ?? 0) + 1);
        continue;
      }
      r.statuses.set(o.status, (r.statuses.get(o.status) ?? 0) + 1);
      // Honour backpressure like a real kiosk would: wait for Retry-After (bounded by the level's deadline).
      if (o.status === 503)
        await sleep(Math.min(o.retryAfter * 1000 || 1000, Math.max(0, deadline - performance.now())));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  r.elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  r.cpuMs = (cpu.user + cpu.system) / 1000 / Math.max(1, r.ok);
  const engineAfter = await engineTotals(t);
  r.engineMs =
    ((engineAfter.sum - engineBefore.sum) / Math.max(1, engineAfter.count - engineBefore.count)) * 1000;
  r.latencies.sort((a, b) => a - b);
  return r;
}

const TABLE_HEAD =
  '| detector | scenario | concurrency | requests | auth/s | p50 ms | p95 ms | server mean ms | CPU ms per 2xx | ' +
  'outcomes | non-2xx by status | peak RSS MB | load avg |\n' +
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |';

/** One level's row; "server mean" only for `photo`: a challenge's frame analyses are not in the engine's metric. */
function tableRow(detector: string, scenario: Scenario, concurrency: number, r: LevelResult): string {
  const failed = [...r.statuses.values()].reduce((a, b) => a + b, 0);
  const errors = [...r.statuses].map(([s, n]) => `${s}: ${n}`).join(', ') || 'none';
  const seen = [...r.outcomes].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none';
  return (
    `| ${detector} | ${scenario} | ${concurrency} | ${r.ok + failed} | ${(r.ok / r.elapsed).toFixed(1)} | ` +
    `${quantile(r.latencies, 0.5).toFixed(0)} | ${quantile(r.latencies, 0.95).toFixed(0)} | ` +
    `${scenario === 'photo' ? r.engineMs.toFixed(0) : '–'} | ${r.cpuMs.toFixed(0)} | ${seen} (matches ${r.matches}/${r.ok}) | ${errors} | ` +
    `${(peakRss / 1024 / 1024).toFixed(0)} | ${at(loadavg(), 0).toFixed(1)} |`
  );
}

/** The figures detectors are compared on: the photo scenario at the lowest and the highest level. */
interface Headline {
  detector: string;
  p50AtLowest: number;
  cpuMsAtLowest: number;
  perSecondAtHighest: number;
}

/** Starts a server with `detector` (the configured one when undefined) and the bench's keys and settings. */
async function startTarget(detector: string | undefined, dataDir: string) {
  if (detector) process.env.FACEGATE_DETECTOR = detector;
  process.env.FACEGATE_DATA_DIR = dataDir;
  process.env.FACEGATE_ENV ??= 'test';
  // /metrics answers only with its token: the bench reads the server's own decision time from it.
  process.env.FACEGATE_METRICS_TOKEN ??= randomBytes(24).toString('base64url');
  const server = await startServer(
    loadConfig(process.env, {
      host: '127.0.0.1',
      port: 0,
      logLevel: 'warn',
      security: { rateLimitPerMinute: 1_000_000 },
    }),
    { handleSignals: false },
  );
  const { ctx, url } = server;
  await waitUntilReady(url);
  const key = (name: string, role: 'admin' | 'kiosk') => ctx.auth.apiKeys.create(cliActor(), { name, role });
  const [admin, kiosk, challengeKiosk] = [
    await key('bench admin', 'admin'),
    await key('bench kiosk', 'kiosk'),
    await key('bench liveness kiosk', 'kiosk'),
  ];
  // The photo kiosk is a trusted device (liveness off); the other keeps the default, challenge.
  await ctx.livenessLogin.setKeyMode(cliActor(), kiosk.key.id, 'off');
  // Refused challenges count at the door: a high lockout threshold keeps the bench measuring work, not delays.
  await ctx.auth.settings.patch(cliActor(), { lockout: { threshold: 1000, hardCap: 100_000 } });
  const target: Target = {
    ...{ url, admin: admin.secret, kiosk: kiosk.secret, challengeKiosk: challengeKiosk.secret },
    metricsToken: process.env.FACEGATE_METRICS_TOKEN,
  };
  return { server, target };
}

/** The whole run (every scenario at every level) against one server with `detector`. */
async function benchDetector(detector: string | undefined): Promise<Headline> {
  const dataDir = await mkdtemp(join(tmpdir(), 'facegate-bench-api-'));
  const { server, target } = await startTarget(detector, dataDir);
  const { engine, config } = server.ctx;
  const name = detector ?? config.engine.detector;
  const headline: Headline = {
    detector: name,
    p50AtLowest: NaN,
    cpuMsAtLowest: NaN,
    perSecondAtHighest: NaN,
  };
  try {
    const fixtures = await enrolFixtures(target, dataDir);
    for (let i = 0; i < 6; i++) await authenticate(target, at(fixtures.probes, i % fixtures.probes.length)); // warm-up
    console.log(
      `\nfacegate API benchmark — ${cpus()[0]?.model ?? 'cpu'} ×${availableParallelism()}, ${PEOPLE} enrolled, ` +
        `${SECONDS}s per level, engine ${engine.info.model}@${engine.info.version}, workers ${config.engine.workers}`,
    );
    console.log(TABLE_HEAD);
    const scenarios: Scenario[] = [
      'photo',
      'challenge',
      ...(fixtures.live ? (['challenge-live'] as const) : []),
    ];
    for (const scenario of scenarios)
      for (const [level, concurrency] of CONCURRENCY.entries()) {
        const r = await runLevel(target, scenarioCall(target, fixtures, scenario), concurrency);
        console.log(tableRow(name, scenario, concurrency, r));
        if (scenario !== 'photo') continue;
        if (level === 0)
          [headline.p50AtLowest, headline.cpuMsAtLowest] = [quantile(r.latencies, 0.5), r.cpuMs];
        if (level === CONCURRENCY.length - 1) headline.perSecondAtHighest = r.ok / r.elapsed;
      }
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return headline;
}

/** The photo scenario's headline figures of every detector, each as a ratio to the first detector's. */
function printRatios(headlines: Headline[]): void {
  const first = at(headlines, 0);
  const [low, high] = [at(CONCURRENCY, 0), at(CONCURRENCY, CONCURRENCY.length - 1)];
  console.log(
    `\nphoto scenario against ${first.detector} in this run (targets: p50 ≤ 50 ms at 1 client, ≥ 30 auth/s at 16):`,
  );
  const ratio = (a: number, b: number) => `×${(a / b).toFixed(2)}`;
  for (const h of headlines)
    console.log(
      `  ${h.detector.padEnd(22)} p50 at ${low} ${h.p50AtLowest.toFixed(0).padStart(5)} ms (${ratio(h.p50AtLowest, first.p50AtLowest)})  ` +
        `CPU per 2xx at ${low} ${h.cpuMsAtLowest.toFixed(0).padStart(5)} ms (${ratio(h.cpuMsAtLowest, first.cpuMsAtLowest)})  ` +
        `auth/s at ${high} ${h.perSecondAtHighest.toFixed(1).padStart(5)} (${ratio(h.perSecondAtHighest, first.perSecondAtHighest)})`,
    );
}

try {
  const headlines: Headline[] = [];
  for (const detector of DETECTORS) headlines.push(await benchDetector(detector));
  if (headlines.length > 1) printRatios(headlines);
} finally {
  clearInterval(sampler);
}
