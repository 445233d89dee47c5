import type { DataCipher } from '../../crypto/data-cipher.js';
import type { FaceTemplate, NewFaceTemplate } from '../../domain/models.js';
import { bytesToEmbedding, type TemplateRow, toTemplate } from '../row-mappers.js';
import { clampInt, now } from '../sqlite/repositories/sql-helpers.js';
import { openSourceDigest, sealSourceHash, sourceHashCandidates } from '../sqlite/source-hash.js';
import type { EmployeeFaceSummary, TemplateRepository } from '../store.port.js';
import { sealNewTemplate, TEMPLATE_INSERT_COLUMNS, templateAad } from '../template-codec.js';
import { changes, countTable, type PgRunner, rowOf, rowsOf } from './pg-runner.js';

/**
 * PostgreSQL face templates: embeddings are AES-GCM encrypted (bytea) with the same AAD as the SQLite store,
 * bound to template id and owner, so a ciphertext moved to another row does not decrypt.
 */
export class PgTemplateRepository implements TemplateRepository {
  constructor(
    private readonly runner: PgRunner,
    private readonly cipher: DataCipher,
  ) {}

  private decode(row: TemplateRow): FaceTemplate {
    const plain = this.cipher.decrypt(row.embedding_enc, templateAad(row.id, row.employee_id));
    return toTemplate(row, bytesToEmbedding(plain), openSourceDigest(this.cipher, row));
  }

  async add(employeeId: string, template: NewFaceTemplate): Promise<FaceTemplate> {
    const { values, record } = sealNewTemplate(this.cipher, employeeId, template, now());
    await this.runner.query(
      `INSERT INTO face_templates (${TEMPLATE_INSERT_COLUMNS})
       VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`,
      values,
    );
    return record;
  }

  async listByEmployee(employeeId: string): Promise<FaceTemplate[]> {
    const rows = await rowsOf<TemplateRow>(
      this.runner,
      'SELECT * FROM face_templates WHERE employee_id = $1 ORDER BY created_at, id',
      [employeeId],
    );
    return rows.map((row) => this.decode(row));
  }

  /** Keyset pages in id order (the primary key), so each batch is one index range scan. */
  async *iterateAll(batchSize = 1000): AsyncIterable<FaceTemplate[]> {
    const size = clampInt(batchSize, 1000, 1, 100_000);
    let after = '';
    for (;;) {
      const rows = await rowsOf<TemplateRow>(
        this.runner,
        'SELECT * FROM face_templates WHERE id > $1 ORDER BY id LIMIT $2',
        [after, size],
      );
      const last = rows.at(-1);
      if (!last) return;
      after = last.id;
      yield rows.map((row) => this.decode(row));
      if (rows.length < size) return;
    }
  }

  /** Looks the photo digest up by its keyed hash under every configured key (rows not yet re-encrypted too). */
  async findBySourceHash(sourceHash: string): Promise<FaceTemplate | undefined> {
    const row = await rowOf<TemplateRow>(
      this.runner,
      'SELECT * FROM face_templates WHERE source_hash = ANY($1::text[]) ORDER BY created_at, id LIMIT 1',
      [sourceHashCandidates(this.cipher, sourceHash)],
    );
    return row && this.decode(row);
  }

  /** One grouped query for all the ids; employees without templates are absent from the map. */
  async faceSummaries(employeeIds: readonly string[]): Promise<Map<string, EmployeeFaceSummary>> {
    const summaries = new Map<string, EmployeeFaceSummary>();
    const ids = [...new Set(employeeIds)];
    if (ids.length === 0) return summaries;
    const rows = await rowsOf<{ employee_id: string; n: number; photo: string | null }>(
      this.runner,
      `SELECT t.employee_id, count(*)::int AS n,
         (SELECT p.id FROM face_templates p WHERE p.employee_id = t.employee_id AND p.photo_key IS NOT NULL
          ORDER BY p.created_at, p.id LIMIT 1) AS photo
       FROM face_templates t WHERE t.employee_id = ANY($1::text[]) GROUP BY t.employee_id`,
      [ids],
    );
    for (const row of rows) {
      summaries.set(row.employee_id, { templateCount: row.n, firstPhotoTemplateId: row.photo });
    }
    return summaries;
  }

  async get(id: string): Promise<FaceTemplate | undefined> {
    const row = await rowOf<TemplateRow>(this.runner, 'SELECT * FROM face_templates WHERE id = $1', [id]);
    return row && this.decode(row);
  }

  async delete(id: string): Promise<boolean> {
    return (await changes(this.runner, 'DELETE FROM face_templates WHERE id = $1', [id])) > 0;
  }

  async listPhotoKeys(): Promise<string[]> {
    const rows = await rowsOf<{ photo_key: string }>(
      this.runner,
      'SELECT DISTINCT photo_key FROM face_templates WHERE photo_key IS NOT NULL ORDER BY photo_key',
    );
    return rows.map((r) => r.photo_key);
  }

  async count(): Promise<number> {
    return countTable(this.runner, 'face_templates');
  }

  /**
   * Re-encrypts every template not yet under the current data key, with its photo digest, whose keyed hash is
   * recomputed under the new key; returns how many were rewritten.
   */
  async reencrypt(batchSize = 500): Promise<number> {
    let rewritten = 0;
    let after = '';
    for (;;) {
      const rows = await rowsOf<ReencryptRow>(
        this.runner,
        `SELECT id, employee_id, embedding_enc, source_digest_enc FROM face_templates
         WHERE id > $1 ORDER BY id LIMIT $2`,
        [after, batchSize],
      );
      for (const row of rows) {
        after = row.id;
        if (await this.reencryptRow(row)) rewritten++;
      }
      if (rows.length < batchSize) return rewritten;
    }
  }

  /** Rewrites one row's stale ciphertexts, only when unchanged since read (a concurrent writer is never overwritten). */
  private async reencryptRow(row: ReencryptRow): Promise<boolean> {
    const embeddingStale = this.cipher.needsRotation(row.embedding_enc);
    const digestStale = row.source_digest_enc === null || this.cipher.needsRotation(row.source_digest_enc);
    if (!embeddingStale && !digestStale) return false;
    const embedding = embeddingStale
      ? Buffer.from(this.cipher.rotate(row.embedding_enc, templateAad(row.id, row.employee_id)))
      : row.embedding_enc;
    const source = digestStale
      ? sealSourceHash(this.cipher, row.id, row.employee_id, openSourceDigest(this.cipher, row))
      : undefined;
    const changed = await changes(
      this.runner,
      `UPDATE face_templates SET embedding_enc = $1, source_hash = COALESCE($2, source_hash),
         source_digest_enc = COALESCE($3, source_digest_enc)
       WHERE id = $4 AND embedding_enc = $5`,
      [
        embedding,
        source?.hash ?? null,
        source ? Buffer.from(source.digestEnc) : null,
        row.id,
        row.embedding_enc,
      ],
    );
    return changed > 0;
  }
}

interface ReencryptRow {
  id: string;
  employee_id: string;
  embedding_enc: Buffer;
  source_digest_enc: Buffer | null;
}
