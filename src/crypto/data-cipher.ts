import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, link, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FacegateConfig } from '../config/config.js';
import { FacegateError } from '../domain/errors.js';
import { at, required } from '../util/checked-access.js';
import { KEY_STRENGTH_RULE, weakKeyReason } from './key-strength.js';

/** Envelope format version written by {@link DataCipher.encrypt}. */
export const ENVELOPE_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/** Name of the key file generated in the data directory in development/test. */
export const GENERATED_KEY_FILE = 'data-keys';

/** One AES-256 data key and its id. */
export interface DataKey {
  id: string;
  key: Buffer;
}

/**
 * AES-256-GCM encryption of data at rest with key ids.
 *
 * Envelope: `[version u8][keyIdLength u8][keyId utf8][iv 12][ciphertext][tag 16]`. The header is bound as
 * additional authenticated data together with the caller's `aad`, so neither can be altered without detection.
 * New writes use the current (first) key; older records stay readable with any configured key.
 */
export class DataCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly subkeys = new Map<string, Buffer>();
  /** Id of the key used for new encryptions. */
  readonly currentKeyId: string;

  constructor(keys: readonly DataKey[]) {
    const first = keys[0];
    if (!first) throw new FacegateError('CONFIG_INVALID', 'At least one data key is required');
    this.keys = new Map();
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) throw new FacegateError('CONFIG_INVALID', `Invalid data key id "${id}"`);
      if (key.length !== KEY_BYTES) {
        throw new FacegateError('CONFIG_INVALID', `Data key "${id}" must be ${KEY_BYTES} bytes`);
      }
      const existing = this.keys.get(id);
      if (existing && !existing.equals(key)) {
        throw new FacegateError('CONFIG_INVALID', `Data key id "${id}" is defined twice with different keys`);
      }
      this.keys.set(id, Buffer.from(key));
    }
    this.currentKeyId = first.id;
  }

  /** Ids of every configured key, current first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** Encrypts `plain` with the current key; `aad` (e.g. a record id) must be given again to decrypt. */
  encrypt(plain: Uint8Array, aad?: Uint8Array | string): Uint8Array {
    const key = required(this.keys.get(this.currentKeyId), 'this.keys.get(this.currentKeyId)');
    const header = envelopeHeader(this.currentKeyId);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(header, aad));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const out = Buffer.concat([header, iv, body, cipher.getAuthTag()]);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  /** Decrypts an envelope; throws `INTERNAL` when it was tampered with, bound to other `aad`, or its key is unknown. */
  decrypt(envelope: Uint8Array, aad?: Uint8Array | string): Uint8Array {
    const { keyId, headerLength } = parseHeader(envelope);
    const key = this.keys.get(keyId);
    if (!key) throw new FacegateError('INTERNAL', 'Encrypted record uses an unknown data key', { keyId });
    const buf = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
    if (buf.length < headerLength + IV_BYTES + TAG_BYTES) {
      throw new FacegateError('INTERNAL', 'Encrypted record is truncated');
    }
    const iv = buf.subarray(headerLength, headerLength + IV_BYTES);
    const tag = buf.subarray(buf.length - TAG_BYTES);
    const body = buf.subarray(headerLength + IV_BYTES, buf.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(buf.subarray(0, headerLength), aad));
      decipher.setAuthTag(tag);
      const out = Buffer.concat([decipher.update(body), decipher.final()]);
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (cause) {
      throw new FacegateError('INTERNAL', 'Encrypted record failed authentication', { keyId }, { cause });
    }
  }

  /** Key id an envelope was written with. */
  keyIdOf(envelope: Uint8Array): string {
    return parseHeader(envelope).keyId;
  }

  /** True when the envelope was written with an older key and should be re-encrypted. */
  needsRotation(envelope: Uint8Array): boolean {
    return this.keyIdOf(envelope) !== this.currentKeyId;
  }

  /**
   * Keyed hash (HMAC-SHA256, hex) of `data` under a subkey derived (HKDF) from the current key for `purpose`.
   * Deterministic for one key, so it can address content without revealing a plain hash of it. It changes when
   * the current key does: whatever stores one must recompute it on rotation, or look up with {@link keyedHashes}.
   */
  keyedHash(data: Uint8Array, purpose: string): string {
    return this.keyedHashWith(this.currentKeyId, data, purpose);
  }

  /** {@link keyedHash} under every configured key, current first: finds values written before a rotation. */
  keyedHashes(data: Uint8Array, purpose: string): string[] {
    return this.keyIds.map((id) => this.keyedHashWith(id, data, purpose));
  }

  private keyedHashWith(keyId: string, data: Uint8Array, purpose: string): string {
    const cacheKey = `${keyId}\u0000${purpose}`;
    let subkey = this.subkeys.get(cacheKey);
    if (!subkey) {
      const key = required(this.keys.get(keyId), 'this.keys.get(keyId)');
      subkey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), `facegate:${purpose}`, 32));
      this.subkeys.set(cacheKey, subkey);
    }
    return createHmac('sha256', subkey).update(data).digest('hex');
  }

  /** Re-encrypts an envelope with the current key (same `aad`); returns it unchanged when already current. */
  rotate(envelope: Uint8Array, aad?: Uint8Array | string): Uint8Array {
    if (!this.needsRotation(envelope)) return envelope;
    return this.encrypt(this.decrypt(envelope, aad), aad);
  }
}

function envelopeHeader(keyId: string): Buffer {
  const id = Buffer.from(keyId, 'utf8');
  return Buffer.concat([Buffer.from([ENVELOPE_VERSION, id.length]), id]);
}

function parseHeader(envelope: Uint8Array): { keyId: string; headerLength: number } {
  if (envelope.length < 2 || envelope[0] !== ENVELOPE_VERSION) {
    throw new FacegateError('INTERNAL', 'Unknown encrypted record format');
  }
  const idLength = at(envelope, 1);
  const headerLength = 2 + idLength;
  if (idLength === 0 || envelope.length < headerLength) {
    throw new FacegateError('INTERNAL', 'Encrypted record header is truncated');
  }
  const keyId = Buffer.from(envelope.buffer, envelope.byteOffset + 2, idLength).toString('utf8');
  return { keyId, headerLength };
}

function additionalData(header: Uint8Array, aad: Uint8Array | string | undefined): Buffer {
  const extra = aad === undefined ? Buffer.alloc(0) : typeof aad === 'string' ? Buffer.from(aad) : aad;
  return Buffer.concat([header, extra]);
}

/**
 * Parses `id:base64[,id:base64...]` (commas or newlines); a single bare base64 key gets the id `default`.
 * Throws `CONFIG_INVALID` without echoing key material.
 */
export function parseDataKeys(spec: string, source = 'FACEGATE_DATA_KEY'): DataKey[] {
  const entries = spec
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
  if (entries.length === 0) throw new FacegateError('CONFIG_INVALID', `${source} holds no key`);
  return entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? 'default' : entry.slice(0, colon).trim();
    const material = colon < 0 ? entry : entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) {
      throw new FacegateError('CONFIG_INVALID', `${source}: key #${index + 1} has an invalid id`);
    }
    const key = Buffer.from(material, 'base64');
    if (
      key.length !== KEY_BYTES ||
      key.toString('base64').replace(/=+$/, '') !== material.replace(/=+$/, '')
    ) {
      throw new FacegateError(
        'CONFIG_INVALID',
        `${source}: key "${id}" must be ${KEY_BYTES} bytes of standard base64`,
      );
    }
    return { id, key };
  });
}

/** Formats keys as a key-file / env value (`id:base64` per line). */
export function formatDataKeys(keys: readonly DataKey[]): string {
  return `${keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join('\n')}\n`;
}

/**
 * Builds the data cipher from config: `security.dataKeys`, then `security.dataKeyFile` (keys of both are merged;
 * the first listed is current). In development/test with neither, a key file is generated once in `dataDir`
 * (mode 0600) and reused; outside production that generated key is also kept (never current) once keys are
 * configured, so older records stay readable. Production without keys is refused by config validation already;
 * in production a current key that fails the entropy rule (`key-strength.ts`) is refused too.
 */
export async function createDataCipher(config: FacegateConfig): Promise<DataCipher> {
  const keys: DataKey[] = [];
  if (config.security.dataKeys) keys.push(...parseDataKeys(config.security.dataKeys));
  if (config.security.dataKeyFile) {
    keys.push(...(await readKeyFile(config.security.dataKeyFile, 'FACEGATE_DATA_KEY_FILE')));
  }
  if (keys.length === 0) {
    if (config.env === 'production') {
      throw new FacegateError('CONFIG_INVALID', 'No data key configured (FACEGATE_DATA_KEY)');
    }
    keys.push(...(await ensureGeneratedKeyFile(config.dataDir)));
  } else if (config.env !== 'production') {
    // Moving a development data dir onto configured keys: its generated key still decrypts old records.
    const generated = join(config.dataDir, GENERATED_KEY_FILE);
    if (await exists(generated)) {
      const known = new Set(keys.map((k) => k.id));
      keys.push(...(await readKeyFile(generated, generated)).filter((k) => !known.has(k.id)));
    }
  }
  if (config.env === 'production') assertStrongKey(at(keys, 0));
  return new DataCipher(keys);
}

/**
 * Refuses a hand-made current data key (all zeros, a repeated pattern). Older keys are not checked: a weak one
 * must stay readable so that `data-keys reencrypt` can move its records to a new, strong key.
 */
function assertStrongKey({ id, key }: DataKey): void {
  const reason = weakKeyReason(key);
  if (reason) {
    throw new FacegateError(
      'CONFIG_INVALID',
      `Data key "${id}" ${reason}; a data key needs ${KEY_STRENGTH_RULE}: \`facegate data-keys generate\``,
    );
  }
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readKeyFile(path: string, source: string): Promise<DataKey[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new FacegateError('CONFIG_INVALID', `${source}: cannot read ${path}`, undefined, { cause });
  }
  return parseDataKeys(text, source);
}

/** Reads `<dataDir>/data-keys`, creating it atomically (0600) with a fresh random key when absent. */
async function ensureGeneratedKeyFile(dataDir: string): Promise<DataKey[]> {
  const path = join(dataDir, GENERATED_KEY_FILE);
  if (!(await exists(path))) {
    await mkdir(dataDir, { recursive: true });
    const id = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
    const temp = join(dataDir, `.${GENERATED_KEY_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(temp, formatDataKeys([{ id, key: randomBytes(KEY_BYTES) }]), {
      mode: 0o600,
      flag: constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY,
    });
    await chmod(temp, 0o600);
    // link() fails when another process won the race, so the first complete file is the one everybody uses.
    await link(temp, path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await rm(temp, { force: true });
  }
  return readKeyFile(path, path);
}
