/**
 * Engine profile: times each model call of one 640×480 one-face photo in isolation (in-process), to find
 * where the pipeline's time goes. `npx tsx bench/engine-profile.ts [--runs N]`.
 */
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { alignFace, mirror } from '../src/engine/alignment.js';
import { DLIB_CROP_SIZE, DlibEmbedder } from '../src/engine/dlib.embedder.js';
import { HumanFaceDetector } from '../src/engine/face-detector.js';
import { FrFeatureEmbedder } from '../src/engine/fr-feature.embedder.js';
import { FusionEmbedder } from '../src/engine/fusion.embedder.js';
import { decodeImage } from '../src/engine/image-decoder.js';
import { measureFace } from '../src/engine/quality.js';
import { tfjs } from '../src/engine/tfjs-runtime.js';
import { ThreadedFrFeatureEmbedder } from '../src/engine/threaded-fr-feature.embedder.js';
import { faceCrop } from '../test/fixtures/sample-faces.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;

async function time(label: string, fn: () => unknown): Promise<void> {
  for (let i = 0; i < 3; i++) await fn();
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  ms.sort((a, b) => a - b);
  const med = ms[Math.floor(ms.length / 2)]!;
  const cpuMs = (cpu.user + cpu.system) / 1000 / RUNS;
  console.log(
    // The minimum is the figure least disturbed by other jobs on a shared machine.
    `${label.padEnd(46)} min ${ms[0]!.toFixed(1).padStart(6)}  median ${med.toFixed(1).padStart(6)}  cpu ${cpuMs.toFixed(1).padStart(6)} ms`,
  );
}

const vga = await sharp(await faceCrop('s3-0'))
  .resize(640, 480, { fit: 'cover', position: 'top' })
  .jpeg({ quality: 90 })
  .toBuffer();
const limits = { maxImageBytes: 15e6, maxImagePixels: 40e6, detectMaxSide: 1280 };
const detector = new HumanFaceDetector();
await detector.load();
const tf = tfjs();
console.log(`tfjs backend ${tf.getBackend()}, SIMD ${String(tf.env().getBool('WASM_HAS_SIMD_SUPPORT'))}`);
const decoded = await decodeImage(vga, limits);
const faces = await detector.detect(decoded.detect);
const face = faces[0]!;
await time('decode (sharp)', () => decodeImage(vga, limits));
await time('detect (Human)', () => detector.detect(decoded.detect));
await time('quality (measureFace)', () => measureFace(decoded.full, face));
await time('align 112 + mirror', () => mirror(alignFace(decoded.full, face.landmarks, 112)));
for (const threads of [1, 2]) {
  const fr = new FrFeatureEmbedder({ intraOpThreads: threads });
  await fr.load();
  await time(`fr_feature ${threads} thread(s), no flip`, () => fr.embed(decoded.full, face.landmarks, false));
  await time(`fr_feature ${threads} thread(s), flip`, () => fr.embed(decoded.full, face.landmarks, true));
  await fr.close();
}
const dlib = new DlibEmbedder();
await dlib.load();
await time(`dlib ${DLIB_CROP_SIZE} no flip`, () => dlib.embed(decoded.full, face.landmarks, false));
await time(`dlib ${DLIB_CROP_SIZE} flip`, () => dlib.embed(decoded.full, face.landmarks, true));
for (const [label, fr] of [
  ['fusion, fr_feature in the JS thread', new FrFeatureEmbedder({ intraOpThreads: 1 })],
  ['fusion, fr_feature in its own thread', new ThreadedFrFeatureEmbedder({ intraOpThreads: 1 })],
] as const) {
  const fusion = new FusionEmbedder([
    { embedder: fr, weight: 0.3 },
    { embedder: dlib, weight: 0.7 },
  ]);
  await fusion.load();
  await time(`${label}, no flip`, () => fusion.embed(decoded.full, face.landmarks, false));
  await fr.close();
}
await detector.close();
