import { randomUUID } from 'node:crypto';
import type { ActorType } from '../../domain/access.js';
import { FacegateError } from '../../domain/errors.js';
import type { AuditEvent, AuditQuery, LockoutState, NewAuditEvent } from '../../domain/models.js';
import { auditDetailsJson } from '../audit-codec.js';
import type {
  AuditRepository,
  KioskPairing,
  KioskPairingRepository,
  LockoutRepository,
  SettingsRepository,
} from '../store.port.js';
import { clampInt } from './dynamodb-claims.js';
import type { DynamoCondition, DynamoItem, DynamoRunner } from './dynamodb-runner.js';
import { now } from './dynamodb-runner.js';

const AUDIT = 'AUDIT';
const LOCKOUT = 'LOCKOUT';
const SETTING = 'SETTING';
const PAIRING = 'PAIRING';
const ACTOR_TYPES: readonly ActorType[] = ['user', 'api_key', 'cli', 'system'];
/** Sorts after every character of an id, closing an inclusive `to` bound. */
const HIGH = '\uffff';

/** Orders events appended by this process within one millisecond; other processes tie-break by id. */
let sequence = 0;

function toAuditEvent(item: DynamoItem): AuditEvent {
  const nullable = <T>(value: unknown): T | null => (value === undefined ? null : (value as T | null));
  return {
    id: String(item.id),
    at: String(item.at),
    action: String(item.action),
    outcome: String(item.outcome),
    reason: nullable<string>(item.reason),
    actorType: item.actorType as ActorType,
    actorId: nullable<string>(item.actorId),
    employeeId: nullable<string>(item.employeeId),
    score: nullable<number>(item.score),
    threshold: nullable<number>(item.threshold),
    engine: nullable<string>(item.engine),
    ip: nullable<string>(item.ip),
    durationMs: nullable<number>(item.durationMs),
    details: JSON.parse(String(item.details)) as Record<string, unknown>,
  };
}

function decodeCursor(cursor: string): string {
  const sk = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^\d{4}-.+#\d{12}#.+$/.test(sk)) throw new FacegateError('VALIDATION_FAILED', 'Invalid audit cursor');
  return sk;
}

/** The key range and filter of an audit query, newest first. */
function auditRange(query: AuditQuery): { low: string; high: string; filter?: DynamoCondition } {
  const low = query.from ?? '0';
  let high = query.to === undefined ? HIGH : `${query.to}#${HIGH}`;
  if (query.cursor) {
    const after = decodeCursor(query.cursor);
    if (after < high) high = after;
  }
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const clauses: string[] = [];
  const filters: Array<[string, string | undefined]> = [
    ['employeeId', query.employeeId],
    ['actorId', query.actorId],
    ['action', query.action],
    ['outcome', query.outcome],
  ];
  for (const [field, value] of filters) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    clauses.push(`#${field} = :${field}`);
  }
  return clauses.length === 0
    ? { low, high }
    : { low, high, filter: { expression: clauses.join(' AND '), names, values } };
}

/** DynamoDB audit log: append-only (conditional put of a new key; nothing updates), newest first by sort key. */
export class DynamoAuditRepository implements AuditRepository {
  constructor(private readonly run: DynamoRunner) {}

  /** Every action in the log; reads the whole audit partition (an admin filter list, not a hot path). */
  async actions(): Promise<string[]> {
    const items = await this.run((ops) => ops.partition(AUDIT));
    return [...new Set(items.map((item) => String(item.action)))].sort();
  }

  async append(event: NewAuditEvent): Promise<AuditEvent> {
    if (!ACTOR_TYPES.includes(event.actorType)) {
      throw new FacegateError('VALIDATION_FAILED', 'Invalid field value', { constraint: 'actor_type' });
    }
    const stored: AuditEvent = {
      id: randomUUID(),
      at: event.at ?? now(),
      action: event.action,
      outcome: event.outcome,
      reason: event.reason ?? null,
      actorType: event.actorType,
      actorId: event.actorId ?? null,
      employeeId: event.employeeId ?? null,
      score: event.score ?? null,
      threshold: event.threshold ?? null,
      engine: event.engine ?? null,
      ip: event.ip ?? null,
      durationMs: event.durationMs ?? null,
      details: {},
    };
    const details = auditDetailsJson(event.details);
    sequence = (sequence + 1) % 1e12;
    const sk = `${stored.at}#${String(sequence).padStart(12, '0')}#${stored.id}`;
    await this.run(async (ops) => {
      if (!(await ops.putNew({ pk: AUDIT, sk, type: 'audit', ...stored, details }))) {
        throw new FacegateError('CONFLICT', 'Audit event already exists');
      }
    });
    return { ...stored, details: JSON.parse(details) as Record<string, unknown> };
  }

  /** Newest first; `from` and `to` are inclusive ISO timestamps; limit defaults to 50 (max 1000). */
  async query(query: AuditQuery): Promise<{ items: AuditEvent[]; nextCursor: string | null }> {
    const limit = clampInt(query.limit, 50, 1, 1000);
    const { low, high, filter } = auditRange(query);
    const found: DynamoItem[] = [];
    await this.run(async (ops) => {
      const pages = ops.pages({
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :low AND :high',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', ...filter?.names },
        ExpressionAttributeValues: { ':pk': AUDIT, ':low': low, ':high': high, ...filter?.values },
        ...(filter ? { FilterExpression: filter.expression } : {}),
        ScanIndexForward: false,
        Limit: Math.min(1000, limit * 4),
      });
      for await (const page of pages) {
        // The cursor's own item sits on the inclusive upper bound: skip it.
        found.push(...page.filter((item) => !query.cursor || item.sk !== high));
        if (found.length > limit) break;
      }
    });
    const page = found.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map(toAuditEvent),
      nextCursor: found.length > limit && last ? Buffer.from(String(last.sk)).toString('base64url') : null,
    };
  }

  async deleteOlderThan(before: string): Promise<number> {
    return this.run(async (ops) => {
      const old = await ops.all({
        KeyConditionExpression: '#pk = :pk AND #sk < :before',
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': AUDIT, ':before': before },
        ProjectionExpression: '#pk, #sk',
      });
      for (const item of old) await ops.remove(AUDIT, String(item.sk));
      return old.length;
    });
  }
}

/** DynamoDB lockout counters, one item per subject. */
export class DynamoLockoutRepository implements LockoutRepository {
  constructor(private readonly run: DynamoRunner) {}

  async get(subject: string): Promise<LockoutState | undefined> {
    const item = await this.run((ops) => ops.get(LOCKOUT, subject));
    return item && toLockout(item);
  }

  async put(state: LockoutState): Promise<void> {
    await this.run((ops) => ops.put({ pk: LOCKOUT, sk: state.subject, type: 'lockout', ...state }));
  }

  async clear(subject: string): Promise<void> {
    await this.run((ops) => ops.remove(LOCKOUT, subject));
  }

  async list(): Promise<LockoutState[]> {
    const items = await this.run((ops) => ops.partition(LOCKOUT));
    return items.map(toLockout);
  }
}

function toLockout(item: DynamoItem): LockoutState {
  return {
    subject: String(item.subject),
    consecutiveFailures: Number(item.consecutiveFailures),
    totalFailures: Number(item.totalFailures),
    lockedUntil: (item.lockedUntil as string | null | undefined) ?? null,
    updatedAt: String(item.updatedAt),
  };
}

/** DynamoDB JSON settings, one item per key; setting `undefined` removes the key. */
export class DynamoSettingsRepository implements SettingsRepository {
  constructor(private readonly run: DynamoRunner) {}

  async get<T>(key: string): Promise<T | undefined> {
    const item = await this.run((ops) => ops.get(SETTING, key));
    return item === undefined ? undefined : (JSON.parse(String(item.value)) as T);
  }

  async set<T>(key: string, value: T): Promise<void> {
    await this.run(async (ops) => {
      if (value === undefined) await ops.remove(SETTING, key);
      else
        await ops.put({
          pk: SETTING,
          sk: key,
          type: 'setting',
          value: JSON.stringify(value),
          updatedAt: now(),
        });
    });
  }

  async all(): Promise<Record<string, unknown>> {
    const items = await this.run((ops) => ops.partition(SETTING));
    return Object.fromEntries(items.map((item) => [String(item.sk), JSON.parse(String(item.value))]));
  }
}

/** DynamoDB one-time kiosk pairing codes (hashes only); DynamoDB's TTL removes forgotten ones. */
export class DynamoKioskPairingRepository implements KioskPairingRepository {
  constructor(private readonly run: DynamoRunner) {}

  async create(pairing: KioskPairing): Promise<void> {
    const ttl = Math.ceil(Date.parse(pairing.expiresAt) / 1000);
    await this.run(async (ops) => {
      if (!(await ops.putNew({ pk: PAIRING, sk: pairing.codeHash, type: 'pairing', ttl, ...pairing }))) {
        throw new FacegateError('CONFLICT', 'Pairing code already exists');
      }
    });
  }

  async take(codeHash: string, now: string): Promise<KioskPairing | undefined> {
    // A conditional-free delete returning the old item is atomic: of two redemptions only one gets the item.
    const item = await this.run((ops) => ops.remove(PAIRING, codeHash));
    if (!item || String(item.expiresAt) <= now) return undefined;
    return {
      codeHash: String(item.codeHash),
      name: String(item.name),
      allowPhotoUpload: item.allowPhotoUpload === true,
      createdBy: String(item.createdBy),
      createdAt: String(item.createdAt),
      expiresAt: String(item.expiresAt),
    };
  }

  async deleteExpired(now: string): Promise<number> {
    return this.run(async (ops) => {
      const items = await ops.partition(PAIRING, {
        expression: '#e <= :now',
        names: { '#e': 'expiresAt' },
        values: { ':now': now },
      });
      for (const item of items) await ops.remove(PAIRING, String(item.sk));
      return items.length;
    });
  }
}
