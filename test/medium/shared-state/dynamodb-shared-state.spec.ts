import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { STATE_TABLE_ACTIONS } from '../../../deploy/aws/lib/facegate-functions.js';
import { DynamoSharedState } from '../../../src/shared-state/dynamodb-shared-state.js';
import { kioskThrottleStateOn } from '../../../src/shared-state/kiosk-throttle-state.js';
import { type LocalDynamo, startLocalDynamo } from '../aws/dynalite-server.js';
import { describeSharedAdapters } from './shared-adapters-contract.js';
import { describeSharedStateContract, type SharedStateUnderTest } from './shared-state-contract.js';

// The same contract suites as memory and Redis, on dynalite started in memory by this file: two adapter
// instances, each with its own client, on one fresh table per test (two Lambda instances on the stack's table).

const dynamo: LocalDynamo = await startLocalDynamo();
afterAll(() => dynamo.stop());

/** Client settings of dynalite: each instance opened with them owns its client and destroys it on close. */
const local = {
  endpoint: dynamo.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

/** `n` instances on one fresh table; each owns a client of its own. */
async function instances(n: number, table?: string): Promise<{ table: string; states: DynamoSharedState[] }> {
  const name = table ?? (await dynamo.freshStateTable());
  const states = await Promise.all(
    Array.from({ length: n }, () => DynamoSharedState.open({ tableName: name, clientConfig: local })),
  );
  return { table: name, states };
}

async function openDynamo(): Promise<SharedStateUnderTest> {
  const { states } = await instances(2);
  const [a, b] = states as [DynamoSharedState, DynamoSharedState];
  return { a, b, dispose: () => closeAll(states) };
}

async function closeAll(states: readonly DynamoSharedState[]): Promise<void> {
  await Promise.all(states.map((s) => s.close()));
}

describeSharedStateContract('DynamoDB', openDynamo);
describeSharedAdapters('DynamoDB', openDynamo);

/** The table's raw items, through a client of the test's own. */
function rawTable(client: DynamoDBClient, table: string) {
  const doc = DynamoDBDocumentClient.from(client);
  return {
    async items(): Promise<Array<Record<string, unknown>>> {
      return (await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [];
    },
    async put(item: Record<string, unknown>): Promise<void> {
      await doc.send(new PutCommand({ TableName: table, Item: item }));
    },
  };
}

const limits = { ttlMs: 60_000, maxEntries: 10 };

/** A client that runs a hook (once) just before its next request of one operation, to force an interleaving. */
function hookedClient() {
  const client = dynamo.client();
  let pending: { operation: string; hook: () => Promise<unknown> } | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const due = pending;
      if (due && context.commandName === `${due.operation}Command`) {
        pending = undefined;
        await due.hook();
      }
      return next(args);
    },
    { step: 'initialize' },
  );
  return {
    client,
    before(operation: string, hook: () => Promise<unknown>): void {
      pending = { operation, hook };
    },
  };
}

describe('DynamoDB shared state: its own behaviour', () => {
  it('every item carries its expiry in ms and, for the TTL sweeper, in seconds', async () => {
    const { table, states } = await instances(1);
    const [state] = states as [DynamoSharedState];
    const raw = rawTable(dynamo.client(), table);
    try {
      const before = Date.now();
      await state.putItem('item', 'v', 60_000);
      await state.increment('counter', 60_000);
      await state.timedAdd('set', Uint8Array.from([1]), before, limits);
      await state.tryLock('lock', 60_000);
      await state.reserveSlot('pace', 1000, 60_000);
      await state.reserveSlot('pace', 1000, 60_000);
      const items = await raw.items();
      expect(items.map((i) => `${String(i.pk)} ${String(i.sk)}`).sort()).toEqual([
        'counter#counter #',
        'item#item #',
        'lock#lock #',
        'set#set #',
        expect.stringMatching(/^set#set e#[\w-]{43}$/),
        'slot#pace #',
      ]);
      for (const item of items) {
        const expiry = Number(item.exp ?? item.next ?? Number.NaN);
        const ttl = Number(item.ttl);
        if (String(item.sk).startsWith('e#')) {
          expect(ttl * 1000).toBeGreaterThan(before);
          continue;
        }
        expect(expiry).toBeGreaterThan(before);
        expect(expiry).toBeLessThanOrEqual(Date.now() + 62_000);
        expect(ttl).toBeGreaterThanOrEqual(Math.ceil(expiry / 1000));
        expect(ttl).toBeLessThanOrEqual(Math.ceil((Date.now() + 62_000) / 1000));
      }
    } finally {
      await closeAll(states);
    }
  });

  it('expired items the lazy TTL sweeper has not deleted yet count as absent, for every kind', async () => {
    const { table, states } = await instances(2);
    const [a, b] = states as [DynamoSharedState, DynamoSharedState];
    const raw = rawTable(dynamo.client(), table);
    const past = Date.now() - 1000;
    const ttl = Math.ceil(past / 1000);
    try {
      await raw.put({ pk: 'item#i', sk: '#', v: 'stale', exp: past, ttl });
      await raw.put({ pk: 'counter#c', sk: '#', n: 41, exp: past, ttl });
      await raw.put({ pk: 'lock#l', sk: '#', token: 'dead-node', exp: past, ttl });
      await raw.put({ pk: 'slot#s', sk: '#', next: past, ttl });
      await raw.put({ pk: 'set#t', sk: '#', gen: 'old', exp: past, floor: 0, max: 10, ttl });
      await raw.put({ pk: 'set#t', sk: 'e#old', gen: 'old', at: 5, e: Uint8Array.from([9]), ttl });

      expect(await a.peekItem('i')).toBeUndefined();
      expect(await b.takeItem('i')).toBeUndefined();
      expect(await a.putItem('i', 'fresh', 10_000)).toBe(true);
      expect(await b.takeItem('i')).toBe('fresh');
      expect(await a.readCounters(['c'])).toEqual([0]);
      expect((await b.increment('c', 10_000)).count).toBe(1);
      expect(await a.unlock('l', 'dead-node')).toBe(false);
      expect(await b.tryLock('l', 10_000)).toBeDefined();
      expect(await a.reserveSlot('s', 1000, 10_000)).toBe(0);
      expect(await b.timedRange('t', 0)).toEqual([]);
      // A new write starts a new generation: the old generation's lingering entry is not read again, and is deleted.
      await a.timedAdd('t', Uint8Array.from([1]), 10, limits);
      expect((await b.timedRange('t', 0)).map((e) => [...e.entry])).toEqual([[1]]);
      expect((await raw.items()).some((i) => i.sk === 'e#old')).toBe(false);
    } finally {
      await closeAll(states);
    }
  });

  it('four instances race: one item stored and taken once, one lock, one counter window counted whole', async () => {
    const { states } = await instances(4);
    const on = (i: number) => states[i % states.length] as DynamoSharedState;
    try {
      const stored = await Promise.all(
        Array.from({ length: 12 }, (_, i) => on(i).putItem('pair', `v${i}`, 10_000)),
      );
      expect(stored.filter(Boolean)).toHaveLength(1);
      const taken = await Promise.all(Array.from({ length: 12 }, (_, i) => on(i).takeItem('pair')));
      expect(taken.filter((v) => v !== undefined)).toHaveLength(1);
      const counts = await Promise.all(
        Array.from({ length: 40 }, (_, i) => on(i).increment('fresh', 10_000)),
      );
      expect(counts.map((c) => c.count).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      const tokens = await Promise.all(Array.from({ length: 12 }, (_, i) => on(i).tryLock('door', 10_000)));
      expect(tokens.filter((t) => t !== undefined)).toHaveLength(1);
    } finally {
      await closeAll(states);
    }
  });

  it('timed sets under racing instances: adds keep exactly the newest maxEntries; each removal takes one entry', async () => {
    const { states } = await instances(4);
    const on = (i: number) => states[i % states.length] as DynamoSharedState;
    try {
      const bound = { ttlMs: 60_000, maxEntries: 5 };
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => on(i).timedAdd('w', Uint8Array.from([i]), 1000 + i, bound)),
      );
      expect((await on(0).timedRange('w', 0)).map((e) => e.at)).toEqual([1007, 1008, 1009, 1010, 1011]);
      for (let i = 0; i < 3; i++) await on(i).timedAdd('r', Uint8Array.from([i]), 7000, limits);
      const removed = await Promise.all(
        Array.from({ length: 6 }, (_, i) => on(i).timedRemoveOneAt('r', 7000)),
      );
      expect(removed.filter(Boolean)).toHaveLength(3);
      expect(await on(1).timedRange('r', 0)).toEqual([]);
      await on(0).timedAdd('x', Uint8Array.from([1]), 1, limits);
      const counted = await Promise.all(states.map((s) => s.timedRemove('x', [Uint8Array.from([1])])));
      expect(counted.reduce((sum, n) => sum + n, 0)).toBe(1);
    } finally {
      await closeAll(states);
    }
  });

  it('each write is conditioned on what its caller read: a racing write in between is never overwritten', async () => {
    const table = await dynamo.freshStateTable();
    const hooked = hookedClient();
    const a = await DynamoSharedState.open({ tableName: table, client: hooked.client });
    const { states } = await instances(1, table);
    const [b] = states as [DynamoSharedState];
    try {
      // A removal read the entry stamped 1 000; before its delete lands, another node stamps the same bytes anew.
      await a.timedAdd('r', Uint8Array.from([7]), 1_000, limits);
      hooked.before('DeleteItem', () => b.timedAdd('r', Uint8Array.from([7]), 2_000, limits));
      expect(await a.timedRemoveOneAt('r', 1_000)).toBe(false);
      expect((await b.timedRange('r', 0)).map((e) => e.at)).toEqual([2_000]);
      // A booking read a slot within reach; before its update lands, another node books far ahead.
      expect(await a.reserveSlot('pace', 1_000, 3_000)).toBe(0);
      hooked.before('UpdateItem', async () => {
        for (let i = 0; i < 5; i++) await b.reserveSlot('pace', 1_000, 3_000);
      });
      expect(await a.reserveSlot('pace', 1_000, 3_000)).toBe(3_000);
      // A booking read bookings beyond the longest wait; before its update lands, a right password releases them.
      for (let i = 0; i < 4; i++) await b.reserveSlot('turns', 1_000, 2_000);
      hooked.before('UpdateItem', () => b.releaseSlots('turns'));
      expect(await a.reserveSlot('turns', 1_000, 2_000)).toBe(0);
    } finally {
      await closeAll([a, b]);
      hooked.client.destroy();
    }
  });

  it('a timed set may hold more than one item can (400 KB): 150 sealed-probe-sized entries of 3 KB', async () => {
    const { states } = await instances(2);
    const [a, b] = states as [DynamoSharedState, DynamoSharedState];
    try {
      const bound = { ttlMs: 60_000, maxEntries: 512 };
      const entries = Array.from({ length: 150 }, () => randomBytes(3000));
      for (const [i, entry] of entries.entries()) await a.timedAdd('probes', entry, 1000 + i, bound);
      const held = await b.timedRange('probes', 0);
      expect(held).toHaveLength(150);
      expect(Buffer.from(held[149]?.entry ?? []).equals(entries[149] ?? Buffer.alloc(0))).toBe(true);
    } finally {
      await closeAll(states);
    }
  });

  it('calls exactly the DynamoDB actions the stack grants the API function on the state table', async () => {
    const table = await dynamo.freshStateTable();
    const client = dynamo.client();
    const called = new Set<string>();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        called.add(`dynamodb:${String(context.commandName).replace(/Command$/, '')}`);
        return next(args);
      },
      { step: 'initialize' },
    );
    const state = await DynamoSharedState.open({ tableName: table, client });
    try {
      await state.putItem('i', 'v', 10_000);
      await state.peekItem('i');
      await state.takeItem('i');
      await state.deleteItem('i');
      await state.increment('c', 10_000);
      await state.increment('c', 10_000);
      await state.readCounters(['c']);
      await state.resetCounter('c');
      await state.reserveSlot('s', 1000, 5000);
      await state.reserveSlot('s', 1000, 5000);
      await state.releaseSlots('s');
      await state.timedAdd('t', Uint8Array.from([1]), 1, limits);
      await state.timedRange('t', 0);
      await state.timedRemove('t', [Uint8Array.from([1])]);
      await state.timedRemoveOneAt('t', 1);
      const token = await state.tryLock('l', 10_000);
      await state.unlock('l', token ?? '');
      await state.ping();
      expect([...called].sort()).toEqual([...STATE_TABLE_ACTIONS].sort());
    } finally {
      await state.close();
      client.destroy();
    }
  });

  it('kioskThrottleStateOn gives the DynamoDB state the shared kiosk parts', async () => {
    const { states } = await instances(1);
    try {
      expect(kioskThrottleStateOn(states[0] as DynamoSharedState, 600)).toBeDefined();
    } finally {
      await closeAll(states);
    }
  });

  it('an unreachable endpoint or a missing table is NOT_READY with the reason, at open and later', async () => {
    await expect(
      DynamoSharedState.open({
        tableName: 'facegate-state',
        clientConfig: {
          endpoint: 'http://127.0.0.1:1',
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
          maxAttempts: 1,
        },
      }),
    ).rejects.toMatchObject({ code: 'NOT_READY', message: expect.stringContaining('ECONNREFUSED') });
    await expect(
      DynamoSharedState.open({ tableName: 'no-such-table', client: dynamo.client() }),
    ).rejects.toMatchObject({ code: 'NOT_READY', message: expect.stringContaining('ResourceNotFound') });
    const { table, states } = await instances(1);
    const [state] = states as [DynamoSharedState];
    const admin = dynamo.client();
    try {
      await admin.send(new DeleteTableCommand({ TableName: table }));
      await expect(state.ping()).rejects.toMatchObject({ code: 'NOT_READY' });
      await expect(state.takeItem('x')).rejects.toMatchObject({ code: 'NOT_READY' });
      await expect(state.increment('x', 1000)).rejects.toMatchObject({ code: 'NOT_READY' });
    } finally {
      admin.destroy();
      await closeAll(states);
    }
  });
});
