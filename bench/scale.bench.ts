/**
 * Scale-out benchmark: PostgreSQL + Redis nodes behind nginx (deploy/nginx/facegate.conf).
 * 1. Seeds N synthetic encrypted templates (4 per employee, current model) into a fresh PostgreSQL schema through
 *    the store, then times a node's start-up until `/readyz` answers 200 (models load meanwhile).
 * 2. Enrols 5 fixture people, then sends 640 × 480 probes to `POST /v1/authenticate` through nginx from C clients
 *    for S seconds with 1 node upstream, then with 2 nodes (nginx reloaded), in the same run.
 * 3. Per-authentication cost of PostgreSQL: one client straight to a PostgreSQL node, then to a SQLite node with
 *    the same 5 people, S seconds each.
 * `npm run bench:scale [-- --templates 100000 --seconds 10 --clients 4]`
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import sharp from 'sharp';
import { openStorage } from '../src/app/adapters.js';
import { createApp } from '../src/app/composition-root.js';
import { createEngine } from '../src/app/local-engine.js';
import { loadConfig } from '../src/config/config.js';
import { cliActor } from '../src/domain/access.js';
import { faceCrops, transform } from '../test/fixtures/sample-faces.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TEMPLATES = arg('templates', 100_000);
const SECONDS = arg('seconds', 10);
const CLIENTS = arg('clients', 4);
const ROOT = resolve(import.meta.dirname, '..');
const DATABASE_URL = process.env.FACEGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.FACEGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const schema = `fg_bench_${randomBytes(5).toString('hex')}`;
const work = await mkdtemp(join(tmpdir(), 'facegate-bench-scale-'));
// nginx's workers run as an unprivileged user and must reach their temp directories inside.
await chmod(work, 0o755);
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

const baseEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  FACEGATE_ENV: 'test',
  FACEGATE_HOST: '127.0.0.1',
  FACEGATE_LOG_LEVEL: 'warn',
  FACEGATE_ENGINE_WORKERS: '1',
  FACEGATE_DATA_KEY: `k1:${randomBytes(32).toString('base64')}`,
  FACEGATE_RATE_LIMIT_PER_MINUTE: '1000000',
  FACEGATE_LOCKOUT_THRESHOLD: '1000',
  FACEGATE_LOCKOUT_HARD_CAP: '100000',
};
const pgEnv: NodeJS.ProcessEnv = {
  ...baseEnv,
  FACEGATE_STORE: 'postgres',
  FACEGATE_DATABASE_URL: `${DATABASE_URL}?options=-c%20search_path%3D${schema}`,
  FACEGATE_SHARED_STATE: 'redis',
  FACEGATE_REDIS_URL: REDIS_URL,
  FACEGATE_REDIS_PREFIX: `fgbench${randomBytes(4).toString('hex')}:`,
};

/** Starts a node; resolves with its URL and the milliseconds until `/readyz` answered 200. */
async function startNode(name: string, env: NodeJS.ProcessEnv): Promise<{ url: string; readyMs: number }> {
  const port = await freePort();
  const dataDir = join(work, name);
  await mkdir(dataDir, { recursive: true });
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...env, FACEGATE_PORT: String(port), FACEGATE_DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    if ((await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200) break;
    await sleep(50);
  }
  return { url, readyMs: performance.now() - t0 };
}

/** Seeds synthetic templates of the engine's model, 4 per employee, in transactions of 500 employees. */
async function seed(count: number): Promise<number> {
  const config = loadConfig(pgEnv, { dataDir: join(work, 'seed'), engine: { workers: 0 } });
  const engine = createEngine(config);
  const { model, version, dimension } = engine.info;
  await engine.close();
  const storage = await openStorage(config);
  const t0 = performance.now();
  try {
    for (let done = 0; done < count; ) {
      await storage.store.transaction(async (tx) => {
        for (let e = 0; e < 500 && done < count; e++) {
          const employee = await tx.employees.create({
            badge: `SYN-${done}`,
            firstName: 'Synthetic',
            lastName: String(done),
          });
          for (let t = 0; t < 4 && done < count; t++, done++) {
            const embedding = Float32Array.from({ length: dimension }, () => Math.random() - 0.5);
            await tx.templates.add(employee.id, {
              embedding,
              engine: 'local',
              model,
              modelVersion: version,
              quality: {
                faceSize: 120,
                sharpness: 0.3,
                brightness: 0.5,
                yaw: 0,
                pitch: 0,
                roll: 0,
                detectorScore: 0.99,
              },
              sourceHash: `syn-${done}`,
              photoKey: null,
              photoContentType: null,
            });
          }
        }
      });
    }
  } finally {
    await storage.close();
  }
  return performance.now() - t0;
}

/** Creates the keys and enrols 5 people through a node; returns the kiosk header and 640 × 480 probes. */
async function people(url: string, env: NodeJS.ProcessEnv, dataDir: string) {
  const app = await createApp(loadConfig(env, { dataDir, engine: { workers: 0 } }));
  let adminSecret: string;
  let kioskSecret: string;
  try {
    adminSecret = (await app.services.auth.apiKeys.create(cliActor(), { name: 'bench admin', role: 'admin' }))
      .secret;
    kioskSecret = (await app.services.auth.apiKeys.create(cliActor(), { name: 'bench kiosk', role: 'kiosk' }))
      .secret;
  } finally {
    await app.close();
  }
  const probes: Buffer[] = [];
  for (const [i, crop] of (await faceCrops()).slice(0, 5).entries()) {
    const form = new FormData();
    for (const [k, v] of Object.entries({ badge: `BENCH-${i}`, firstName: 'Bench', lastName: `P${i}` }))
      form.append(k, v);
    form.append('photo', new Blob([new Uint8Array(crop.jpeg)], { type: 'image/jpeg' }), `${crop.id}.jpg`);
    const res = await fetch(`${url}/v1/employees/enroll`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminSecret}` },
      body: form,
    });
    if (res.status !== 201) throw new Error(`enrolment failed: ${res.status} ${await res.text()}`);
    probes.push(
      await sharp(await transform(crop.jpeg, 'flip'))
        .resize({ width: 640, height: 480, fit: 'cover' })
        .jpeg({ quality: 85 })
        .toBuffer(),
    );
  }
  return { kiosk: { authorization: `Bearer ${kioskSecret}`, 'content-type': 'image/jpeg' }, probes };
}

interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p95: number;
  matched: number;
  other: Record<number, number>;
}

/** C clients, each waiting for its answer before sending the next probe, for S seconds. */
async function load(
  url: string,
  kiosk: Record<string, string>,
  probes: Buffer[],
  clients: number,
): Promise<LoadResult> {
  const times: number[] = [];
  const other: Record<number, number> = {};
  let matched = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c; performance.now() < end; i++) {
        const t0 = performance.now();
        const res = await fetch(`${url}/v1/authenticate`, {
          method: 'POST',
          headers: kiosk,
          body: new Uint8Array(probes[i % probes.length]!),
        });
        const body = (await res.json()) as { decision?: string };
        times.push(performance.now() - t0);
        if (res.status === 200 && body.decision === 'match') matched++;
        else other[res.status] = (other[res.status] ?? 0) + 1;
        if (res.status === 503) await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000);
      }
    }),
  );
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? Number.NaN;
  return {
    requests: times.length,
    perSecond: times.length / SECONDS,
    p50: q(0.5),
    p95: q(0.95),
    matched,
    other,
  };
}

async function nginxOn(upstreams: string[], port: number, dir: string, reload: boolean): Promise<void> {
  const site = (await readFile(join(ROOT, 'deploy/nginx/facegate.conf'), 'utf8'))
    .replace('listen 127.0.0.1:8080;', `listen 127.0.0.1:${port};`)
    .replace('/etc/nginx/facegate-upstreams.conf', join(dir, 'facegate-upstreams.conf'));
  await writeFile(join(dir, 'facegate.conf'), site);
  await writeFile(
    join(dir, 'facegate-upstreams.conf'),
    upstreams.map((u) => `server ${u.slice(7)} max_fails=1 fail_timeout=5s;\n`).join(''),
  );
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
    (t) => `  ${t}_temp_path ${join(dir, t)};`,
  );
  await writeFile(
    join(dir, 'nginx.conf'),
    [
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      '  access_log off;',
      ...temps,
      `  include ${join(dir, 'facegate.conf')};`,
      '}',
    ].join('\n'),
  );
  const args = ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')];
  if (reload) {
    spawn('/usr/sbin/nginx', [...args, '-s', 'reload'], { stdio: 'inherit' });
    await sleep(1500);
    return;
  }
  children.push(spawn('/usr/sbin/nginx', args, { stdio: 'inherit' }));
  await sleep(500);
}

const row = (name: string, r: LoadResult) =>
  `| ${name} | ${r.requests} | ${r.perSecond.toFixed(1)} | ${r.p50.toFixed(0)} | ${r.p95.toFixed(0)} | ${r.matched} | ${JSON.stringify(r.other)} |`;

const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
try {
  await admin.query(`CREATE SCHEMA ${schema}`);
  const load0 = loadavg()[0]!.toFixed(1);
  const seedMs = await seed(TEMPLATES);
  const a = await startNode('a', pgEnv);
  const { kiosk, probes } = await people(a.url, pgEnv, join(work, 'keys'));
  const b = await startNode('b', pgEnv);
  const dir = join(work, 'nginx');
  await mkdir(dir);
  const lbPort = await freePort();
  const lb = `http://127.0.0.1:${lbPort}`;
  await nginxOn([a.url], lbPort, dir, false);
  const one = await load(lb, kiosk, probes, CLIENTS);
  await nginxOn([a.url, b.url], lbPort, dir, true);
  const two = await load(lb, kiosk, probes, CLIENTS);
  const pgDirect = await load(a.url, kiosk, probes, 1);
  const sqlite = await startNode('sqlite', baseEnv);
  const local = await people(sqlite.url, baseEnv, join(work, 'sqlite'));
  const sqliteDirect = await load(sqlite.url, local.kiosk, local.probes, 1);
  const load1 = loadavg()[0]!.toFixed(1);
  console.log(
    `\n${new Date().toISOString()} · ${cpus().length} × ${cpus()[0]?.model} · load ${load0} → ${load1}`,
  );
  console.log(
    `Seeded ${TEMPLATES} templates (${TEMPLATES / 4} employees) in ${(seedMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `Start-up to /readyz 200 with ${TEMPLATES} templates: node a ${(a.readyMs / 1000).toFixed(1)} s, node b ${(b.readyMs / 1000).toFixed(1)} s; SQLite node with 5 people: ${(sqlite.readyMs / 1000).toFixed(1)} s`,
  );
  console.log(
    '\n| scenario | requests | auth/s | p50 ms | p95 ms | matched | other |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  console.log(row(`nginx → 1 node, ${CLIENTS} clients`, one));
  console.log(row(`nginx → 2 nodes, ${CLIENTS} clients`, two));
  console.log(row('PostgreSQL node direct, 1 client', pgDirect));
  console.log(row('SQLite node direct, 1 client', sqliteDirect));
  console.log(
    `\n2 nodes / 1 node throughput: ${(two.perSecond / one.perSecond).toFixed(2)}; PostgreSQL − SQLite p50: ${(pgDirect.p50 - sqliteDirect.p50).toFixed(1)} ms`,
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await sleep(1000);
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
  await admin.end();
  await rm(work, { recursive: true, force: true });
}
