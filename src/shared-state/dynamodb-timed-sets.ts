import { createHash, randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type DynamoStateOps,
  HEAD,
  ifFree,
  isLive,
  overloaded,
  type StateItem,
  ttlSeconds,
} from './dynamodb-state-ops.js';
import type { TimedEntry, TimedSetLimits } from './shared-state.port.js';

/** A timed set's head: its generation, expiry, and the bounds of its last write. */
interface SetHead {
  gen: string;
  /** Entries stamped at or before this are dropped. */
  floor: number;
  /** The newest this many entries are kept. */
  max: number;
}

/** One entry item as read back. */
interface EntryItem {
  sk: string;
  gen: string;
  at: number;
  entry: Uint8Array | undefined;
}

/** Tries of the head's renewal before a set counts as too contended. */
const MAX_TRIES = 10;

/**
 * Timed sets on DynamoDB: one partition per set, a head item (`sk` `#`) and one item per entry (`sk` `e#` + the
 * SHA-256 of its bytes, so adding the same bytes again restamps them, as a sorted set does). An item per entry keeps
 * every item small whatever the set holds: the failed-probe memory holds up to 512 sealed embeddings of about 3 KB,
 * more than DynamoDB's 400 KB item limit.
 *
 * The head carries a generation: a set whose head expired starts a new one, and entries of an older generation,
 * which the lazy TTL sweeper may leave for days, are never read again (the next write deletes them). The head also
 * carries the last write's floor and bound, which every read applies, so a read racing a write's trimming already
 * sees the set as it will be once the trimming is done.
 */
export class DynamoTimedSets {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly ops: DynamoStateOps,
    private readonly now: () => number,
  ) {}

  async add(key: string, entry: Uint8Array, at: number, limits: TimedSetLimits): Promise<void> {
    const pk = setKey(key);
    const now = this.now();
    const head = await this.renewHead(pk, at, limits, now);
    const exp = now + limits.ttlMs;
    await this.ops.run(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.ops.table,
          Item: { pk, sk: entryKey(entry), gen: head.gen, at, e: entry, ttl: ttlSeconds(exp) },
        }),
      ),
    );
    await this.trim(pk, head);
  }

  async range(key: string, since: number): Promise<TimedEntry[]> {
    const found: TimedEntry[] = [];
    for (const e of await this.read(setKey(key), this.now(), true)) {
      if (e.entry && e.at >= since) found.push({ entry: Uint8Array.from(e.entry), at: e.at });
      // The caller holds its own copy; the read buffer may hold an embedding, which must not linger in the heap.
      e.entry?.fill(0);
    }
    return found;
  }

  async remove(key: string, entries: readonly Uint8Array[]): Promise<number> {
    if (entries.length === 0) return 0;
    const pk = setKey(key);
    const wanted = new Set(entries.map(entryKey));
    const held = (await this.read(pk, this.now())).filter((e) => wanted.has(e.sk));
    const removed = await Promise.all(held.map((e) => this.removeEntry(pk, e)));
    return removed.filter(Boolean).length;
  }

  async removeOneAt(key: string, at: number): Promise<boolean> {
    const pk = setKey(key);
    for (const candidate of (await this.read(pk, this.now())).filter((e) => e.at === at)) {
      // A racing remover may take this one first: then the next entry of that stamp is ours to take.
      if (await this.removeEntry(pk, candidate)) return true;
    }
    return false;
  }

  /** Pushes a live head's expiry and bounds, or starts a new generation when the set is absent or expired. */
  private async renewHead(pk: string, at: number, limits: TimedSetLimits, now: number): Promise<SetHead> {
    const exp = now + limits.ttlMs;
    const bounds = { floor: at - limits.ttlMs, max: limits.maxEntries };
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
      const renewed = await this.ops.attempt(() =>
        this.doc.send(
          new UpdateCommand({
            TableName: this.ops.table,
            Key: { pk, sk: HEAD },
            UpdateExpression: 'SET #exp = :exp, #ttl = :ttl, #floor = :floor, #max = :max',
            ConditionExpression: '#exp > :now',
            ExpressionAttributeNames: { '#exp': 'exp', '#ttl': 'ttl', '#floor': 'floor', '#max': 'max' },
            ExpressionAttributeValues: {
              ':exp': exp,
              ':ttl': ttlSeconds(exp),
              ':now': now,
              ...prefixed(bounds),
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      if (renewed?.Attributes) return { gen: String(renewed.Attributes.gen), ...bounds };
      const gen = randomUUID();
      const started = await this.ops.attempt(() =>
        this.doc.send(
          new PutCommand({
            TableName: this.ops.table,
            Item: { pk, sk: HEAD, gen, exp, ttl: ttlSeconds(exp), ...bounds },
            ...ifFree(now),
          }),
        ),
      );
      if (started) return { gen, ...bounds };
    }
    throw overloaded('A timed set of the shared state is too contended');
  }

  /** Deletes what the head no longer holds: older generations, entries at or below the floor, beyond the bound. */
  private async trim(pk: string, head: SetHead): Promise<void> {
    const entries = (await this.ops.partition(pk, ['sk', 'gen', 'at']))
      .filter((i) => i.sk !== HEAD)
      .map(entryOf);
    const kept = new Set(holds(head, entries).map((e) => e.sk));
    const dropped = entries.filter((e) => !kept.has(e.sk));
    await Promise.all(dropped.map((e) => this.removeEntry(pk, e)));
  }

  /**
   * The entries a set holds at `now`, oldest first: none when its head is absent or expired. Without `bytes`, the
   * entries' bytes are not fetched (removal needs only their keys and stamps).
   */
  private async read(pk: string, now: number, bytes = false): Promise<EntryItem[]> {
    const items = await this.ops.partition(
      pk,
      bytes ? undefined : ['sk', 'gen', 'at', 'exp', 'floor', 'max'],
    );
    const headItem = items.find((i) => i.sk === HEAD);
    if (!isLive(headItem, now)) return [];
    const head = { gen: String(headItem.gen), floor: Number(headItem.floor), max: Number(headItem.max) };
    return holds(head, items.filter((i) => i.sk !== HEAD).map(entryOf));
  }

  /** Deletes an entry as it was read (same generation and stamp), so a restamped one stays; true when deleted. */
  private async removeEntry(pk: string, e: EntryItem): Promise<boolean> {
    const out = await this.ops.attempt(() =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.ops.table,
          Key: { pk, sk: e.sk },
          ConditionExpression: '#gen = :gen AND #at = :at',
          ExpressionAttributeNames: { '#gen': 'gen', '#at': 'at' },
          ExpressionAttributeValues: { ':gen': e.gen, ':at': e.at },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    return out?.Attributes !== undefined;
  }
}

/** The entries of the head's generation above its floor, oldest first, the newest `max` of them. */
function holds(head: SetHead, entries: readonly EntryItem[]): EntryItem[] {
  const current = entries
    .filter((e) => e.gen === head.gen && e.at > head.floor)
    .sort((a, b) => a.at - b.at || (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
  return current.slice(Math.max(0, current.length - head.max));
}

function entryOf(item: StateItem): EntryItem {
  return {
    sk: String(item.sk),
    gen: String(item.gen),
    at: Number(item.at),
    entry: item.e instanceof Uint8Array ? item.e : undefined,
  };
}

function prefixed(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`:${k}`, v]));
}

function setKey(key: string): string {
  return `set#${key}`;
}

/** An entry's sort key: its bytes' SHA-256 (entries are unique within a set; a sort key holds at most 1 KB). */
function entryKey(entry: Uint8Array): string {
  return `e#${createHash('sha256').update(entry).digest('base64url')}`;
}
