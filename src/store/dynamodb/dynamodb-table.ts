import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';

/**
 * The single table's key schema, shared with the CDK stack so both create the same table.
 *
 * | item              | pk                   | sk                   | gsi1pk          | gsi1sk          |
 * | ----------------- | -------------------- | -------------------- | --------------- | --------------- |
 * | employee          | `EMPLOYEE`           | employee id          |                 |                 |
 * | badge claim       | `BADGE`              | badge, lower case    |                 |                 |
 * | face template     | `TEMPLATE`           | template id          | `EMP#<employee>`| `<created>#<id>`|
 * | photo digest      | `SOURCE#<keyed hash>`| `<created>#<id>`     |                 |                 |
 * | audit event       | `AUDIT`              | `<at>#<seq>#<id>`    |                 |                 |
 * | user              | `USER`               | user id              |                 |                 |
 * | username claim    | `USERNAME`           | username, lower case |                 |                 |
 * | API key           | `APIKEY`             | key id               |                 |                 |
 * | key prefix claim  | `KEYPREFIX`          | prefix               |                 |                 |
 * | session           | `SESSION`            | session id           |                 |                 |
 * | lockout counters  | `LOCKOUT`            | subject              |                 |                 |
 * | setting           | `SETTING`            | key                  |                 |                 |
 * | first-admin guard | `META`               | `first-admin`        |                 |                 |
 * | second factor     | `FACTOR`             | factor id            |                 |                 |
 * | passkey claim     | `CREDENTIAL`         | credential id        |                 |                 |
 * | kiosk pairing     | `PAIRING`            | code hash            |                 |                 |
 * | invitation        | `INVITATION`         | invitation id        |                 |                 |
 * | token-hash claim  | `INVITETOKEN`        | SHA-256 of the token |                 |                 |
 * | submission        | `SUBMISSION`         | submission id        |                 |                 |
 * | submission lookup | `INVSUB#<invitation>`| `<created>#<id>`     |                 |                 |
 *
 * Every lookup that must see the last write (badge, username, prefix, digest, get by id, lists) is a strongly
 * consistent GetItem or Query on the base table; only "templates of one employee" uses the GSI, which DynamoDB
 * updates eventually, so a template added a moment ago may be missing from that list for a short while.
 */
export const DYNAMO_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Epoch seconds after which DynamoDB's TTL may delete an item (sessions). */
  ttlAttribute: 'ttl',
} as const;

/** Creates the table with its GSI (on-demand billing) when it does not exist; for local runs and tests. */
export async function ensureDynamoTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const { partitionKey, sortKey, gsi1 } = DYNAMO_KEYS;
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [partitionKey, sortKey, gsi1.partitionKey, gsi1.sortKey].map((name) => ({
        AttributeName: name,
        AttributeType: 'S',
      })),
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: gsi1.name,
          KeySchema: [
            { AttributeName: gsi1.partitionKey, KeyType: 'HASH' },
            { AttributeName: gsi1.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  for (let attempt = 0; attempt < 100; attempt++) {
    const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (table.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
