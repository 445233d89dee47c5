import { randomUUID } from 'node:crypto';
import type { DataCipher } from '../crypto/data-cipher.js';
import { FacegateError } from '../domain/errors.js';
import type { FaceTemplate, NewFaceTemplate } from '../domain/models.js';
import { embeddingToBytes } from './row-mappers.js';
import { sealSourceHash } from './sqlite/source-hash.js';

// A new `face_templates` row, sealed the same way by the SQLite and PostgreSQL repositories (and bound by the same
// AAD in every store), so a row written by one reads in the other.

/** Additional authenticated data binding a template's ciphertext to its row (id and owner). */
export function templateAad(templateId: string, employeeId: string): string {
  return `facegate:template:${templateId}:${employeeId}`;
}

/** Refuses an embedding that is not a non-empty Float32Array of finite values. */
export function assertStorableEmbedding(embedding: Float32Array): void {
  if (!(embedding instanceof Float32Array) || embedding.length === 0) {
    throw new FacegateError('VALIDATION_FAILED', 'Template embedding must be a non-empty Float32Array');
  }
  if (!embedding.every(Number.isFinite)) {
    throw new FacegateError('VALIDATION_FAILED', 'Template embedding contains non-finite values');
  }
}

/** The columns an insert writes, in the order of {@link SealedTemplate.values}. */
export const TEMPLATE_INSERT_COLUMNS =
  'id, employee_id, embedding_enc, dimension, engine, model, model_version, quality, source_hash, ' +
  'source_digest_enc, photo_key, photo_content_type, created_at';

/** A new template ready to insert: its row values and the record the store returns once it is written. */
export interface SealedTemplate {
  values: unknown[];
  record: FaceTemplate;
}

/** Checks and seals a new template of `employeeId`: embedding encrypted, photo digest keyed and encrypted. */
export function sealNewTemplate(
  cipher: DataCipher,
  employeeId: string,
  template: NewFaceTemplate,
  createdAt: string,
): SealedTemplate {
  const embedding = template.embedding;
  assertStorableEmbedding(embedding);
  const id = template.id ?? randomUUID();
  const encrypted = cipher.encrypt(embeddingToBytes(embedding), templateAad(id, employeeId));
  const source = sealSourceHash(cipher, id, employeeId, template.sourceHash);
  const values = [
    id,
    employeeId,
    Buffer.from(encrypted.buffer, encrypted.byteOffset, encrypted.byteLength),
    embedding.length,
    template.engine,
    template.model,
    template.modelVersion,
    JSON.stringify(template.quality),
    source.hash,
    Buffer.from(source.digestEnc),
    template.photoKey,
    template.photoContentType,
    createdAt,
  ];
  const record: FaceTemplate = {
    id,
    employeeId,
    embedding: Float32Array.from(embedding),
    engine: template.engine,
    model: template.model,
    modelVersion: template.modelVersion,
    quality: { ...template.quality },
    sourceHash: template.sourceHash,
    photoKey: template.photoKey,
    photoContentType: template.photoContentType,
    createdAt,
  };
  return { values, record };
}
