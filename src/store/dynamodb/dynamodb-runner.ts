import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { DYNAMO_KEYS } from './dynamodb-table.js';

/** One stored item as lib-dynamodb returns it (binary attributes come back as Uint8Array). */
export type DynamoItem = Record<string, unknown>;

/** A condition on a write, in DynamoDB expression syntax. */
export interface DynamoCondition {
  expression: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** A query on the table or its GSI, without the table name; `ConsistentRead` is set for base-table queries. */
export type DynamoQuery = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

interface UndoEntry {
  pk: string;
  sk: string;
  before: DynamoItem | undefined;
}

/** Before-images of the writes of one statement or transaction, undone in reverse order on failure. */
export class DynamoJournal {
  readonly entries: UndoEntry[] = [];
}

/** The table operations a repository statement may use; writes are journalled so a failure can undo them. */
export class DynamoOps {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly journal: DynamoJournal,
  ) {}

  /** Strongly consistent read of one item. */
  async get(pk: string, sk: string): Promise<DynamoItem | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true }),
    );
    return out.Item;
  }

  /** Every page of a query, in order. */
  async *pages(query: DynamoQuery): AsyncGenerator<DynamoItem[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          ...query,
          TableName: this.table,
          ConsistentRead: query.IndexName ? undefined : true,
          ExclusiveStartKey: start,
        }),
      );
      yield out.Items ?? [];
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /** Every item of a query. */
  async all(query: DynamoQuery): Promise<DynamoItem[]> {
    const items: DynamoItem[] = [];
    for await (const page of this.pages(query)) items.push(...page);
    return items;
  }

  /** Every item of one partition (optionally with a filter). */
  async partition(pk: string, filter?: DynamoCondition): Promise<DynamoItem[]> {
    return this.all(partitionQuery(pk, filter));
  }

  /**
   * Writes `item`; with a condition, returns false (and writes nothing) when it does not hold.
   * The previous item, returned by DynamoDB with the write, is journalled.
   */
  async put(item: DynamoItem, condition?: DynamoCondition): Promise<boolean> {
    try {
      const out = await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ReturnValues: 'ALL_OLD',
          ...conditionInput(condition),
        }),
      );
      this.journal.entries.push({ pk: String(item.pk), sk: String(item.sk), before: out.Attributes });
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Writes `item` only when no item has its key; returns false when one does. */
  async putNew(item: DynamoItem): Promise<boolean> {
    return this.put(item, { expression: 'attribute_not_exists(pk)' });
  }

  /** Deletes one item (optionally under a condition); returns what was deleted, or undefined. */
  async remove(pk: string, sk: string, condition?: DynamoCondition): Promise<DynamoItem | undefined> {
    try {
      const out = await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk, sk },
          ReturnValues: 'ALL_OLD',
          ...conditionInput(condition),
        }),
      );
      if (out.Attributes) this.journal.entries.push({ pk, sk, before: out.Attributes });
      return out.Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** How many items a partition holds. */
  async count(pk: string, filter?: DynamoCondition): Promise<number> {
    let total = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          ...partitionQuery(pk, filter),
          TableName: this.table,
          ConsistentRead: true,
          Select: 'COUNT',
          ExclusiveStartKey: start,
        }),
      );
      total += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return total;
  }

  /** Restores the before-images journalled after `mark`, newest first, and forgets them. */
  async undo(mark: number): Promise<void> {
    const entries = this.journal.entries.splice(mark);
    for (const entry of entries.reverse()) {
      try {
        if (entry.before) await this.doc.send(new PutCommand({ TableName: this.table, Item: entry.before }));
        else
          await this.doc.send(
            new DeleteCommand({ TableName: this.table, Key: { pk: entry.pk, sk: entry.sk } }),
          );
      } catch {
        // Best effort: the remaining entries are still restored; the caller sees the original error.
      }
    }
  }

  /** The journal's length, to undo back to. */
  get mark(): number {
    return this.journal.entries.length;
  }
}

/** A key-condition query on one partition of the base table. */
export function partitionQuery(pk: string, filter?: DynamoCondition): DynamoQuery {
  return {
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': DYNAMO_KEYS.partitionKey, ...filter?.names },
    ExpressionAttributeValues: { ':pk': pk, ...filter?.values },
    ...(filter ? { FilterExpression: filter.expression } : {}),
  };
}

function conditionInput(condition: DynamoCondition | undefined): {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  if (!condition) return {};
  return {
    ConditionExpression: condition.expression,
    ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
    ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
  };
}

/** Runs one repository statement: its writes all stay, or the ones made are undone when it throws. */
export type DynamoRunner = <T>(fn: (ops: DynamoOps) => Promise<T>) => Promise<T>;

/** Current time, ISO 8601. */
export const now = (): string => new Date().toISOString();
