import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { FacegateError } from '../domain/errors.js';

/** One item as lib-dynamodb returns it (binary attributes come back as Uint8Array). */
export type StateItem = Record<string, unknown>;

/** The sort key of every item that is alone in its partition (and of a timed set's head). */
export const HEAD = '#';

/** Most keys of one BatchGetItem request (DynamoDB's limit). */
const BATCH_GET_LIMIT = 100;

/** How many times a batch read asks again for the keys DynamoDB left unprocessed. */
const UNPROCESSED_RETRIES = 5;

/** Epoch seconds for DynamoDB's TTL sweeper, at or after the epoch-ms expiry `exp`. */
export function ttlSeconds(exp: number): number {
  return Math.ceil(exp / 1000);
}

/** Whether an item exists and has not expired at `now`: the sweeper is lazy, so expired items may still be read. */
export function isLive(item: StateItem | undefined, now: number, attribute = 'exp'): item is StateItem {
  return item !== undefined && Number(item[attribute]) > now;
}

/** The condition of a write that may only take a key nobody holds: absent, or held by an expired item. */
export function ifFree(now: number, attribute = 'exp') {
  return {
    ConditionExpression: 'attribute_not_exists(pk) OR #exp <= :now',
    ExpressionAttributeNames: { '#exp': attribute },
    ExpressionAttributeValues: { ':now': now },
  };
}

/**
 * The table calls of the DynamoDB shared state: every read strongly consistent; a write whose condition fails is
 * `undefined` (the expected outcome of a lost race), any other failure `NOT_READY`.
 */
export class DynamoStateOps {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly table: string,
  ) {}

  /** Sends a command; every failure becomes `NOT_READY` (503) with the reason, never a raw SDK error. */
  async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw notReady(error);
    }
  }

  /** Sends a conditional write; undefined when its condition did not hold. */
  async attempt<T>(command: () => Promise<T>): Promise<T | undefined> {
    try {
      return await command();
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw notReady(error);
    }
  }

  /** Strongly consistent read of one item. */
  async get(pk: string, sk = HEAD): Promise<StateItem | undefined> {
    const out = await this.run(() =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true })),
    );
    return out.Item;
  }

  /** Every item of one partition, strongly consistent, in sort-key order. */
  async partition(pk: string, projection?: readonly string[]): Promise<StateItem[]> {
    const items: StateItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.run(() =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ConsistentRead: true,
            ExclusiveStartKey: start,
            ...(projection ? projectionOf(projection) : {}),
          }),
        ),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** The head items of `pks`, strongly consistent, by partition key (absent keys are missing from the map). */
  async heads(pks: readonly string[]): Promise<Map<string, StateItem>> {
    const found = new Map<string, StateItem>();
    const unique = [...new Set(pks)];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
      let keys: Array<Record<string, unknown>> = unique
        .slice(i, i + BATCH_GET_LIMIT)
        .map((pk) => ({ pk, sk: HEAD }));
      for (let round = 0; keys.length > 0; round++) {
        if (round > UNPROCESSED_RETRIES) throw overloaded('DynamoDB left keys of a batch read unprocessed');
        if (round > 0) await sleep(20 * 2 ** round);
        const request = { [this.table]: { Keys: keys, ConsistentRead: true } };
        const out = await this.run(() => this.doc.send(new BatchGetCommand({ RequestItems: request })));
        for (const item of out.Responses?.[this.table] ?? []) found.set(String(item.pk), item);
        keys = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
      }
    }
    return found;
  }
}

function projectionOf(attributes: readonly string[]) {
  const names = Object.fromEntries(attributes.map((name, i) => [`#p${i}`, name]));
  return { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names };
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** The error of an unreachable or refusing table. */
export function notReady(error: unknown): FacegateError {
  if (error instanceof FacegateError) return error;
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new FacegateError('NOT_READY', `Shared state (DynamoDB) unavailable: ${reason}`);
}

/** The error of a key contended beyond the retries of an optimistic write. */
export function overloaded(what: string): FacegateError {
  return new FacegateError('OVERLOADED', `${what}; retry shortly`, { retryAfterSeconds: 1 });
}
