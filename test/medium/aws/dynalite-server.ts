import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureSharedStateTable } from '../../../src/shared-state/dynamodb-state-table.js';
import { ensureDynamoTable } from '../../../src/store/dynamodb/dynamodb-table.js';

type DynaliteFactory = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

/** dynalite ships no types; its default export makes an http.Server over an in-memory LevelDB. */
const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;

/** A running in-memory dynalite on a random loopback port. */
export interface LocalDynamo {
  endpoint: string;
  /** A client on it, with dummy credentials. */
  client(): DynamoDBClient;
  /** A new, empty table with facegate's key schema; returns its name. */
  freshTable(): Promise<string>;
  /** A new, empty table with the shared state's key schema; returns its name. */
  freshStateTable(): Promise<string>;
  stop(): Promise<void>;
}

/** Starts dynalite in memory (no native LevelDB build needed) on 127.0.0.1 and a free port. */
export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = () =>
    new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  const admin = client();
  return {
    endpoint,
    client,
    async freshTable() {
      const name = `facegate-${randomUUID()}`;
      await ensureDynamoTable(admin, name);
      return name;
    },
    async freshStateTable() {
      const name = `facegate-state-${randomUUID()}`;
      await ensureSharedStateTable(admin, name);
      return name;
    },
    async stop() {
      admin.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
