/**
 * Liveness evaluation on real media: `npx tsx bench/liveness-eval.ts [DIR ...]`.
 * Each DIR holds `live/` and `spoof/` (stills and/or clips). With no DIR it stages ../shared/media (its
 * `video/` clips sorted into live/spoof by SOURCES.md through symlinks in a temp folder) and ../shared/spoof.
 * Prints one JSON object per DIR; the last line is the combined figures.
 */
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createEngine } from '../src/app/local-engine.js';
import { loadConfig } from '../src/config/config.js';
import { buildLivenessReport, evaluateLiveness, type PresentationResult } from '../src/eval/liveness-eval.js';
import { FrLivenessModel } from '../src/liveness/fr-liveness.model.js';
import { LivenessVerifier, livenessLimitsFor } from '../src/liveness/liveness.verifier.js';

const SHARED = resolve(import.meta.dirname, '..', '..', 'shared');
/** Labels of ../shared/media/video from its SOURCES.md; the minivision GIF mixes a live woman with attacks. */
const CLIP_LABELS: Record<string, 'live' | 'spoof'> = {
  'liveportrait_driving_d3.mp4': 'live',
  'liveportrait_driving_d9.mp4': 'live',
  'liveportrait_driving_d12.mp4': 'live',
  'liveportrait_driving_d14.mp4': 'live',
  'liveportrait_driving_d19.mp4': 'live',
  'sadtalker_ref_WDA_AlexandriaOcasioCortez_000.mp4': 'live',
  'sadtalker_ref_WDA_KatieHill_000.mp4': 'live',
  'suegreen_orlando_bloom_interview.avi': 'live',
  'zubair_real_headturn_yaw.webm': 'live',
  'zubair_spoof_replay_phone.webm': 'spoof',
  'manikantha_spoof_replay_screen.mp4': 'spoof',
  'minivision_demo_live_replay_print.gif': 'spoof',
};

async function stageMedia(root: string): Promise<string> {
  const stage = await mkdtemp(join(tmpdir(), 'facegate-liveness-'));
  for (const label of ['live', 'spoof'] as const) {
    await mkdir(join(stage, label));
    for (const f of await readdir(join(root, label)))
      await symlink(join(root, label, f), join(stage, label, f));
  }
  for (const f of await readdir(join(root, 'video'))) {
    const label = CLIP_LABELS[f];
    if (label) await symlink(join(root, 'video', f), join(stage, label, f));
    else process.stderr.write(`unlabelled clip skipped: ${f}\n`);
  }
  return stage;
}

const args = process.argv.slice(2);
const frames = Number(process.env.LIVENESS_FRAMES ?? 12);
const maxSide = Number(process.env.LIVENESS_MAX_SIDE ?? 480);
const config = loadConfig({ NODE_ENV: 'test' }, { engine: { workers: 0 } });
const engine = createEngine(config);
const verifier = new LivenessVerifier(livenessLimitsFor(config.engine.detector));
await engine.load();
// faceplugin's passive model, scored on every still (LIVENESS_PASSIVE=0 skips it).
const passive = process.env.LIVENESS_PASSIVE === '0' ? undefined : new FrLivenessModel();
const staged = args.length ? [] : [await stageMedia(join(SHARED, 'media'))];
const dirs = args.length ? args : [...staged, join(SHARED, 'spoof')];
const all: PresentationResult[] = [];
try {
  for (const dir of dirs) {
    const started = Date.now();
    const report = await evaluateLiveness(engine, dir, {
      frames,
      maxSide,
      verifier,
      ...(passive ? { passive } : {}),
      onItem: (name) => process.stderr.write(`  ${name}\n`),
    });
    all.push(...report.presentations);
    for (const p of report.presentations) {
      const tag = `${p.label}/${p.file} [${p.kind}] ${p.actions.join(',')}`;
      console.log(`${tag.padEnd(80)} ${p.outcome.padEnd(7)} planar=${p.planar ?? '-'} ${p.failed.join(' ')}`);
    }
    const { presentations: _omit, ...figures } = report;
    console.log(JSON.stringify({ dir, seconds: Math.round((Date.now() - started) / 1000), ...figures }));
  }
  const { presentations: _p, ...combined } = buildLivenessReport(all, verifier.planarThreshold);
  console.log(JSON.stringify({ frames, maxSide, ...combined }));
} finally {
  await engine.close();
  await passive?.close();
  for (const s of staged) await rm(s, { recursive: true, force: true });
}
