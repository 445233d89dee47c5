import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';

/**
 * The shared-state table's key schema, shared with the CDK stack so both create the same table. It is a table of
 * its own, not the store's: its items live seconds to minutes, are rewritten in place (`UpdateItem`, which the
 * store's table is never granted) and need no backup.
 *
 * | what             | pk               | sk             | attributes                                      |
 * | ---------------- | ---------------- | -------------- | ----------------------------------------------- |
 * | single-use item  | `item#<key>`     | `#`            | `v`, `exp`, `ttl`                               |
 * | counter          | `counter#<key>`  | `#`            | `n`, `exp`, `ttl`                               |
 * | paced slots      | `slot#<key>`     | `#`            | `next` (the next slot, also its expiry), `ttl`  |
 * | lock             | `lock#<key>`     | `#`            | `token`, `exp`, `ttl`                           |
 * | timed set head   | `set#<key>`      | `#`            | `gen`, `exp`, `floor`, `max`, `ttl`             |
 * | timed set entry  | `set#<key>`      | `e#<sha-256>`  | `gen`, `at`, `e` (the bytes), `ttl`             |
 *
 * `exp` is the expiry in epoch milliseconds that every read and condition checks; `ttl` is the same instant in
 * epoch seconds for DynamoDB's time-to-live sweeper, which deletes expired items lazily (often within a few days).
 */
export const SHARED_STATE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
} as const;

/** Creates the shared-state table (on-demand billing) when it does not exist; for local runs and tests. */
export async function ensureSharedStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const { partitionKey, sortKey } = SHARED_STATE_KEYS;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [partitionKey, sortKey].map((name) => ({
        AttributeName: name,
        AttributeType: 'S',
      })),
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (table.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
