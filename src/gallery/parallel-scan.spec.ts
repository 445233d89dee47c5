import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { FastScanCodes, pairLimit, wasmSimdAvailable } from './fast-scan.js';
import { CHUNK_ROWS, type HelperSpawner, ParallelScan } from './parallel-scan.js';
import { seededRandom } from './seeded-random.js';

const SUBSPACES = 8;
const DEPTH = 256;
/** Five chunks and a part: the caller and the helper each take some. */
const ROWS = 5 * CHUNK_ROWS + 1234;

function filledCodes(rows: number, seed: number): FastScanCodes {
  const random = seededRandom(seed);
  const codes = new FastScanCodes(SUBSPACES, DEPTH, 'wasm');
  codes.ensure(rows);
  const row = new Uint8Array(SUBSPACES);
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < SUBSPACES; s++) row[s] = Math.floor(random() * 16);
    codes.set(r, row);
  }
  return codes;
}

/** Random tables; a small `levels` makes many rows tie (the lower row wins). */
function randomTables(random: () => number, levels: number): Uint8Array {
  const top = Math.min(levels, Math.floor(pairLimit(SUBSPACES / 2) / 2));
  return Uint8Array.from({ length: SUBSPACES * 16 }, () => Math.floor(random() * (top + 1)));
}

function rowsOf(codes: FastScanCodes): number[] {
  const out = new Int32Array(DEPTH);
  return [...out.subarray(0, codes.heapRows(0, out))];
}

/** The rows one thread keeps for the current tables. */
function alone(codes: FastScanCodes, rows: number): number[] {
  codes.resetHeap(0);
  codes.select(0, rows, 0);
  return rowsOf(codes);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

/**
 * Runs selections with random tables until the helper took part in `wanted` of them (or `limit` ran), checking each
 * against the one-thread result; returns in how many the helper took part.
 */
function compareMany(
  scan: ParallelScan,
  codes: FastScanCodes,
  rows: number,
  seed: number,
  wanted = 5,
  limit = 400,
) {
  const random = seededRandom(seed);
  let helped = 0;
  for (let i = 0; i < limit && helped < wanted; i++) {
    codes.setTables(randomTables(random, i % 2 === 0 ? 1000 : 2));
    const run = scan.select(rows);
    const parallel = rowsOf(codes);
    if (run.helperChunks > 0) helped++;
    expect(run.chunks).toBe(Math.ceil(rows / CHUNK_ROWS));
    expect(parallel).toEqual(alone(codes, rows));
  }
  return helped;
}

const started: ParallelScan[] = [];

/**
 * The helper at normal priority (in the product it takes the lowest): it then takes part even when the machine
 * running the tests is busy, so that the two-thread path is exercised.
 */
const eager: HelperSpawner = (source, data) =>
  new Worker(source, { eval: true, workerData: { ...data, nice: 0 } });

function start(codes: FastScanCodes, spawn?: HelperSpawner): ParallelScan | null {
  const scan = ParallelScan.start(codes, spawn);
  if (scan) started.push(scan);
  return scan;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((scan) => scan.close()));
});

describe.skipIf(!wasmSimdAvailable())('selection on two threads sharing the codes', () => {
  it('keeps exactly the rows of a one-thread scan, with the helper scanning some chunks', async () => {
    const codes = filledCodes(ROWS, 1);
    const scan = start(codes, eager);
    if (!scan) throw new Error('a helper was expected');
    await until(() => scan.ready, 'the helper');
    expect(compareMany(scan, codes, ROWS, 2)).toBeGreaterThan(0);
  });

  it('keeps the same rows with the helper at the lowest priority, as the product starts it, and leaves this thread at its own', async () => {
    const priority = getPriority();
    const codes = filledCodes(3 * CHUNK_ROWS + 99, 13);
    const scan = start(codes);
    if (!scan) throw new Error('a helper was expected');
    await until(() => scan.ready, 'the helper');
    compareMany(scan, codes, 3 * CHUNK_ROWS + 99, 14, 1, 50);
    expect(getPriority()).toBe(priority);
  });

  it('keeps working when the codes grow past a chunk boundary while the helper exists', async () => {
    const codes = filledCodes(2 * CHUNK_ROWS + 16, 3);
    const scan = start(codes, eager);
    if (!scan) throw new Error('a helper was expected');
    await until(() => scan.ready, 'the helper');
    compareMany(scan, codes, 2 * CHUNK_ROWS + 16, 4, 1);
    const before = codes.byteLength();
    const rows = 4 * CHUNK_ROWS + 77;
    codes.ensure(rows);
    expect(codes.byteLength()).toBeGreaterThan(before);
    const random = seededRandom(5);
    const row = new Uint8Array(SUBSPACES);
    for (let r = 2 * CHUNK_ROWS + 16; r < rows; r++) {
      for (let s = 0; s < SUBSPACES; s++) row[s] = Math.floor(random() * 16);
      codes.set(r, row);
    }
    expect(compareMany(scan, codes, rows, 6)).toBeGreaterThan(0);
    expect(scan.ready).toBe(true);
  });

  it('scans the chunk a stalled helper is on itself and uses the heap it published before, with the same rows', async () => {
    const codes = filledCodes(4 * CHUNK_ROWS, 15);
    // A helper that stalls 30 ms (as if another process took its core) on its first chunk of even jobs and its
    // second chunk of odd ones: then the caller takes over, with or without a heap published before.
    const stalling: HelperSpawner = (source, data) => {
      const call = 'select(layout.codesAt';
      expect(source).toContain(call);
      const stall = 'if (done === job % 2) { const until = Date.now() + 30; while (Date.now() < until); } ';
      return eager(source.replace(call, stall + call), data);
    };
    const scan = start(codes, stalling);
    if (!scan) throw new Error('a helper was expected');
    await until(() => scan.ready, 'the helper');
    const random = seededRandom(16);
    let takenOver = 0;
    // Back to back: the next job starts while the helper is still stalled in the last one.
    for (let i = 0; i < 400 && (takenOver === 0 || i < 40); i++) {
      codes.setTables(randomTables(random, i % 2 === 0 ? 1000 : 2));
      const run = scan.select(4 * CHUNK_ROWS);
      if (run.takenOver) takenOver++;
      expect(rowsOf(codes)).toEqual(alone(codes, 4 * CHUNK_ROWS));
    }
    expect(takenOver).toBeGreaterThan(0);
    expect(scan.ready).toBe(true);
  });

  it('scans alone, with the same rows, once the helper is closed (and closing twice is harmless)', async () => {
    const codes = filledCodes(3 * CHUNK_ROWS, 7);
    const scan = start(codes);
    if (!scan) throw new Error('a helper was expected');
    await until(() => scan.ready, 'the helper');
    await scan.close();
    await scan.close();
    expect(scan.ready).toBe(false);
    codes.setTables(randomTables(seededRandom(8), 1000));
    const run = scan.select(3 * CHUNK_ROWS);
    expect(run.helperChunks).toBe(0);
    const rows = rowsOf(codes);
    expect(rows).toEqual(alone(codes, 3 * CHUNK_ROWS));
  });

  it('falls back to one thread, with the same rows, when the helper cannot start, never gets ready, exits or fails', async () => {
    const codes = filledCodes(3 * CHUNK_ROWS, 9);
    expect(
      start(codes, () => {
        throw new Error('no thread');
      }),
    ).toBeNull();
    expect(ParallelScan.start(new FastScanCodes(SUBSPACES, DEPTH, 'typescript'))).toBeNull();

    // A thread that never reports ready is not waited for.
    const silent = start(codes, () => new Worker('setInterval(() => {}, 1000);', { eval: true }));
    if (!silent) throw new Error('a helper was expected');
    expect(silent.ready).toBe(false);
    expect(compareMany(silent, codes, 3 * CHUNK_ROWS, 10, 1, 5)).toBe(0);

    // A thread that exits: its exit marks it unusable.
    const exiting = start(codes, () => new Worker('process.exit(3);', { eval: true }));
    if (!exiting) throw new Error('a helper was expected');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(exiting.ready).toBe(false);
    expect(compareMany(exiting, codes, 3 * CHUNK_ROWS, 11, 1, 5)).toBe(0);

    // A helper whose scans fail (it reads past its memory): the caller redoes the selection alone.
    const failing = start(
      codes,
      (source, data) =>
        new Worker(source, {
          eval: true,
          workerData: { ...data, nice: 0, layout: { ...data.layout, codesAt: 0x7fff_0000 } },
        }),
    );
    if (!failing) throw new Error('a helper was expected');
    await until(() => failing.ready, 'the failing helper');
    const random = seededRandom(12);
    for (let i = 0; i < 400 && failing.ready; i++) {
      codes.setTables(randomTables(random, 1000));
      failing.select(3 * CHUNK_ROWS);
      expect(rowsOf(codes)).toEqual(alone(codes, 3 * CHUNK_ROWS));
    }
    expect(failing.ready).toBe(false);
  });
});
