import { Worker } from 'node:worker_threads';
import type { FastScanCodes, ScanLayout } from './fast-scan.js';
import type { WasmMemory, WasmModule } from './fast-scan-kernel.js';

// Control words at the start of the codes' shared memory (Int32 indices).
/** 1 once the helper thread instantiated the kernel and waits for jobs. */
const W_READY = 0;
/** Job number (15 bits); the helper waits on this word. */
const W_SEQ = 1;
/** (job << 16) | next chunk to take: both threads take chunks by compare-and-swap. */
const W_CLAIM = 2;
/** (job << 16) | chunks the helper finished for that job; the caller waits on this word. */
const W_DONE = 3;
const W_ROWS = 4;
const W_CHUNK_ROWS = 5;
const W_CHUNKS = 6;
/** Non-zero: the helper leaves its loop. */
const W_STOP = 7;
/** Non-zero: a job failed in the helper (its chunk was not scanned). */
const W_FAILED = 8;
/** (job << 16) | the first chunk the helper took in that job: how late it joined. */
const W_FIRST = 9;

/** Lanes of the codes' memory: the caller's heap, the helper's heap, and the two copies the helper publishes. */
const CALLER = 0;
const HELPER = 1;
const PUBLISHED = 2;

/**
 * Rows per chunk taken at a time: 2,048 blocks (768 KB of codes at 48 sub-spaces), so that a million rows make
 * about thirty chunks and a thread that starts late, or is preempted, leaves its share to the other.
 */
export const CHUNK_ROWS = 32_768;
/** The helper's scheduling priority (Linux): the lowest, so that it only takes a core nothing else needs. */
const HELPER_NICE = 19;
/** Wait for the helper's last chunk when the caller took none to time it by. */
const DEFAULT_CHUNK_MS = 0.5;

/**
 * The helper thread's program (plain JavaScript, so that it needs no loader for TypeScript). On Linux it sets its
 * own thread's scheduling priority: at the lowest it runs on a core nothing else needs and does not preempt the
 * searching thread when the scheduler wakes it on the same core. It instantiates the select kernel on the shared memory and, for each job, takes chunks into its
 * heap until none is left; after each chunk it copies its heap to one of two published lanes (alternately) and only
 * then counts the chunk done, so that the caller can use the heap of its finished chunks while it scans another.
 */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, module, layout, nice } = workerData;
// Linux sets a thread's own priority; elsewhere the call would set the whole process's.
if (process.platform === 'linux') {
  try {
    require('node:os').setPriority(nice);
  } catch {}
}
const { select } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(memory.buffer, 0, 16);
const lane = (i) => layout.lanesAt + i * layout.laneBytes;
const scratch = lane(${HELPER});
const heap = scratch + 32;
const words = (i) => new Int32Array(memory.buffer, lane(i) + 32, 2 * layout.depth);
const heapWords = words(${HELPER});
const published = [words(${PUBLISHED}), words(${PUBLISHED + 1})];
function claim(job, chunks) {
  for (;;) {
    const v = Atomics.load(ctl, ${W_CLAIM});
    if (v >>> 16 !== job || (v & 0xffff) >= chunks) return -1;
    if (Atomics.compareExchange(ctl, ${W_CLAIM}, v, v + 1) === v) return v & 0xffff;
  }
}
Atomics.store(ctl, ${W_READY}, 1);
let last = Atomics.load(ctl, ${W_SEQ});
for (;;) {
  Atomics.wait(ctl, ${W_SEQ}, last);
  if (Atomics.load(ctl, ${W_STOP}) !== 0) break;
  const job = Atomics.load(ctl, ${W_SEQ});
  if (job === last) continue;
  last = job;
  const rows = Atomics.load(ctl, ${W_ROWS});
  const chunkRows = Atomics.load(ctl, ${W_CHUNK_ROWS});
  const chunks = Atomics.load(ctl, ${W_CHUNKS});
  let done = 0;
  try {
    for (let c = claim(job, chunks); c >= 0; c = claim(job, chunks)) {
      if (done === 0) {
        heapWords.fill(-1);
        Atomics.store(ctl, ${W_FIRST}, (job << 16) | c);
      }
      const first = c * chunkRows;
      const end = Math.min(rows, first + chunkRows);
      const lastBlock = Math.ceil(end / 16);
      const tail = end - (lastBlock - 1) * 16;
      let lastMask = 0;
      for (let r = 0; r < tail; r++) lastMask |= 1 << ((r & 1) * 8 + (r >> 1));
      select(layout.codesAt, layout.lutAt, first / 16, lastBlock, lastMask, heap, layout.depth, scratch);
      done++;
      published[done & 1].set(heapWords);
      Atomics.store(ctl, ${W_DONE}, (job << 16) | done);
      Atomics.notify(ctl, ${W_DONE});
    }
  } catch (error) {
    Atomics.store(ctl, ${W_FAILED}, 1);
    Atomics.notify(ctl, ${W_DONE});
  }
}
`;

/** What the helper thread is given: the memory it shares, the compiled kernel and where things sit. */
export interface HelperData {
  memory: WasmMemory;
  module: WasmModule;
  layout: ScanLayout;
  /** Scheduling priority the helper gives itself (−20 highest .. 19 lowest). */
  nice: number;
}

/** Starts the helper thread from its program; replaced in tests to make it fail. */
export type HelperSpawner = (source: string, data: HelperData) => Worker;

const spawnHelper: HelperSpawner = (source, data) => new Worker(source, { eval: true, workerData: data });

/** How a selection ran (for tests and the stage benchmark). */
export interface SelectionRun {
  /** Chunks of rows in the selection. */
  chunks: number;
  /** Chunks the helper thread scanned (0: the calling thread scanned every row). */
  helperChunks: number;
  /** The first chunk the helper took (how many the caller had taken by then), or −1. */
  helperFirstChunk: number;
  /** True when the caller scanned the chunk the helper was still on (or failed in). */
  takenOver: boolean;
}

/**
 * Splits the selection of the best rows of a {@link FastScanCodes} (WebAssembly engine) between the calling thread
 * and one helper thread that shares its memory. Both instantiate the same kernel on the same memory and take chunks
 * of rows in turn (a counter in the memory), each into its own heap, until none is left; the caller then merges the
 * helper's published heap into its own. The heaps order rows totally (score, then lower row), so the rows kept are
 * those of a one-thread scan, whatever the split. The helper is woken through a control word (`Atomics.notify`),
 * not a message, and sleeps on it between searches.
 *
 * The caller never waits long for the helper: once every chunk is taken, the helper has at most one unfinished
 * chunk (it works one at a time, in the order it took them), and the caller waits for it about as long as it takes
 * itself to scan a chunk. Past that, it scans that chunk itself and merges the heap the helper published after its
 * previous chunk, so a helper preempted by another process, failed or exited costs the search about two chunks'
 * time at most.
 * A selection runs synchronously, so the searches of one index never overlap. When the helper is not ready yet,
 * has failed or exited, the caller scans alone, with the same result.
 */
export class ParallelScan {
  private readonly worker: Worker;
  private readonly control: Int32Array;
  /** Chunks the caller took in the current job, in order (the helper took the others, in order). */
  private taken = new Int32Array(64);
  private job = 0;
  private broken = false;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly codes: FastScanCodes,
    worker: Worker,
  ) {
    this.control = codes.control;
    this.worker = worker;
    // Never keeps the process alive (CLIs may exit without closing the gallery).
    this.worker.unref();
    this.worker.on('error', () => {
      this.broken = true;
    });
    this.worker.on('exit', () => {
      this.broken = true;
    });
  }

  /**
   * A helper for the codes' selection, or null when they are not scanned by the WebAssembly kernel or no thread
   * could be started (the caller then scans alone).
   */
  static start(codes: FastScanCodes, spawn: HelperSpawner = spawnHelper): ParallelScan | null {
    const { memory, module } = codes;
    if (!memory || !module) return null;
    let worker: Worker;
    try {
      worker = spawn(HELPER_SOURCE, { memory, module, layout: codes.layout, nice: HELPER_NICE });
    } catch {
      return null;
    }
    return new ParallelScan(codes, worker);
  }

  /** True once the helper thread waits for jobs, until it fails, exits or is closed. */
  get ready(): boolean {
    return !this.broken && this.closing === null && Atomics.load(this.control, W_READY) === 1;
  }

  /**
   * Fills lane 0's heap with the best rows of [0, rows) under the current tables, with the helper when it is ready.
   */
  select(rows: number): SelectionRun {
    const codes = this.codes;
    const chunks = Math.ceil(rows / CHUNK_ROWS);
    if (!this.ready || chunks < 2) return this.alone(rows);
    const ctl = this.control;
    this.job = (this.job + 1) & 0x7fff;
    const job = this.job;
    Atomics.store(ctl, W_ROWS, rows);
    Atomics.store(ctl, W_CHUNK_ROWS, CHUNK_ROWS);
    Atomics.store(ctl, W_CHUNKS, chunks);
    Atomics.store(ctl, W_DONE, job << 16);
    Atomics.store(ctl, W_CLAIM, job << 16);
    Atomics.store(ctl, W_SEQ, job);
    Atomics.notify(ctl, W_SEQ);
    codes.resetHeap(CALLER);
    if (this.taken.length < chunks) this.taken = new Int32Array(chunks);
    let mine = 0;
    const started = performance.now();
    for (let c = this.claim(job, chunks); c >= 0; c = this.claim(job, chunks)) {
      codes.select(c * CHUNK_ROWS, Math.min(rows, (c + 1) * CHUNK_ROWS), CALLER);
      this.taken[mine++] = c;
    }
    const helperChunks = chunks - mine;
    if (helperChunks === 0) return { chunks, helperChunks, helperFirstChunk: -1, takenOver: false };
    const chunkMs = mine > 0 ? (performance.now() - started) / mine : DEFAULT_CHUNK_MS;
    const done = this.waitFor(job, helperChunks, chunkMs);
    if (done < helperChunks - 1) {
      // Not the way the helper works (one chunk at a time): trust nothing it did.
      this.broken = true;
      void this.close();
      return this.alone(rows);
    }
    if (done < helperChunks) {
      // The helper is still on (or failed in) its last chunk: the last chunk the caller did not take.
      const last = this.lastOfHelper(chunks, mine);
      codes.select(last * CHUNK_ROWS, Math.min(rows, (last + 1) * CHUNK_ROWS), CALLER);
      if (Atomics.load(ctl, W_FAILED) !== 0) {
        this.broken = true;
        void this.close();
      }
    }
    if (done > 0) codes.merge(CALLER, PUBLISHED + (done & 1));
    const first = Atomics.load(ctl, W_FIRST);
    return {
      chunks,
      helperChunks: done,
      helperFirstChunk: done > 0 && first >>> 16 === job ? first & 0xffff : -1,
      takenOver: done < helperChunks,
    };
  }

  private alone(rows: number): SelectionRun {
    this.codes.resetHeap(CALLER);
    this.codes.select(0, rows, CALLER);
    return { chunks: Math.ceil(rows / CHUNK_ROWS), helperChunks: 0, helperFirstChunk: -1, takenOver: false };
  }

  private claim(job: number, chunks: number): number {
    const ctl = this.control;
    for (;;) {
      const v = Atomics.load(ctl, W_CLAIM);
      if (v >>> 16 !== job || (v & 0xffff) >= chunks) return -1;
      if (Atomics.compareExchange(ctl, W_CLAIM, v, v + 1) === v) return v & 0xffff;
    }
  }

  /** The highest chunk the caller did not take (chunks are taken in increasing order). */
  private lastOfHelper(chunks: number, mine: number): number {
    let last = chunks - 1;
    for (let i = mine - 1; i >= 0 && this.taken[i] === last; i--) last--;
    return last;
  }

  /**
   * Waits until the helper finished `chunks` chunks of `job`, for about one chunk's time at most; returns how many
   * it finished (its heap after that many is published). Never more than `chunks`: all chunks are taken.
   */
  private waitFor(job: number, chunks: number, chunkMs: number): number {
    const ctl = this.control;
    const deadline = performance.now() + chunkMs;
    for (;;) {
      const word = Atomics.load(ctl, W_DONE);
      const done = word >>> 16 === job ? word & 0xffff : 0;
      if (done >= chunks || Atomics.load(ctl, W_FAILED) !== 0) return done;
      const left = deadline - performance.now();
      if (left <= 0) return done;
      Atomics.wait(ctl, W_DONE, word, left);
    }
  }

  /** Stops and terminates the helper thread (idempotent). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      Atomics.store(this.control, W_STOP, 1);
      Atomics.notify(this.control, W_SEQ);
      await this.worker.terminate();
    })();
    return this.closing;
  }
}
