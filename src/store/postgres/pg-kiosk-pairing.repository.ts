import { type PairingRow, toPairing } from '../sqlite/repositories/kiosk-pairing.repository.js';
import type { KioskPairing, KioskPairingRepository } from '../store.port.js';
import { type PgRunner, rowOf } from './pg-runner.js';

/** PostgreSQL one-time kiosk pairing codes (hashes only). */
export class PgKioskPairingRepository implements KioskPairingRepository {
  constructor(private readonly runner: PgRunner) {}

  async create(p: KioskPairing): Promise<void> {
    await this.runner.query(
      `INSERT INTO kiosk_pairings (code_hash, name, allow_photo_upload, created_by, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [p.codeHash, p.name, p.allowPhotoUpload ? 1 : 0, p.createdBy, p.createdAt, p.expiresAt],
    );
  }

  async take(codeHash: string, now: string): Promise<KioskPairing | undefined> {
    // DELETE … RETURNING is one atomic step: of two nodes redeeming the same code, only one gets the row.
    const row = await rowOf<PairingRow>(
      this.runner,
      'DELETE FROM kiosk_pairings WHERE code_hash = $1 RETURNING *',
      [codeHash],
    );
    return row && row.expires_at > now ? toPairing(row) : undefined;
  }

  async deleteExpired(now: string): Promise<number> {
    const result = await this.runner.query('DELETE FROM kiosk_pairings WHERE expires_at <= $1', [now]);
    return result.rowCount ?? 0;
  }
}
