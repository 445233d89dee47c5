import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { FacegateError } from '../domain/errors.js';
import {
  DynamoStateOps,
  HEAD,
  ifFree,
  isLive,
  overloaded,
  type StateItem,
  ttlSeconds,
} from './dynamodb-state-ops.js';
import { DynamoTimedSets } from './dynamodb-timed-sets.js';
import type { CounterState, SharedState, TimedEntry, TimedSetLimits } from './shared-state.port.js';

/** Options of {@link DynamoSharedState.open}. */
export interface DynamoSharedStateOptions {
  /** The shared-state table (`FACEGATE_SHARED_STATE_TABLE`), with the schema of `SHARED_STATE_KEYS`. */
  tableName: string;
  /** Client settings (region, endpoint of a local server, credentials); ignored when `client` is given. */
  clientConfig?: DynamoDBClientConfig;
  /** A ready client (tests); the state then does not destroy it on close. */
  client?: DynamoDBClient;
  /** Clock of every expiry and slot (epoch ms); the system clock by default. */
  now?: () => number;
}

/** Tries of an optimistic write (a counter's new window, a slot booking) before the key counts as too contended. */
const MAX_TRIES = 10;

/** How long a call may wait for an unreachable table before failing with `NOT_READY`. */
const REQUEST_HANDLER = { connectionTimeout: 3000, requestTimeout: 5000 };

/**
 * {@link SharedState} on one DynamoDB table, shared by every Lambda instance (see `dynamodb-state-table.ts` for
 * the layout). Each method is one conditional write, or a short loop of them, on one key:
 * - single-use items, locks and a counter's new window are conditional puts that succeed only on a free key
 *   (absent, or holding an expired item); a take is a conditional delete that returns the old item, so of racing
 *   takers exactly one gets the value; an unlock is a delete conditioned on the token;
 * - a counter adds one with `UpdateItem ADD` conditioned on a live window, and returns the new count;
 * - a slot booking reads the key, then writes the one update that fits what it read, conditioned on it; a booking
 *   queued behind a live one is `SET next = next + interval`, which racing callers all get, one interval apart.
 *
 * Expiry: every item carries its expiry in epoch ms (`exp`), which every read and condition checks, and in epoch
 * seconds (`ttl`) for DynamoDB's TTL sweeper, which is lazy (items may linger for days) and is only housekeeping.
 *
 * Time: DynamoDB has no clock that an expression can read, so expiries and slots are computed on the caller's
 * clock. The assumption (not measured here) is that the nodes' clocks are NTP-synchronised, as AWS keeps Lambda
 * hosts, to well under a second: far below the shortest lifetime stored here (a one-second pace, minutes for
 * challenges). A node's skew shifts the expiries and slots it computes by that skew, no more.
 */
export class DynamoSharedState implements SharedState {
  readonly kind = 'dynamodb';
  private readonly ops: DynamoStateOps;
  private readonly sets: DynamoTimedSets;

  private constructor(
    private readonly client: DynamoDBClient,
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly now: () => number,
    private readonly ownsClient: boolean,
  ) {
    this.ops = new DynamoStateOps(doc, tableName);
    this.sets = new DynamoTimedSets(doc, this.ops, now);
  }

  /** Opens the state on an existing table and checks it answers; throws `NOT_READY` with the reason otherwise. */
  static async open(options: DynamoSharedStateOptions): Promise<DynamoSharedState> {
    const client =
      options.client ??
      new DynamoDBClient({ requestHandler: REQUEST_HANDLER, maxAttempts: 3, ...options.clientConfig });
    const doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    const state = new DynamoSharedState(
      client,
      doc,
      options.tableName,
      options.now ?? Date.now,
      !options.client,
    );
    try {
      await state.ping();
    } catch (error) {
      await state.close();
      throw error;
    }
    return state;
  }

  async putItem(key: string, value: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const exp = now + ttlMs;
    const item = { pk: `item#${key}`, sk: HEAD, v: value, exp, ttl: ttlSeconds(exp) };
    return (await this.ops.attempt(() => this.doc.send(this.put(item, ifFree(now))))) !== undefined;
  }

  async takeItem(key: string): Promise<string | undefined> {
    const out = await this.ops.attempt(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `item#${key}`, sk: HEAD },
          ConditionExpression: '#exp > :now',
          ExpressionAttributeNames: { '#exp': 'exp' },
          ExpressionAttributeValues: { ':now': this.now() },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return stringOf(out?.Attributes?.v);
  }

  async peekItem(key: string): Promise<string | undefined> {
    const item = await this.ops.get(`item#${key}`);
    return isLive(item, this.now()) ? stringOf(item.v) : undefined;
  }

  async deleteItem(key: string): Promise<void> {
    await this.remove(`item#${key}`);
  }

  async increment(key: string, ttlMs: number): Promise<CounterState> {
    const pk = `counter#${key}`;
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const now = this.now();
      const counted = await this.ops.attempt(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk, sk: HEAD },
            UpdateExpression: 'ADD #n :one',
            ConditionExpression: '#exp > :now',
            ExpressionAttributeNames: { '#n': 'n', '#exp': 'exp' },
            ExpressionAttributeValues: { ':one': 1, ':now': now },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (counted?.Attributes) {
        return { count: Number(counted.Attributes.n), ttlMs: Number(counted.Attributes.exp) - now };
      }
      // No live window: start one at 1, unless a racing caller started it first (then count in theirs).
      const exp = now + ttlMs;
      const item = { pk, sk: HEAD, n: 1, exp, ttl: ttlSeconds(exp) };
      if (await this.ops.attempt(() => this.doc.send(this.put(item, ifFree(now)))))
        return { count: 1, ttlMs };
    }
    throw overloaded('A counter of the shared state is too contended');
  }

  async resetCounter(key: string): Promise<void> {
    await this.remove(`counter#${key}`);
  }

  async readCounters(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const pks = keys.map((key) => `counter#${key}`);
    const found = await this.ops.heads(pks);
    const now = this.now();
    return pks.map((pk) => {
      const item = found.get(pk);
      return isLive(item, now) ? Number(item.n) : 0;
    });
  }

  async reserveSlot(key: string, intervalMs: number, maxWaitMs: number): Promise<number> {
    const pk = `slot#${key}`;
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const held = await this.ops.get(pk);
      const wait = await this.book(pk, held, intervalMs, maxWaitMs);
      if (wait !== undefined) return wait;
    }
    throw overloaded('A paced key of the shared state is too contended');
  }

  async releaseSlots(key: string): Promise<void> {
    await this.remove(`slot#${key}`);
  }

  timedAdd(key: string, entry: Uint8Array, at: number, limits: TimedSetLimits): Promise<void> {
    return this.sets.add(key, entry, at, limits);
  }

  timedRange(key: string, since: number): Promise<TimedEntry[]> {
    return this.sets.range(key, since);
  }

  timedRemove(key: string, entries: readonly Uint8Array[]): Promise<number> {
    return this.sets.remove(key, entries);
  }

  timedRemoveOneAt(key: string, at: number): Promise<boolean> {
    return this.sets.removeOneAt(key, at);
  }

  async tryLock(key: string, ttlMs: number): Promise<string | undefined> {
    const now = this.now();
    const token = randomUUID();
    const exp = now + ttlMs;
    const item = { pk: `lock#${key}`, sk: HEAD, token, exp, ttl: ttlSeconds(exp) };
    return (await this.ops.attempt(() => this.doc.send(this.put(item, ifFree(now))))) ? token : undefined;
  }

  async unlock(key: string, token: string): Promise<boolean> {
    const out = await this.ops.attempt(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `lock#${key}`, sk: HEAD },
          ConditionExpression: '#token = :token AND #exp > :now',
          ExpressionAttributeNames: { '#token': 'token', '#exp': 'exp' },
          ExpressionAttributeValues: { ':token': token, ':now': this.now() },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return out?.Attributes !== undefined;
  }

  /** Resolves when the table is active; throws `NOT_READY` when it is missing, not active or unreachable. */
  async ping(): Promise<void> {
    const out = await this.ops.run(() =>
      this.client.send(new DescribeTableCommand({ TableName: this.tableName })),
    );
    const status = out.Table?.TableStatus;
    if (status !== 'ACTIVE') {
      throw new FacegateError(
        'NOT_READY',
        `Shared state (DynamoDB) table ${this.tableName} is ${status ?? 'missing'}`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  /**
   * Books one slot from what was read: behind a live booking within reach (every racing caller gets its own slot,
   * one interval apart), at the longest wait when the bookings reach further, or now when the key is idle. Each
   * write is conditioned on the state it was chosen for; undefined when that state changed meanwhile.
   */
  private async book(
    pk: string,
    held: StateItem | undefined,
    intervalMs: number,
    maxWaitMs: number,
  ): Promise<number | undefined> {
    const now = this.now();
    const cap = now + maxWaitMs;
    const next = Number(held?.next);
    // The sweeper's time is only ever later than the item's last slot: a slot is at most `cap` + an interval.
    const ttl = ttlSeconds(cap + intervalMs);
    if (isLive(held, now, 'next') && next <= cap) {
      const out = await this.update(
        pk,
        'SET #next = #next + :i, #ttl = :ttl',
        '#next > :now AND #next <= :cap',
        {
          ':i': intervalMs,
          ':ttl': ttl,
          ':now': now,
          ':cap': cap,
        },
      );
      return out?.Attributes ? Number(out.Attributes.next) - intervalMs - now : undefined;
    }
    if (isLive(held, now, 'next')) {
      const out = await this.update(pk, 'SET #next = :next, #ttl = :ttl', '#next > :cap', {
        ':next': cap + intervalMs,
        ':ttl': ttl,
        ':cap': cap,
      });
      return out ? maxWaitMs : undefined;
    }
    const item = { pk, sk: HEAD, next: now + intervalMs, ttl: ttlSeconds(now + intervalMs) };
    return (await this.ops.attempt(() => this.doc.send(this.put(item, ifFree(now, 'next'))))) ? 0 : undefined;
  }

  private update(pk: string, expression: string, condition: string, values: Record<string, number>) {
    return this.ops.attempt(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk, sk: HEAD },
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#next': 'next', '#ttl': 'ttl' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
  }

  private put(item: StateItem, condition: ReturnType<typeof ifFree>): PutCommand {
    return new PutCommand({ TableName: this.tableName, Item: item, ...condition });
  }

  private async remove(pk: string): Promise<void> {
    await this.ops.run(() =>
      this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk, sk: HEAD } })),
    );
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
