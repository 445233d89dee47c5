/**
 * Bulk enrolment benchmark: the same folder imported by the old pipeline (Human's detector, in-process engine, one
 * employee at a time), the old import path with the default detector, and the new ones (several photos in flight, commits in plan order; in-process as `facegate enroll DIR` runs it,
 * and through the engine's worker pool as with FACEGATE_ENGINE_WORKERS), each into a fresh data directory, in turns
 * within one run. Times include start-up: opening the store, loading the models (in every pool worker) and the
 * import itself.
 *
 * `npm run bench:enroll [-- --faces ../shared/faces] [--photos 208] [--rounds 1]`: the first `--photos` photos of
 * the LFW-style folder (`<person>/<photo>`, people in name order), one employee per person, named by badge.
 */
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/app/composition-root.js';
import { loadConfig } from '../src/config/config.js';
import { type ImportSummary, importInFlight, planImport, runImport } from '../src/services/bulk-import.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const FACES = resolve(arg('faces', resolve(import.meta.dirname, '../../shared/faces')));
const PHOTOS = Number(arg('photos', '208'));
const ROUNDS = Number(arg('rounds', '1'));
const WORKERS = Number(arg('workers', String(availableParallelism())));

/** A temporary folder of `<badge>_<First>_<Last>_<n>.jpg` copies of the first PHOTOS photos of FACES. */
async function importFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'facegate-enroll-bench-'));
  const people = (await readdir(FACES, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  let n = 0;
  for (const [p, person] of people.sort().entries()) {
    const files = (await readdir(join(FACES, person))).filter((f) => f.endsWith('.jpg')).sort();
    const [first, ...rest] = person.split('_');
    const last = rest.join(' ').replace(/[^\p{L} '-]/gu, '') || 'X';
    for (const [k, file] of files.entries()) {
      if (n >= PHOTOS) return dir;
      const name = `B${String(p + 1).padStart(5, '0')}_${first}_${last.replace(/ /g, '_')}_${k + 1}.jpg`;
      await copyFile(join(FACES, person, file), join(dir, name));
      n++;
    }
  }
  return dir;
}

interface Path {
  label: string;
  workers: number;
  inFlight: number;
  /** `FACEGATE_DETECTOR` for this path; the default detector when absent. */
  detector?: string;
}

async function runPath(path: Path, folder: string) {
  const dataDir = await mkdtemp(join(tmpdir(), 'facegate-enroll-bench-data-'));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const app = await createApp(
    loadConfig(
      {
        ...process.env,
        FACEGATE_ENV: 'test',
        FACEGATE_DATA_DIR: dataDir,
        ...(path.detector === undefined ? {} : { FACEGATE_DETECTOR: path.detector }),
      },
      { engine: { workers: path.workers } },
    ),
  );
  let summary: ImportSummary;
  let loaded = 0;
  try {
    await app.engine.load();
    loaded = performance.now() - t0;
    const plan = await planImport(folder);
    summary = await runImport(
      app.services.enrollment,
      folder,
      plan,
      { type: 'cli', id: 'bench' },
      {
        inFlight: path.inFlight,
      },
    );
  } finally {
    await app.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await rm(dataDir, { recursive: true, force: true });
  return { seconds, loaded, summary, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

async function main(): Promise<void> {
  const folder = await importFolder();
  const photos = (await readdir(folder)).length;
  console.log(
    `facegate bulk enrolment benchmark — ${new Date().toISOString()} — ${availableParallelism()} × ${cpus()[0]?.model ?? '?'}`,
  );
  console.log(
    `${photos} photos from ${FACES}; load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const paths: Path[] = [
    { label: 'old pipeline: Human detector, one at a time', workers: 0, inFlight: 1, detector: 'human' },
    { label: 'old path: in-process engine, one at a time', workers: 0, inFlight: 1 },
    {
      label: `new: in-process engine, ${importInFlight(0)} photos in flight`,
      workers: 0,
      inFlight: importInFlight(0),
    },
    {
      label: `new: pool of ${WORKERS}, ${importInFlight(WORKERS)} photos in flight`,
      workers: WORKERS,
      inFlight: importInFlight(WORKERS),
    },
  ];
  const times = paths.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, path] of paths.entries()) {
      const r = await runPath(path, folder);
      times[k]!.push(r.seconds);
      const s = r.summary;
      console.log(
        `  ${path.label.padEnd(48)} ${r.seconds.toFixed(2).padStart(6)} s (models ready after ${(r.loaded / 1000).toFixed(2)} s)  ${(photos / r.seconds).toFixed(1).padStart(5)} photos/s  main-process CPU ${r.cpuSeconds.toFixed(1)} s  added ${s.photosAdded}, rejected ${s.rejected}, employees ${s.employeesCreated}`,
      );
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const old = median(times[0]!);
  console.log('\nmedians (target ≥ 25 photos/s, start-up included):');
  for (const [k, path] of paths.entries()) {
    const t = median(times[k]!);
    console.log(
      `  ${path.label.padEnd(48)} ${(photos / t).toFixed(1).padStart(5)} photos/s  ×${(old / t).toFixed(2)}`,
    );
  }
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  await rm(folder, { recursive: true, force: true });
}

await main();
