import type { DataCipher } from '../../crypto/data-cipher.js';
import { FacegateError } from '../../domain/errors.js';
import type {
  FactorKind,
  FactorStatus,
  FactorSubject,
  NewSecondFactor,
  SecondFactor,
} from '../../domain/second-factors.js';
import type { SecondFactorRepository } from '../store.port.js';
import { claim, releaseClaim } from './dynamodb-claims.js';
import { type DynamoItem, type DynamoOps, type DynamoRunner, now } from './dynamodb-runner.js';

/** Partition of second factors (sk = factor id) and of passkey credential-id claims (sk = credential id). */
const FACTOR = 'FACTOR';
const CREDENTIAL = 'CREDENTIAL';

/** The secret is bound to its factor id, as in the SQL stores: a ciphertext copied onto another item fails. */
function factorAad(id: string): string {
  return `facegate:second-factor:${id}`;
}

function ofSubject(subject: FactorSubject, kind?: FactorKind) {
  return {
    expression: kind === undefined ? '#t = :t AND #s = :s' : '#t = :t AND #s = :s AND #k = :k',
    names: { '#t': 'subjectType', '#s': 'subjectId', ...(kind === undefined ? {} : { '#k': 'kind' }) },
    values: { ':t': subject.type, ':s': subject.id, ...(kind === undefined ? {} : { ':k': kind }) },
  };
}

function byAge(a: SecondFactor, b: SecondFactor): number {
  return a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);
}

/**
 * Second factors on the DynamoDB table: one item per factor, a claim item per passkey credential id (unique, as
 * the SQL stores' index), conditional writes for "at most once" (activation, TOTP steps, signature counters).
 * Deleting an employee or a user deletes their factors ({@link deleteAllOf}), as the SQL stores' cascade does.
 */
export class DynamoSecondFactorRepository implements SecondFactorRepository {
  constructor(
    private readonly run: DynamoRunner,
    private readonly cipher: DataCipher,
  ) {}

  private decode(item: DynamoItem): SecondFactor {
    const id = String(item.id);
    const enc = item.secretEnc as Uint8Array | null | undefined;
    const credentialId = item.credentialId as string | null | undefined;
    return {
      id,
      subject: { type: item.subjectType as FactorSubject['type'], id: String(item.subjectId) },
      kind: item.kind as FactorKind,
      status: item.status as FactorStatus,
      label: (item.label as string | null | undefined) ?? null,
      secret: enc ? Buffer.from(this.cipher.decrypt(enc, factorAad(id))).toString('utf8') : null,
      secretHash: (item.secretHash as string | null | undefined) ?? null,
      passkey: credentialId
        ? {
            credentialId,
            publicKey: new Uint8Array(item.publicKey as Uint8Array),
            counter: Number(item.signCount ?? 0),
            transports: (item.transports as string[] | undefined) ?? [],
            multiDevice: item.multiDevice === true,
          }
        : null,
      lastUsedStep: item.lastUsedStep == null ? null : Number(item.lastUsedStep),
      createdAt: String(item.createdAt),
      lastUsedAt: (item.lastUsedAt as string | null | undefined) ?? null,
    };
  }

  async add(factor: NewSecondFactor): Promise<SecondFactor> {
    const passkey = factor.passkey ?? null;
    const item: DynamoItem = {
      pk: FACTOR,
      sk: factor.id,
      type: 'second-factor',
      id: factor.id,
      subjectType: factor.subject.type,
      subjectId: factor.subject.id,
      kind: factor.kind,
      status: factor.status,
      label: factor.label ?? null,
      secretEnc:
        factor.secret == null
          ? null
          : this.cipher.encrypt(Buffer.from(factor.secret, 'utf8'), factorAad(factor.id)),
      secretHash: factor.secretHash ?? null,
      credentialId: passkey?.credentialId ?? null,
      publicKey: passkey ? Buffer.from(passkey.publicKey) : null,
      signCount: passkey?.counter ?? 0,
      transports: passkey?.transports ?? [],
      multiDevice: passkey?.multiDevice ?? false,
      lastUsedStep: factor.lastUsedStep ?? null,
      createdAt: now(),
      lastUsedAt: null,
    };
    return this.run(async (ops) => {
      await this.assertSubject(ops, factor.subject);
      if (passkey) {
        const held = (owner: string) => ops.get(FACTOR, owner).then(Boolean);
        if (!(await claim(ops, CREDENTIAL, passkey.credentialId, factor.id, held))) {
          throw new FacegateError('CONFLICT', 'Credential already registered', {
            constraint: 'second_factors.credential_id',
          });
        }
      }
      if (!(await ops.putNew(item))) {
        throw new FacegateError('CONFLICT', 'Second factor already exists', {
          constraint: 'second_factors.id',
        });
      }
      return this.decode(item);
    });
  }

  private async assertSubject(ops: DynamoOps, subject: FactorSubject): Promise<void> {
    const owner = await ops.get(subject.type === 'employee' ? 'EMPLOYEE' : 'USER', subject.id);
    if (!owner) throw new FacegateError('NOT_FOUND', 'Referenced record does not exist');
  }

  async get(id: string): Promise<SecondFactor | undefined> {
    const item = await this.run((ops) => ops.get(FACTOR, id));
    return item && this.decode(item);
  }

  async listBySubject(subject: FactorSubject, kind?: FactorKind): Promise<SecondFactor[]> {
    const items = await this.run((ops) => ops.partition(FACTOR, ofSubject(subject, kind)));
    return items.map((item) => this.decode(item)).sort(byAge);
  }

  async findByCredentialId(credentialId: string): Promise<SecondFactor | undefined> {
    return this.run(async (ops) => {
      const claimed = await ops.get(CREDENTIAL, credentialId);
      const item = claimed && (await ops.get(FACTOR, String(claimed.owner)));
      return item && item.credentialId === credentialId ? this.decode(item) : undefined;
    });
  }

  activate(id: string, at: string): Promise<boolean> {
    return this.change(
      id,
      { status: 'active', lastUsedAt: at },
      {
        expression: '#s = :pending',
        names: { '#s': 'status' },
        values: { ':pending': 'pending' },
      },
    );
  }

  useTotpStep(id: string, step: number, at: string): Promise<boolean> {
    return this.change(
      id,
      { lastUsedStep: step, lastUsedAt: at },
      {
        expression: '#k = :totp AND (attribute_not_exists(#u) OR attribute_type(#u, :null) OR #u < :step)',
        names: { '#k': 'kind', '#u': 'lastUsedStep' },
        values: { ':totp': 'totp', ':null': 'NULL', ':step': step },
      },
    );
  }

  useCounter(id: string, counter: number, at: string): Promise<boolean> {
    const zero = counter === 0 ? ' OR #c = :zero' : '';
    return this.change(
      id,
      { signCount: counter, lastUsedAt: at },
      {
        expression: `#k = :webauthn AND (#c < :counter${zero})`,
        names: { '#k': 'kind', '#c': 'signCount' },
        values: { ':webauthn': 'webauthn', ':counter': counter, ...(counter === 0 ? { ':zero': 0 } : {}) },
      },
    );
  }

  async touch(id: string, at: string): Promise<void> {
    await this.change(id, { lastUsedAt: at }, { expression: 'attribute_exists(pk)' });
  }

  async delete(id: string): Promise<boolean> {
    return this.run(async (ops) => Boolean(await this.removeOne(ops, id)));
  }

  async deleteBySubject(subject: FactorSubject, kinds?: readonly FactorKind[]): Promise<number> {
    return this.run(async (ops) => {
      if (kinds === undefined) return this.deleteAllOf(ops, subject);
      let deleted = 0;
      for (const kind of kinds) {
        for (const item of await ops.partition(FACTOR, ofSubject(subject, kind))) {
          if (await this.removeOne(ops, String(item.id))) deleted++;
        }
      }
      return deleted;
    });
  }

  /** Deletes every factor of the subject inside the caller's statement (employee or user deletion). */
  async deleteAllOf(ops: DynamoOps, subject: FactorSubject): Promise<number> {
    let deleted = 0;
    for (const item of await ops.partition(FACTOR, ofSubject(subject))) {
      if (await this.removeOne(ops, String(item.id))) deleted++;
    }
    return deleted;
  }

  /** Re-encrypts TOTP secrets not under the current data key; returns how many were rewritten. */
  async reencrypt(): Promise<number> {
    return this.run(async (ops) => {
      let rewritten = 0;
      for (const item of await ops.partition(FACTOR)) {
        const enc = item.secretEnc as Uint8Array | null | undefined;
        if (!enc || !this.cipher.needsRotation(enc)) continue;
        const fresh = this.cipher.rotate(enc, factorAad(String(item.id)));
        if (await ops.put({ ...item, secretEnc: fresh }, { expression: 'attribute_exists(pk)' })) rewritten++;
      }
      return rewritten;
    });
  }

  private async removeOne(ops: DynamoOps, id: string): Promise<DynamoItem | undefined> {
    const removed = await ops.remove(FACTOR, id);
    if (removed?.credentialId) await releaseClaim(ops, CREDENTIAL, String(removed.credentialId), id);
    return removed;
  }

  /** Writes `fields` onto the factor when `condition` holds on the stored item; false otherwise (or absent). */
  private change(
    id: string,
    fields: DynamoItem,
    condition: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> },
  ): Promise<boolean> {
    return this.run(async (ops) => {
      const item = await ops.get(FACTOR, id);
      if (!item) return false;
      return ops.put({ ...item, ...fields }, condition);
    });
  }
}
