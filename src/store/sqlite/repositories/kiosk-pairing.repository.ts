import type { KioskPairing, KioskPairingRepository } from '../../store.port.js';
import type { SqlRunner } from '../sql-runner.js';

/** A kiosk_pairings row, as the SQLite and PostgreSQL stores read it. */
export interface PairingRow {
  code_hash: string;
  name: string;
  allow_photo_upload: number;
  created_by: string;
  created_at: string;
  expires_at: string;
}

/** The pairing of a row; PostgreSQL may hand the flag back as a string, hence `Number`. */
export function toPairing(row: PairingRow): KioskPairing {
  return {
    codeHash: row.code_hash,
    name: row.name,
    allowPhotoUpload: Number(row.allow_photo_upload) === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}

/** SQLite one-time kiosk pairing codes (hashes only). */
export class SqliteKioskPairingRepository implements KioskPairingRepository {
  constructor(private readonly runner: SqlRunner) {}

  async create(p: KioskPairing): Promise<void> {
    await this.runner.run((sql) => {
      sql.run(
        `INSERT INTO kiosk_pairings (code_hash, name, allow_photo_upload, created_by, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        p.codeHash,
        p.name,
        p.allowPhotoUpload ? 1 : 0,
        p.createdBy,
        p.createdAt,
        p.expiresAt,
      );
    });
  }

  async take(codeHash: string, now: string): Promise<KioskPairing | undefined> {
    // Read and delete in one synchronous step of the serialised connection: a code is redeemed once.
    return this.runner.run((sql) => {
      const row = sql.get<PairingRow>('SELECT * FROM kiosk_pairings WHERE code_hash = ?', codeHash);
      if (!row) return undefined;
      sql.run('DELETE FROM kiosk_pairings WHERE code_hash = ?', codeHash);
      return row.expires_at > now ? toPairing(row) : undefined;
    });
  }

  async deleteExpired(now: string): Promise<number> {
    return this.runner.run((sql) => sql.run('DELETE FROM kiosk_pairings WHERE expires_at <= ?', now).changes);
  }
}
