/**
 * Offline fusion / flip study from `facegate eval --embedder fusion --cache FILE` caches: splits each fused
 * embedding back into its members (by default fr_feature 512-d and dlib 128-d; see `--names` / `--dims`),
 * re-combines them with other weights and scores every variant with the same code as `facegate eval` (no image
 * is embedded again). Weight vectors: `--weights "0.3,0.7;0.5,0.5"`, or every point of the simplex with
 * `--grid STEP` (the default, step 0.1).
 *
 *   npx tsx bench/eval-fusion.ts --faces ../shared/faces --cache noflip=/tmp/fusion.jsonl \
 *     --cache flip=/tmp/fusion-flip.jsonl [--weights "0.3,0.7;0.5,0.5"] [--margin 0.05] [--json out.json]
 *   FACEGATE_FUSION='fr_feature*1+mobilefacenet*1+dlib*1' facegate eval --embedder fusion --cache /tmp/three.jsonl ...
 *   npx tsx bench/eval-fusion.ts --faces ../shared/faces --cache /tmp/three.jsonl \
 *     --names fr_feature,mobilefacenet,dlib --dims 512,192,128 --grid 0.1
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readEmbeddingCache } from '../src/eval/embedding-cache.js';
import { buildReport, type EvalReport } from '../src/eval/eval-report.js';
import { loadFacesDataset } from '../src/eval/faces-dataset.js';
import { combineMembers, membersFromCache } from '../src/eval/fusion-study.js';

const { values } = parseArgs({
  options: {
    faces: { type: 'string' },
    cache: { type: 'string', multiple: true },
    dims: { type: 'string', default: '512,128' },
    names: { type: 'string', default: 'fr_feature,dlib' },
    weights: { type: 'string' },
    grid: { type: 'string' },
    margin: { type: 'string', default: '0.05' },
    json: { type: 'string' },
  },
});
if (!values.faces || !values.cache?.length) {
  process.stderr.write('usage: eval-fusion --faces DIR --cache label=FILE [--cache label=FILE ...]\n');
  process.exit(2);
}
const dims = values.dims.split(',').map(Number);
const names = values.names.split(',');
const weightSets = weightVectors(values.weights, values.grid, names.length);
const dataset = await loadFacesDataset(values.faces);
const rows: { variant: string; report: EvalReport }[] = [];
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '–' : (x * 100).toFixed(2));

process.stdout.write(
  '| variant | found | LFW acc ± sd | TAR@1e-2 | TAR@1e-3 | TAR@1e-4 | EER | thr@1e-3 | thr@1e-4 | max imp | rank-1 | FNIR@FPIR1% | +margin |\n' +
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n',
);
for (const spec of values.cache) {
  const [label, file] = spec.includes('=') ? (spec.split('=', 2) as [string, string]) : ['', spec];
  const cache = readEmbeddingCache(file);
  const members = membersFromCache(cache.entries, dims);
  for (const ws of weightSets) {
    const variant = names
      .map((n, i) => [n, ws[i] ?? 0] as const)
      .filter(([, w]) => w > 0)
      .map(([n, w], _, used) => (used.length === 1 ? n : `${n}*${Number(w.toFixed(2))}`))
      .join('+');
    const name = `${variant}${label ? ` (${label})` : ''}`;
    const { report } = buildReport(dataset, combineMembers(members, ws), {
      engine: { ...cache.engine, model: variant ?? '' },
      embedder: variant ?? '',
      flip: cache.settings.flip,
      identify: true,
      margin: Number(values.margin),
      configured: undefined,
    });
    rows.push({ variant: name, report });
    const i = report.identify;
    process.stdout.write(
      `| ${name} | ${report.detected}/${report.images} | ${pct(report.lfw_accuracy)} ± ${pct(report.lfw_accuracy_std)} | ` +
        `${pct(report['tar_at_far_1e-2'])} | ${pct(report['tar_at_far_1e-3'])} | ${pct(report['tar_at_far_1e-4'])} | ` +
        `${pct(report.eer)} | ${report['threshold_at_far_1e-3']?.toFixed(4)} | ${report['threshold_at_far_1e-4']?.toFixed(4)} | ` +
        `${report.max_impostor_score?.toFixed(4)} | ${pct(i?.rank1)} | ${pct(i?.['fnir_at_fpir_1e-2'])} | ${pct(i?.['fnir_at_fpir_1e-2_with_margin'])} |\n`,
    );
  }
}
if (values.json) await writeFile(values.json, `${JSON.stringify(rows, null, 2)}\n`);

/** The weight vectors to score: an explicit list, else every point of the simplex grid. */
function weightVectors(list: string | undefined, grid: string | undefined, members: number): number[][] {
  if (list) return list.split(';').map((v) => v.split(',').map(Number));
  const steps = Math.round(1 / Number(grid ?? '0.1'));
  const out: number[][] = [];
  const walk = (prefix: number[], left: number): void => {
    if (prefix.length === members - 1) {
      out.push([...prefix, left].map((k) => k / steps));
      return;
    }
    for (let k = left; k >= 0; k--) walk([...prefix, k], left - k);
  };
  walk([], steps);
  return out;
}
