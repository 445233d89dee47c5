/**
 * Engine profile: times each model call of one 640×480 one-face photo in isolation (in-process), to find
 * where the pipeline's time goes. `npx tsx bench/engine-profile.ts [--runs N]`.
 */
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { alignFace, mirror } from '../src/engine/alignment.js';
import { DLIB_CROP_SIZE, DlibEmbedder } from '../src/engine/dlib.embedder.js';
import { HumanFaceDetector } from '../src/engine/face-detector.js';
import { FusionEmbedder } from '../src/engine/fusion.embedder.js';
import { decodeImage } from '../src/engine/image-decoder.js';
import { OnnxFaceEmbedder } from '../src/engine/onnx-face.embedder.js';
import { measureFace } from '../src/engine/quality.js';
import { tfjs } from '../src/engine/tfjs-runtime.js';
import { ThreadedOnnxFaceEmbedder } from '../src/engine/threaded-onnx-face.embedder.js';
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
for (const model of ['fr_feature', 'mobilefacenet'] as const) {
  for (const threads of [1, 2]) {
    const onnx = new OnnxFaceEmbedder({ model, intraOpThreads: threads });
    await onnx.load();
    await time(`${model} ${threads} thread(s), no flip`, () =>
      onnx.embed(decoded.full, face.landmarks, false),
    );
    await time(`${model} ${threads} thread(s), flip`, () => onnx.embed(decoded.full, face.landmarks, true));
    await onnx.close();
  }
}
const dlib = new DlibEmbedder();
await dlib.load();
await time(`dlib ${DLIB_CROP_SIZE} no flip`, () => dlib.embed(decoded.full, face.landmarks, false));
await time(`dlib ${DLIB_CROP_SIZE} flip`, () => dlib.embed(decoded.full, face.landmarks, true));
for (const [label, fr] of [
  [
    'fr_feature+dlib, fr_feature in the JS thread',
    new OnnxFaceEmbedder({ model: 'fr_feature', intraOpThreads: 1 }),
  ],
  [
    'fr_feature+dlib, fr_feature in its own thread',
    new ThreadedOnnxFaceEmbedder({ model: 'fr_feature', intraOpThreads: 1 }),
  ],
] as const) {
  const fusion = new FusionEmbedder([
    { embedder: fr, weight: 0.3 },
    { embedder: dlib, weight: 0.7 },
  ]);
  await fusion.load();
  await time(`${label}, no flip`, () => fusion.embed(decoded.full, face.landmarks, false));
  await fr.close();
}
for (const threaded of [false, true]) {
  const make = (model: 'fr_feature' | 'mobilefacenet') =>
    threaded
      ? new ThreadedOnnxFaceEmbedder({ model, intraOpThreads: 1 })
      : new OnnxFaceEmbedder({ model, intraOpThreads: 1 });
  const members = [make('fr_feature'), make('mobilefacenet')];
  const fusion = new FusionEmbedder(members.map((embedder) => ({ embedder, weight: 0.5 })));
  await fusion.load();
  const where = threaded ? 'each in its own thread' : 'both in the JS thread';
  await time(`fr_feature+mobilefacenet, ${where}`, () => fusion.embed(decoded.full, face.landmarks, false));
  await fusion.close();
}
{
  const onnx = (['fr_feature', 'mobilefacenet'] as const).map(
    (model) => new ThreadedOnnxFaceEmbedder({ model, intraOpThreads: 1 }),
  );
  const fusion = new FusionEmbedder([
    { embedder: onnx[0]!, weight: 0.3 },
    { embedder: onnx[1]!, weight: 0.3 },
    { embedder: dlib, weight: 0.4 },
  ]);
  await fusion.load();
  await time('fr_feature+mobilefacenet+dlib, ONNX in threads', () =>
    fusion.embed(decoded.full, face.landmarks, false),
  );
  for (const e of onnx) await e.close();
}
await detector.close();
