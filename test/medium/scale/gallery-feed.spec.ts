import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataCipher } from '../../../src/crypto/data-cipher.js';
import {
  PostgresGalleryFeed,
  type PostgresGalleryFeedOptions,
} from '../../../src/gallery/feed/postgres-gallery-feed.js';
import { Gallery } from '../../../src/gallery/gallery.js';
import { PostgresStore } from '../../../src/store/postgres/postgres-store.js';
import { requirePostgres, TEST_DATABASE_URL, TestSchema } from '../store/postgres-harness.js';
import { template } from '../store/store-fixtures.js';

await requirePostgres();

/** The bound every node must meet: a change on one node is in force on every node within it. */
const BOUND_MS = 1000;
const engine = { model: 'test-model', version: '1', dimension: 512 };
const cipher = new DataCipher([{ id: 'k1', key: randomBytes(32) }]);

/** One API node: its store pool, its gallery and its feed. */
interface Node {
  store: PostgresStore;
  gallery: Gallery;
  feed: PostgresGalleryFeed;
  appName: string;
}

async function openNode(schema: string, options: Partial<PostgresGalleryFeedOptions> = {}): Promise<Node> {
  const store = await PostgresStore.open({ connectionString: TEST_DATABASE_URL, schema }, cipher);
  const gallery = new Gallery(engine, store, { approximate: false, match: { threshold: 0.9, margin: 0 } });
  const appName = `fg-feed-${randomBytes(4).toString('hex')}`;
  const feed = new PostgresGalleryFeed(gallery, store, {
    connectionString: TEST_DATABASE_URL,
    schema,
    applicationName: appName,
    ...options,
  });
  await feed.start();
  return { store, gallery, feed, appName };
}

/** Face `seed`: a pseudo-random unit vector, so distinct faces are far apart (cosine near 0). */
function face(seed: number): Float32Array {
  let state = seed * 2654435761;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const v = Float32Array.from({ length: engine.dimension }, next);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** A stored template of face `seed`. */
const faceTemplate = (seed: number) => template(seed, { embedding: face(seed) });

/** The employee that `seed`'s face matches on a node's gallery, or null. */
function whoIs(node: Node, seed: number): string | null {
  const result = node.gallery.identify(face(seed));
  return result.decision === 'match' ? (result.best?.employeeId ?? null) : null;
}

/** Waits until `check` holds, failing when it does not within `ms`. */
async function within(ms: number, what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(10);
  }
}

/** Enrols an employee with one template of face `seed`, through one node's store. */
async function enrol(node: Node, badge: string, seed: number): Promise<string> {
  const employee = await node.store.employees.create({ badge, firstName: badge, lastName: 'Feed' });
  await node.store.templates.add(employee.id, faceTemplate(seed));
  return employee.id;
}

/** Kills a node's feed connection from the server side, as a network cut or a database restart would. */
async function cutFeed(node: Node): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query(
      'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1',
      [node.appName],
    );
    expect(rows).toEqual([{ done: true }]);
  } finally {
    await admin.end();
  }
}

describe('gallery feed on PostgreSQL: two nodes on one database', () => {
  let schema: TestSchema;
  const nodes: Node[] = [];
  const node = async (options?: Partial<PostgresGalleryFeedOptions>) => {
    const n = await openNode(schema.name, options);
    nodes.push(n);
    return n;
  };

  beforeEach(async () => {
    schema = await new TestSchema().create();
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) {
      await n.feed.stop();
      await n.store.close();
    }
    await schema.drop();
  });

  it('enrol, suspend, reactivate, template upgrade and delete on one node are in force on the other within the bound', async () => {
    const a = await node();
    const b = await node();
    const ann = await enrol(a, 'ANN', 1);
    await within(BOUND_MS, 'enrolment visible on B', () => whoIs(b, 1) === ann);

    await a.store.employees.update(ann, { status: 'suspended' });
    await within(BOUND_MS, 'suspension in force on B', () => whoIs(b, 1) === null);
    await a.store.employees.update(ann, { status: 'active' });
    await within(BOUND_MS, 'reactivation in force on B', () => whoIs(b, 1) === ann);
    await a.store.employees.update(ann, { faceLoginLocked: true });
    await within(BOUND_MS, 'face-login lock in force on B', () => whoIs(b, 1) === null);
    await a.store.employees.update(ann, { faceLoginLocked: false });
    await within(BOUND_MS, 'face-login unlock in force on B', () => whoIs(b, 1) === ann);

    // A template upgrade: the new template goes in and the old one out, in one transaction.
    const [old] = await a.store.templates.listByEmployee(ann);
    await a.store.transaction(async (tx) => {
      await tx.templates.add(ann, faceTemplate(2));
      await tx.templates.delete(old!.id);
    });
    await within(BOUND_MS, 'upgraded template on B', () => whoIs(b, 2) === ann && whoIs(b, 1) === null);

    await b.store.employees.delete(ann);
    await within(
      BOUND_MS,
      'deletion on B in force on A',
      () => whoIs(a, 2) === null && a.gallery.templateCount(ann) === 0,
    );

    const kinds = await schema.query('SELECT kind FROM gallery_changes ORDER BY seq');
    expect(kinds.map((r) => r.kind)).toEqual([
      'enrol',
      'status',
      'status',
      'status',
      'status',
      'enrol',
      'template-delete',
      'delete',
      'template-delete',
    ]);
    // A rename is no gallery change and is not recorded.
    const bob = await enrol(a, 'BOB', 3);
    await a.store.employees.update(bob, { firstName: 'Robert' });
    expect(
      await schema.query('SELECT kind FROM gallery_changes WHERE employee_id = ? ORDER BY seq', [bob]),
    ).toEqual([{ kind: 'enrol' }]);
  });

  it('concurrent writers on both nodes: every change is recorded once and both galleries converge', async () => {
    const a = await node();
    const b = await node();
    const ids = await Promise.all(
      Array.from({ length: 16 }, (_, i) => enrol(i % 2 ? a : b, `E${i}`, 100 + i)),
    );
    await Promise.all(
      ids.map((id, i) => {
        const writer = i % 2 ? b : a;
        if (i % 4 === 0) return writer.store.employees.delete(id);
        if (i % 4 === 1) return writer.store.employees.update(id, { status: 'suspended' });
        return writer.store.templates.add(id, faceTemplate(200 + i));
      }),
    );
    const expected = (n: Node) =>
      ids.every((id, i) => {
        const face = whoIs(n, 100 + i);
        if (i % 4 === 0 || i % 4 === 1) return face === null;
        return face === id && whoIs(n, 200 + i) === id;
      });
    await within(BOUND_MS, 'both galleries hold the final state', () => expected(a) && expected(b));
    const rows = await schema.query('SELECT seq FROM gallery_changes ORDER BY seq');
    // 16 enrolments, 4 deletes (each with its template), 4 suspensions, 8 added templates.
    expect(rows).toHaveLength(16 + 8 + 4 + 8);
  });

  it('a node that loses its feed is not ready at once, then reconnects and catches up what it missed', async () => {
    const a = await node();
    const b = await node({ reconnectDelayMs: 400 });
    const ann = await enrol(a, 'ANN', 1);
    await within(BOUND_MS, 'enrolment visible on B', () => whoIs(b, 1) === ann);
    expect(b.feed.status().ready).toBe(true);

    await cutFeed(b);
    await within(BOUND_MS, 'B reports the lost feed', () => !b.feed.status().ready);
    expect(() => b.feed.assertFresh()).toThrowError(expect.objectContaining({ code: 'NOT_READY' }));
    // Changes while B cannot hear them: their notifications are lost to B.
    const bob = await enrol(a, 'BOB', 3);
    await a.store.employees.delete(ann);

    await within(3000, 'B reconnected and caught up', () => b.feed.status().ready);
    expect(b.feed.status()).toMatchObject({ reconnects: 1, resyncs: 0 });
    expect(whoIs(b, 3)).toBe(bob);
    expect(whoIs(b, 1)).toBeNull();
    expect(b.gallery.templateCount(ann)).toBe(0);
  });

  it('a node whose position was trimmed from the log rebuilds its gallery in full', async () => {
    const a = await node();
    const b = await node({ reconnectDelayMs: 400 });
    const ann = await enrol(a, 'ANN', 1);
    const cat = await enrol(a, 'CAT', 5);
    await within(BOUND_MS, 'enrolments visible on B', () => whoIs(b, 1) === ann && whoIs(b, 5) === cat);

    await cutFeed(b);
    const bob = await enrol(a, 'BOB', 3);
    await a.store.employees.delete(ann);
    await a.store.employees.update(cat, { status: 'suspended' });
    expect(await a.feed.trim(-60_000)).toBeGreaterThan(0); // every change is older than "a minute from now"
    expect(await schema.query('SELECT seq FROM gallery_changes')).toEqual([]);

    await within(3000, 'B reconnected and resynced', () => b.feed.status().ready);
    expect(b.feed.status()).toMatchObject({ reconnects: 1, resyncs: 1 });
    expect(whoIs(b, 3)).toBe(bob);
    expect(whoIs(b, 1)).toBeNull();
    expect(b.gallery.templateCount(ann)).toBe(0);
    expect(whoIs(b, 5)).toBeNull();
    expect(b.gallery.isEligible(cat)).toBe(false);

    // And it keeps following the log from the trimmed position.
    await a.store.employees.update(cat, { status: 'active' });
    await within(BOUND_MS, 'reactivation after the resync', () => whoIs(b, 5) === cat);
  });

  it('a feed silent for longer than the bound is not ready, and a confirmed catch-up makes it ready again', async () => {
    let now = Date.now();
    const a = await node();
    // No polling: only notifications confirm freshness here, and the clock is moved by hand.
    const b = await node({ pollMs: 3_600_000, now: () => now });
    expect(b.feed.status().ready).toBe(true);
    now += BOUND_MS + 500;
    expect(b.feed.status()).toMatchObject({ ready: false, reason: expect.stringContaining('silent') });
    expect(() => b.feed.assertFresh()).toThrowError(expect.objectContaining({ code: 'NOT_READY' }));
    const ann = await enrol(a, 'ANN', 1);
    await within(
      BOUND_MS,
      'the notification brought B up to date',
      () => b.feed.status().ready && whoIs(b, 1) === ann,
    );
  });

  it('a node started after changes loads them, and is not ready before it starts', async () => {
    const a = await node();
    const ann = await enrol(a, 'ANN', 1);
    await a.store.employees.update(ann, { status: 'suspended' });
    const b = await node();
    expect(b.gallery.templateCount(ann)).toBe(1);
    expect(whoIs(b, 1)).toBeNull();
    const idle = new PostgresGalleryFeed(b.gallery, b.store, { connectionString: TEST_DATABASE_URL });
    expect(idle.status()).toMatchObject({ ready: false, reason: 'not started' });
  });
});
