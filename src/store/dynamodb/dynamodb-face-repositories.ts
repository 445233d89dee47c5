import { randomUUID } from 'node:crypto';
import type { DataCipher } from '../../crypto/data-cipher.js';
import { FacegateError } from '../../domain/errors.js';
import type {
  Employee,
  EmployeePatch,
  EmployeeStatus,
  FaceTemplate,
  NewEmployee,
  NewFaceTemplate,
  Page,
  TemplateQuality,
} from '../../domain/models.js';
import { at } from '../../util/checked-access.js';
import { bytesToEmbedding, embeddingToBytes } from '../row-mappers.js';
import { openSourceDigest, sealSourceHash, sourceHashCandidates } from '../sqlite/source-hash.js';
import type { EmployeeFaceSummary, EmployeeRepository, TemplateRepository } from '../store.port.js';
import { templateAad } from '../template-codec.js';
import type { FactorCascade } from './dynamodb-account-repositories.js';
import { claim, clampInt, notFound, releaseClaim } from './dynamodb-claims.js';
import type { EnrolmentCascade } from './dynamodb-enrolment-repositories.js';
import { type DynamoItem, type DynamoOps, type DynamoRunner, now } from './dynamodb-runner.js';
import { DYNAMO_KEYS } from './dynamodb-table.js';

const EMPLOYEE = 'EMPLOYEE';
const BADGE = 'BADGE';
const TEMPLATE = 'TEMPLATE';
const STATUSES: readonly EmployeeStatus[] = ['active', 'suspended'];
/** The fields an update may change; anything else in a patch is ignored, as by the SQLite adapter. */
const PATCH_FIELDS: ReadonlyArray<keyof EmployeePatch> = [
  'badge',
  'firstName',
  'lastName',
  'email',
  'department',
  'role',
  'status',
  'faceLoginLocked',
];

function toEmployee(item: DynamoItem): Employee {
  return {
    id: String(item.id),
    badge: String(item.badge),
    firstName: String(item.firstName),
    lastName: String(item.lastName),
    email: (item.email as string | null | undefined) ?? null,
    department: (item.department as string | null | undefined) ?? null,
    role: (item.role as string | null | undefined) ?? null,
    status: item.status as EmployeeStatus,
    faceLoginLocked: item.faceLoginLocked === true,
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}

function employeeItem(employee: Employee): DynamoItem {
  return { pk: EMPLOYEE, sk: employee.id, type: 'employee', ...employee };
}

/** The checks SQLite's CHECK constraints make: badge length and status. */
function assertValidEmployee(employee: Employee): void {
  if (employee.badge.length < 1 || employee.badge.length > 128) {
    throw new FacegateError('VALIDATION_FAILED', 'Invalid field value', { constraint: 'badge' });
  }
  if (!STATUSES.includes(employee.status)) {
    throw new FacegateError('VALIDATION_FAILED', 'Invalid field value', { constraint: 'status' });
  }
}

function matchesSearch(employee: Employee, tokens: readonly string[]): boolean {
  const fields = [employee.badge, employee.firstName, employee.lastName, employee.email ?? ''].map((f) =>
    f.toLowerCase(),
  );
  return tokens.every((token) => fields.some((field) => field.includes(token.toLowerCase())));
}

function compareEmployees(a: Employee, b: Employee): number {
  const keys = (e: Employee) => [e.lastName.toLowerCase(), e.firstName.toLowerCase(), e.badge, e.id];
  const ka = keys(a);
  const kb = keys(b);
  for (let i = 0; i < ka.length; i++) {
    const x = at(ka, i);
    const y = at(kb, i);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** DynamoDB employees; the badge is unique through a claim item written first (`BADGE`, lower case). */
export class DynamoEmployeeRepository implements EmployeeRepository {
  constructor(
    private readonly run: DynamoRunner,
    private readonly templates: DynamoTemplateRepository,
    private readonly factors: FactorCascade,
    private readonly enrolment: EnrolmentCascade,
  ) {}

  async create(input: NewEmployee): Promise<Employee> {
    const at = now();
    const employee: Employee = {
      id: input.id ?? randomUUID(),
      badge: input.badge,
      firstName: input.firstName,
      lastName: input.lastName,
      email: input.email ?? null,
      department: input.department ?? null,
      role: input.role ?? null,
      status: input.status ?? 'active',
      faceLoginLocked: false,
      createdAt: at,
      updatedAt: at,
    };
    assertValidEmployee(employee);
    return this.run(async (ops) => {
      await this.claimBadge(ops, employee.badge, employee.id);
      if (!(await ops.putNew(employeeItem(employee)))) {
        throw new FacegateError('CONFLICT', 'Employee id already exists', { constraint: 'employees.id' });
      }
      return employee;
    });
  }

  private async claimBadge(ops: DynamoOps, badge: string, owner: string): Promise<void> {
    const taken = !(await claim(ops, BADGE, badge.toLowerCase(), owner, async (other) => {
      const holder = await ops.get(EMPLOYEE, other);
      return holder !== undefined && String(holder.badge).toLowerCase() === badge.toLowerCase();
    }));
    if (taken) throw new FacegateError('CONFLICT', 'Badge already in use', { constraint: 'employees.badge' });
  }

  async update(id: string, patch: EmployeePatch): Promise<Employee> {
    return this.run(async (ops) => {
      const item = await ops.get(EMPLOYEE, id);
      if (!item) throw notFound('Employee');
      const before = toEmployee(item);
      const defined = Object.fromEntries(
        PATCH_FIELDS.filter((field) => patch[field] !== undefined).map((field) => [field, patch[field]]),
      );
      if (Object.keys(defined).length === 0) return before;
      const after: Employee = { ...before, ...defined, updatedAt: now() };
      assertValidEmployee(after);
      const renamed = after.badge.toLowerCase() !== before.badge.toLowerCase();
      if (renamed) await this.claimBadge(ops, after.badge, id);
      if (!(await ops.put(employeeItem(after), { expression: 'attribute_exists(pk)' })))
        throw notFound('Employee');
      if (renamed) await releaseClaim(ops, BADGE, before.badge.toLowerCase(), id);
      return after;
    });
  }

  async get(id: string): Promise<Employee | undefined> {
    return this.run(async (ops) => {
      const item = await ops.get(EMPLOYEE, id);
      return item && toEmployee(item);
    });
  }

  async getByBadge(badge: string): Promise<Employee | undefined> {
    return this.run(async (ops) => {
      const claimed = await ops.get(BADGE, badge.toLowerCase());
      if (!claimed) return undefined;
      const item = await ops.get(EMPLOYEE, String(claimed.owner));
      // A claim left by an interrupted write names an employee that no longer holds the badge.
      if (!item || String(item.badge).toLowerCase() !== badge.toLowerCase()) return undefined;
      return toEmployee(item);
    });
  }

  /** Reads the whole employee partition, then filters, sorts and pages like the SQLite adapter. */
  async list(query: {
    search?: string;
    status?: EmployeeStatus;
    limit: number;
    offset: number;
  }): Promise<Page<Employee>> {
    const tokens = (query.search ?? '').trim().slice(0, 200).split(/\s+/).filter(Boolean).slice(0, 8);
    const limit = clampInt(query.limit, 50, 0, 10_000);
    const offset = clampInt(query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const all = await this.run((ops) => ops.partition(EMPLOYEE));
    const matching = all
      .map(toEmployee)
      .filter((e) => (!query.status || e.status === query.status) && matchesSearch(e, tokens))
      .sort(compareEmployees);
    return { items: matching.slice(offset, offset + limit), total: matching.length };
  }

  async statuses(): Promise<Array<Pick<Employee, 'id' | 'status' | 'faceLoginLocked'>>> {
    const all = await this.run((ops) => ops.partition(EMPLOYEE));
    return all.map(toEmployee).map(({ id, status, faceLoginLocked }) => ({ id, status, faceLoginLocked }));
  }

  /**
   * Deletes the templates, second factors and self-service enrolment records first, then the employee and its
   * badge claim (the SQL stores' cascade, in steps).
   */
  async delete(id: string): Promise<boolean> {
    return this.run(async (ops) => {
      const item = await ops.get(EMPLOYEE, id);
      if (!item) return false;
      await this.templates.deleteAllOf(ops, id);
      await this.factors.deleteAllOf(ops, { type: 'employee', id });
      await this.enrolment.deleteAllOf(ops, id);
      if (!(await ops.remove(EMPLOYEE, id))) return false;
      await releaseClaim(ops, BADGE, String(item.badge).toLowerCase(), id);
      return true;
    });
  }

  async count(): Promise<number> {
    return this.run((ops) => ops.count(EMPLOYEE));
  }
}

/** Refuses an embedding that is not a non-empty Float32Array of finite values. */
function assertStorableEmbedding(embedding: Float32Array): void {
  if (!(embedding instanceof Float32Array) || embedding.length === 0 || !embedding.every(Number.isFinite)) {
    throw new FacegateError(
      'VALIDATION_FAILED',
      'Template embedding must be a non-empty array of finite floats',
    );
  }
}

/**
 * DynamoDB face templates, encrypted exactly like the SQLite adapter (same AAD, same sealed photo digest).
 * Each template has a digest item (`SOURCE#<keyed hash>`) so idempotent imports find it with a consistent query.
 */
export class DynamoTemplateRepository implements TemplateRepository {
  constructor(
    private readonly run: DynamoRunner,
    private readonly cipher: DataCipher,
  ) {}

  private decode(item: DynamoItem): FaceTemplate {
    const id = String(item.id);
    const employeeId = String(item.employeeId);
    const plain = this.cipher.decrypt(item.embeddingEnc as Uint8Array, templateAad(id, employeeId));
    const digest = openSourceDigest(this.cipher, {
      id,
      employee_id: employeeId,
      source_digest_enc: (item.sourceDigestEnc as Uint8Array | undefined) ?? null,
    });
    return {
      id,
      employeeId,
      embedding: bytesToEmbedding(plain),
      engine: String(item.engine),
      model: String(item.model),
      modelVersion: String(item.modelVersion),
      quality: JSON.parse(String(item.quality)) as TemplateQuality,
      sourceHash: digest,
      photoKey: (item.photoKey as string | null | undefined) ?? null,
      photoContentType: (item.photoContentType as string | null | undefined) ?? null,
      createdAt: String(item.createdAt),
    };
  }

  async add(employeeId: string, template: NewFaceTemplate): Promise<FaceTemplate> {
    assertStorableEmbedding(template.embedding);
    const id = template.id ?? randomUUID();
    const at = now();
    const source = sealSourceHash(this.cipher, id, employeeId, template.sourceHash);
    const item: DynamoItem = {
      pk: TEMPLATE,
      sk: id,
      [DYNAMO_KEYS.gsi1.partitionKey]: `EMP#${employeeId}`,
      [DYNAMO_KEYS.gsi1.sortKey]: `${at}#${id}`,
      type: 'template',
      id,
      employeeId,
      embeddingEnc: this.cipher.encrypt(embeddingToBytes(template.embedding), templateAad(id, employeeId)),
      dimension: template.embedding.length,
      engine: template.engine,
      model: template.model,
      modelVersion: template.modelVersion,
      quality: JSON.stringify(template.quality),
      sourceHash: source.hash,
      sourceDigestEnc: source.digestEnc,
      photoKey: template.photoKey,
      photoContentType: template.photoContentType,
      createdAt: at,
    };
    return this.run(async (ops) => {
      if (!(await ops.get('EMPLOYEE', employeeId))) {
        throw new FacegateError('NOT_FOUND', 'Referenced record does not exist');
      }
      if (!(await ops.putNew(item))) {
        throw new FacegateError('CONFLICT', 'Template id already exists', {
          constraint: 'face_templates.id',
        });
      }
      await ops.putNew({ pk: `SOURCE#${source.hash}`, sk: `${at}#${id}`, templateId: id });
      return { ...template, id, employeeId, embedding: Float32Array.from(template.embedding), createdAt: at };
    });
  }

  /** Through the GSI: a template written a moment ago may appear a little later on real DynamoDB. */
  async listByEmployee(employeeId: string): Promise<FaceTemplate[]> {
    const items = await this.run((ops) => ops.all(byEmployee(employeeId)));
    return items.map((item) => this.decode(item));
  }

  async *iterateAll(batchSize = 1000): AsyncIterable<FaceTemplate[]> {
    const size = clampInt(batchSize, 1000, 1, 100_000);
    const pages = await this.run(async (ops) => ops.pages({ ...templatePartition(), Limit: size }));
    let batch: FaceTemplate[] = [];
    for await (const page of pages) {
      for (const item of page) {
        batch.push(this.decode(item));
        if (batch.length === size) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  async findBySourceHash(sourceHash: string): Promise<FaceTemplate | undefined> {
    return this.run(async (ops) => {
      const found: DynamoItem[] = [];
      for (const candidate of sourceHashCandidates(this.cipher, sourceHash)) {
        for (const entry of await ops.partition(`SOURCE#${candidate}`)) {
          const item = await ops.get(TEMPLATE, String(entry.templateId));
          if (item) found.push(item);
        }
      }
      found.sort((a, b) => (`${a.createdAt}#${a.id}` < `${b.createdAt}#${b.id}` ? -1 : 1));
      return found[0] && this.decode(found[0]);
    });
  }

  async faceSummaries(employeeIds: readonly string[]): Promise<Map<string, EmployeeFaceSummary>> {
    const summaries = new Map<string, EmployeeFaceSummary>();
    for (const employeeId of new Set(employeeIds)) {
      const items = await this.run((ops) => ops.all(byEmployee(employeeId)));
      if (items.length === 0) continue;
      const photo = items.find((item) => item.photoKey !== null && item.photoKey !== undefined);
      summaries.set(employeeId, {
        templateCount: items.length,
        firstPhotoTemplateId: photo ? String(photo.id) : null,
      });
    }
    return summaries;
  }

  async get(id: string): Promise<FaceTemplate | undefined> {
    const item = await this.run((ops) => ops.get(TEMPLATE, id));
    return item && this.decode(item);
  }

  async delete(id: string): Promise<boolean> {
    return this.run(async (ops) => removeTemplate(ops, id));
  }

  /** Deletes every template of an employee, found by a consistent read of the template partition. */
  async deleteAllOf(ops: DynamoOps, employeeId: string): Promise<void> {
    const owned = await ops.partition(TEMPLATE, {
      expression: '#e = :e',
      names: { '#e': 'employeeId' },
      values: { ':e': employeeId },
    });
    for (const item of owned) await removeTemplate(ops, String(item.id));
  }

  async listPhotoKeys(): Promise<string[]> {
    const items = await this.run((ops) => ops.partition(TEMPLATE));
    const keys = new Set(
      items.map((item) => item.photoKey).filter((k): k is string => typeof k === 'string'),
    );
    return [...keys].sort();
  }

  async count(): Promise<number> {
    return this.run((ops) => ops.count(TEMPLATE));
  }

  /**
   * Re-encrypts every template not yet under the current data key, with its photo digest, whose keyed hash (and
   * so its digest item) is recomputed under the new key; returns how many were rewritten.
   */
  async reencrypt(): Promise<number> {
    const items = await this.run((ops) => ops.partition(TEMPLATE));
    let rewritten = 0;
    for (const item of items) {
      if (await this.run((ops) => this.reencryptItem(ops, item))) rewritten++;
    }
    return rewritten;
  }

  private async reencryptItem(ops: DynamoOps, item: DynamoItem): Promise<boolean> {
    const id = String(item.id);
    const employeeId = String(item.employeeId);
    const embeddingEnc = item.embeddingEnc as Uint8Array;
    const digestEnc = item.sourceDigestEnc as Uint8Array | undefined;
    const stale =
      this.cipher.needsRotation(embeddingEnc) || !digestEnc || this.cipher.needsRotation(digestEnc);
    if (!stale) return false;
    const digest = openSourceDigest(this.cipher, {
      id,
      employee_id: employeeId,
      source_digest_enc: digestEnc ?? null,
    });
    const source = sealSourceHash(this.cipher, id, employeeId, digest);
    const fresh = {
      ...item,
      embeddingEnc: this.cipher.rotate(embeddingEnc, templateAad(id, employeeId)),
      sourceHash: source.hash,
      sourceDigestEnc: source.digestEnc,
    };
    if (!(await ops.put(fresh, { expression: 'attribute_exists(pk)' }))) return false;
    const sk = `${String(item.createdAt)}#${id}`;
    await ops.remove(`SOURCE#${String(item.sourceHash)}`, sk);
    await ops.put({ pk: `SOURCE#${source.hash}`, sk, templateId: id });
    return true;
  }
}

async function removeTemplate(ops: DynamoOps, id: string): Promise<boolean> {
  const removed = await ops.remove(TEMPLATE, id);
  if (!removed) return false;
  await ops.remove(`SOURCE#${String(removed.sourceHash)}`, `${String(removed.createdAt)}#${id}`);
  return true;
}

function templatePartition() {
  return {
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': DYNAMO_KEYS.partitionKey },
    ExpressionAttributeValues: { ':pk': TEMPLATE },
  };
}

function byEmployee(employeeId: string) {
  return {
    IndexName: DYNAMO_KEYS.gsi1.name,
    KeyConditionExpression: '#g = :g',
    ExpressionAttributeNames: { '#g': DYNAMO_KEYS.gsi1.partitionKey },
    ExpressionAttributeValues: { ':g': `EMP#${employeeId}` },
  };
}
