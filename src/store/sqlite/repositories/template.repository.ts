import type { DataCipher } from '../../../crypto/data-cipher.js';
import type { FaceTemplate, NewFaceTemplate } from '../../../domain/models.js';
import { bytesToEmbedding, type TemplateRow, toTemplate } from '../../row-mappers.js';
import type { EmployeeFaceSummary, TemplateRepository } from '../../store.port.js';
import { sealNewTemplate, TEMPLATE_INSERT_COLUMNS, templateAad } from '../../template-codec.js';
import { openSourceDigest, sealSourceHash, sourceHashCandidates } from '../source-hash.js';
import type { Sql, SqlRunner } from '../sql-runner.js';
import { clampInt, countRows, now } from './sql-helpers.js';

/** SQLite face templates; embeddings are AES-GCM encrypted, bound to template id and owner. */
export class SqliteTemplateRepository implements TemplateRepository {
  constructor(
    private readonly runner: SqlRunner,
    private readonly cipher: DataCipher,
  ) {}

  private decode(row: TemplateRow): FaceTemplate {
    const plain = this.cipher.decrypt(row.embedding_enc, templateAad(row.id, row.employee_id));
    return toTemplate(row, bytesToEmbedding(plain), openSourceDigest(this.cipher, row));
  }

  async add(employeeId: string, template: NewFaceTemplate): Promise<FaceTemplate> {
    const { values, record } = sealNewTemplate(this.cipher, employeeId, template, now());
    return this.runner.run((sql) => {
      sql.run(
        `INSERT INTO face_templates (${TEMPLATE_INSERT_COLUMNS}) VALUES (${values.map(() => '?').join(', ')})`,
        ...values,
      );
      return record;
    });
  }

  async listByEmployee(employeeId: string): Promise<FaceTemplate[]> {
    return this.runner.run((sql) =>
      sql
        .all<TemplateRow>(
          'SELECT * FROM face_templates WHERE employee_id = ? ORDER BY created_at, id',
          employeeId,
        )
        .map((row) => this.decode(row)),
    );
  }

  async *iterateAll(batchSize = 1000): AsyncIterable<FaceTemplate[]> {
    const size = clampInt(batchSize, 1000, 1, 100_000);
    let after = 0;
    for (;;) {
      const batch = await this.runner.run((sql) => {
        const rows = sql.all<TemplateRow & { rid: number }>(
          'SELECT rowid AS rid, * FROM face_templates WHERE rowid > ? ORDER BY rowid LIMIT ?',
          after,
          size,
        );
        const last = rows.at(-1);
        if (last) after = last.rid;
        return rows.map((row) => this.decode(row));
      });
      if (batch.length === 0) return;
      yield batch;
      if (batch.length < size) return;
    }
  }

  /** Looks the photo digest up by its keyed hash under every configured key (rows not yet re-encrypted too). */
  async findBySourceHash(sourceHash: string): Promise<FaceTemplate | undefined> {
    const candidates = sourceHashCandidates(this.cipher, sourceHash);
    return this.runner.run((sql) => {
      const row = sql.get<TemplateRow>(
        `SELECT * FROM face_templates WHERE source_hash IN (${candidates.map(() => '?').join(', ')})
         ORDER BY created_at, id LIMIT 1`,
        ...candidates,
      );
      return row && this.decode(row);
    });
  }

  /** One grouped query over the employee index; employees without templates are absent from the map. */
  async faceSummaries(employeeIds: readonly string[]): Promise<Map<string, EmployeeFaceSummary>> {
    const ids = [...new Set(employeeIds)];
    const summaries = new Map<string, EmployeeFaceSummary>();
    // Chunks stay far below SQLite's bound-parameter limit.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.runner.run((sql) =>
        sql.all<{ employee_id: string; n: number; photo: string | null }>(
          `SELECT t.employee_id, count(*) AS n,
             (SELECT p.id FROM face_templates p WHERE p.employee_id = t.employee_id AND p.photo_key IS NOT NULL
              ORDER BY p.created_at, p.id LIMIT 1) AS photo
           FROM face_templates t
           WHERE t.employee_id IN (${chunk.map(() => '?').join(', ')}) GROUP BY t.employee_id`,
          ...chunk,
        ),
      );
      for (const row of rows) {
        summaries.set(row.employee_id, { templateCount: row.n, firstPhotoTemplateId: row.photo });
      }
    }
    return summaries;
  }

  async get(id: string): Promise<FaceTemplate | undefined> {
    return this.runner.run((sql) => {
      const row = sql.get<TemplateRow>('SELECT * FROM face_templates WHERE id = ?', id);
      return row && this.decode(row);
    });
  }

  async delete(id: string): Promise<boolean> {
    return this.runner.run((sql) => sql.run('DELETE FROM face_templates WHERE id = ?', id).changes > 0);
  }

  async listPhotoKeys(): Promise<string[]> {
    return this.runner.run((sql) =>
      sql
        .all<{ photo_key: string }>(
          'SELECT DISTINCT photo_key FROM face_templates WHERE photo_key IS NOT NULL ORDER BY photo_key',
        )
        .map((r) => r.photo_key),
    );
  }

  async count(): Promise<number> {
    return this.runner.run((sql) => countRows(sql, 'face_templates'));
  }

  /**
   * Re-encrypts every template not yet under the current data key, with its photo digest, whose keyed hash is
   * recomputed under the new key; returns how many were rewritten.
   */
  async reencrypt(batchSize = 500): Promise<number> {
    let rewritten = 0;
    let after = 0;
    for (;;) {
      const done = await this.runner.run((sql) => {
        const rows = sql.all<ReencryptRow>(
          `SELECT rowid AS rid, id, employee_id, embedding_enc, source_digest_enc FROM face_templates
           WHERE rowid > ? ORDER BY rowid LIMIT ?`,
          after,
          batchSize,
        );
        for (const row of rows) {
          after = row.rid;
          if (this.reencryptRow(sql, row)) rewritten++;
        }
        return rows.length < batchSize;
      });
      if (done) return rewritten;
    }
  }

  private reencryptRow(sql: Sql, row: ReencryptRow): boolean {
    const embeddingStale = this.cipher.needsRotation(row.embedding_enc);
    const digestStale = row.source_digest_enc === null || this.cipher.needsRotation(row.source_digest_enc);
    if (embeddingStale) {
      const fresh = this.cipher.rotate(row.embedding_enc, templateAad(row.id, row.employee_id));
      sql.run('UPDATE face_templates SET embedding_enc = ? WHERE id = ?', fresh, row.id);
    }
    if (digestStale) {
      const source = sealSourceHash(this.cipher, row.id, row.employee_id, openSourceDigest(this.cipher, row));
      sql.run(
        'UPDATE face_templates SET source_hash = ?, source_digest_enc = ? WHERE id = ?',
        source.hash,
        source.digestEnc,
        row.id,
      );
    }
    return embeddingStale || digestStale;
  }
}

interface ReencryptRow {
  rid: number;
  id: string;
  employee_id: string;
  embedding_enc: Buffer;
  source_digest_enc: Buffer | null;
}
