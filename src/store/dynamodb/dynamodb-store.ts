import { AsyncLocalStorage } from 'node:async_hooks';
import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DataCipher } from '../../crypto/data-cipher.js';
import { FacegateError } from '../../domain/errors.js';
import { SerialQueue } from '../../util/serial-queue.js';
import type {
  ApiKeyRepository,
  AuditRepository,
  EmployeeRepository,
  InvitationRepository,
  KioskPairingRepository,
  LockoutRepository,
  SessionRepository,
  SettingsRepository,
  Store,
} from '../store.port.js';
import {
  DynamoApiKeyRepository,
  DynamoSessionRepository,
  DynamoUserRepository,
} from './dynamodb-account-repositories.js';
import {
  DynamoEnrolmentSubmissionRepository,
  DynamoInvitationRepository,
} from './dynamodb-enrolment-repositories.js';
import { DynamoEmployeeRepository, DynamoTemplateRepository } from './dynamodb-face-repositories.js';
import { DynamoJournal, DynamoOps, type DynamoRunner } from './dynamodb-runner.js';
import { DynamoSecondFactorRepository } from './dynamodb-second-factor-repository.js';
import {
  DynamoAuditRepository,
  DynamoKioskPairingRepository,
  DynamoLockoutRepository,
  DynamoSettingsRepository,
} from './dynamodb-state-repositories.js';

/** Where the table lives. */
export interface DynamoStoreOptions {
  tableName: string;
  /** Client settings (region, endpoint for a local server, credentials); ignored when `client` is given. */
  clientConfig?: DynamoDBClientConfig;
  client?: DynamoDBClient;
}

interface TxState {
  store: DynamoStore;
  active: boolean;
}

const txContext = new AsyncLocalStorage<TxState>();

/** The repositories of one view of the store (the root, or one transaction) over one runner. */
class DynamoRepositories {
  readonly employees: EmployeeRepository;
  readonly templates: DynamoTemplateRepository;
  readonly audit: AuditRepository;
  readonly users: DynamoUserRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly sessions: SessionRepository;
  readonly kioskPairings: KioskPairingRepository;
  readonly lockouts: LockoutRepository;
  readonly settings: SettingsRepository;
  readonly secondFactors: DynamoSecondFactorRepository;
  readonly invitations: InvitationRepository;
  readonly enrolmentSubmissions: DynamoEnrolmentSubmissionRepository;

  constructor(run: DynamoRunner, cipher: DataCipher) {
    const templates = new DynamoTemplateRepository(run, cipher);
    const sessions = new DynamoSessionRepository(run);
    const factors = new DynamoSecondFactorRepository(run, cipher);
    const submissions = new DynamoEnrolmentSubmissionRepository(run);
    this.secondFactors = factors;
    this.templates = templates;
    this.invitations = new DynamoInvitationRepository(run);
    this.enrolmentSubmissions = submissions;
    this.employees = new DynamoEmployeeRepository(run, templates, factors, submissions);
    this.audit = new DynamoAuditRepository(run);
    this.sessions = sessions;
    this.users = new DynamoUserRepository(run, cipher, sessions, factors);
    this.apiKeys = new DynamoApiKeyRepository(run);
    this.kioskPairings = new DynamoKioskPairingRepository(run);
    this.lockouts = new DynamoLockoutRepository(run);
    this.settings = new DynamoSettingsRepository(run);
  }
}

/**
 * The store on one DynamoDB table (see `dynamodb-table.ts` for the layout).
 *
 * Guarantees, narrower than SQLite's because DynamoDB has no interactive transactions (and the local test
 * server, dynalite, has no `TransactWriteItems`):
 * - every repository call is a statement: when it fails part-way, the items it wrote are restored from the
 *   before-images DynamoDB returned with each write (`ReturnValues: ALL_OLD`);
 * - uniqueness (badge, username, key prefix) and first-run setup rest on conditional writes, so they hold across
 *   Lambda instances;
 * - `transaction(fn)` is all-or-nothing and isolated **within this process**: other callers of this store wait
 *   while it runs, and its writes are undone in reverse order when fn throws. Other processes may see its writes
 *   before it ends, and a process killed mid-transaction leaves the writes it made.
 */
export class DynamoStore extends DynamoRepositories implements Store {
  readonly kind = 'dynamodb';
  private readonly queue = new SerialQueue();
  private closed = false;

  private constructor(
    private readonly client: DynamoDBClient,
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly cipher: DataCipher,
  ) {
    super((fn) => this.runRoot(fn), cipher);
  }

  /** Opens the store on an existing table (create it with the CDK stack or `ensureDynamoTable`). */
  static open(options: DynamoStoreOptions, cipher: DataCipher): DynamoStore {
    const client = options.client ?? new DynamoDBClient(options.clientConfig ?? {});
    const doc = DynamoDBDocumentClient.from(client, {
      marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
    });
    return new DynamoStore(client, doc, options.tableName, cipher);
  }

  private assertUsable(): void {
    if (this.closed) throw new FacegateError('NOT_READY', 'Store is closed');
    const tx = txContext.getStore();
    if (tx?.active && tx.store === this) {
      throw new FacegateError(
        'INTERNAL',
        'Use the transaction store passed to transaction(fn), not the root store',
      );
    }
  }

  private async statement<T>(journal: DynamoJournal, fn: (ops: DynamoOps) => Promise<T>): Promise<T> {
    const ops = new DynamoOps(this.doc, this.table, journal);
    const mark = ops.mark;
    try {
      return await fn(ops);
    } catch (error) {
      await ops.undo(mark);
      throw error;
    }
  }

  private async runRoot<T>(fn: (ops: DynamoOps) => Promise<T>): Promise<T> {
    this.assertUsable();
    if (!this.queue.busy) return this.statement(new DynamoJournal(), fn);
    return this.queue.run(() => {
      if (this.closed) throw new FacegateError('NOT_READY', 'Store is closed');
      return this.statement(new DynamoJournal(), fn);
    });
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    this.assertUsable();
    return this.queue.run(async () => {
      if (this.closed) throw new FacegateError('NOT_READY', 'Store is closed');
      const state: TxState = { store: this, active: true };
      const journal = new DynamoJournal();
      try {
        return await txContext.run(state, () => fn(this.transactionView(state, journal)));
      } catch (error) {
        await new DynamoOps(this.doc, this.table, journal).undo(0);
        throw error;
      } finally {
        state.active = false;
      }
    });
  }

  private transactionView(state: TxState, journal: DynamoJournal): Store {
    const run: DynamoRunner = (fn) => {
      if (!state.active) {
        return Promise.reject(
          new FacegateError('INTERNAL', 'Transaction store used after its transaction ended'),
        );
      }
      return this.statement(journal, fn);
    };
    const repositories = new DynamoRepositories(run, this.cipher);
    const view: Store = {
      kind: this.kind,
      employees: repositories.employees,
      templates: repositories.templates,
      audit: repositories.audit,
      users: repositories.users,
      apiKeys: repositories.apiKeys,
      sessions: repositories.sessions,
      kioskPairings: repositories.kioskPairings,
      lockouts: repositories.lockouts,
      settings: repositories.settings,
      secondFactors: repositories.secondFactors,
      invitations: repositories.invitations,
      enrolmentSubmissions: repositories.enrolmentSubmissions,
      // A nested transaction is a savepoint: its writes are undone alone when it throws.
      transaction: async <U>(inner: (tx: Store) => Promise<U>): Promise<U> => {
        if (!state.active) throw new FacegateError('INTERNAL', 'Transaction already ended');
        const ops = new DynamoOps(this.doc, this.table, journal);
        const mark = ops.mark;
        try {
          return await inner(view);
        } catch (error) {
          await ops.undo(mark);
          throw error;
        }
      },
      ping: () => this.describe(),
      close: async () => {
        throw new FacegateError('INTERNAL', 'Cannot close the store inside a transaction');
      },
    };
    return view;
  }

  private async describe(): Promise<void> {
    const out = await this.client.send(new DescribeTableCommand({ TableName: this.table }));
    if (out.Table?.TableStatus !== 'ACTIVE') {
      throw new FacegateError(
        'NOT_READY',
        `DynamoDB table ${this.table} is ${out.Table?.TableStatus ?? 'missing'}`,
      );
    }
  }

  /** Re-encrypts templates and TOTP secrets under the current data key (after rotation); returns how many changed. */
  async reencrypt(): Promise<number> {
    return (
      (await this.templates.reencrypt()) +
      (await this.users.reencrypt()) +
      (await this.secondFactors.reencrypt())
    );
  }

  async ping(): Promise<void> {
    this.assertUsable();
    await this.describe();
  }

  /** Waits for an open transaction, then releases the client; later calls fail with `NOT_READY`. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue.run(() => {
      this.closed = true;
      this.client.destroy();
    });
  }
}
