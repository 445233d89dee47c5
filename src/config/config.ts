import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseDataKeys } from '../crypto/data-cipher.js';
import { ed25519Seed, KEY_STRENGTH_RULE, weakKeyReason } from '../crypto/key-strength.js';
import { FacegateError } from '../domain/errors.js';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js';

/** A single embedding model of the local engine. */
export type EmbedderId = 'fr_feature' | 'mobilefacenet' | 'dlib';
/** Which embedding model the local engine uses: one model, or the weighted fusion in `engine.fusion`. */
export type EmbedderChoice = EmbedderId | 'fusion';
/** One member of the fused embedder and its weight. */
export interface FusionMember {
  embedder: EmbedderId;
  weight: number;
}
/** Named threshold presets, calibrated by `facegate eval`. */
export type ThresholdPreset = 'strict' | 'balanced' | 'lenient';
/** Runtime environment; only `development` and `test` accept missing or example secrets. */
export type NodeEnv = 'development' | 'test' | 'production';

/** The one validated configuration object of a facegate process. */
export interface FacegateConfig {
  env: NodeEnv;
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  dataDir: string;
  keepPhotos: boolean;
  /** Folder a server watches for photos to enroll (`FACEGATE_WATCH_DIR`); off when unset. */
  watchDir: string | undefined;
  engine: {
    kind: 'local' | 'rekognition';
    embedder: EmbedderChoice;
    flipAugment: boolean;
    /** Worker threads running inference; 0 runs in-process (tests, CLI). */
    workers: number;
    maxImageBytes: number;
    maxImagePixels: number;
    /** Longest side images are downscaled to before detection. */
    detectMaxSide: number;
    minFaceSize: number;
    maxYaw: number;
    maxPitch: number;
    maxRoll: number;
    minSharpness: number;
    minBrightness: number;
    maxBrightness: number;
    /** ONNX Runtime intra-op threads per engine instance; 0 = auto (1). */
    ortThreads: number;
    /** Members of the `fusion` embedder; weights sum to 1. */
    fusion: FusionMember[];
    /** Face detector + mesh: Human on tfjs-wasm, or MediaPipe's models on ONNX Runtime. */
    detector: DetectorId;
  };
  match: {
    /** Preset of 1:1 verification (badge + face). */
    preset: ThresholdPreset;
    /**
     * Preset of 1:N identification. A probe is compared with every employee, so its false-accept rate grows
     * with the gallery (FPIR ≈ N × FAR); hence a stricter default than 1:1.
     */
    identifyPreset: ThresholdPreset;
    /** Minimum gap between the best and second-best employee for 1:N. */
    margin: number;
  };
  /**
   * `postgresUrl` is `FACEGATE_DATABASE_URL`, required by (and only used by) the PostgreSQL store; `dynamodb` holds
   * the `FACEGATE_DYNAMODB_*` settings, required by (and only used by) the DynamoDB store.
   */
  store: { kind: StoreKind; postgresUrl: string | undefined; dynamodb: DynamoSettings };
  /** AWS settings of the serverless flavour (`FACEGATE_ENGINE=rekognition`, the Lambda functions). */
  aws: AwsSettings;
  /** Photo storage: files under the data directory, or an S3-compatible bucket. */
  blobs: { kind: 'fs' | 's3'; s3: S3Settings };
  /** Where state shared between nodes lives (lockout windows, rate limits, single-use items): see {@link SharedStateSettings}. */
  sharedState: SharedStateSettings;
  security: {
    /** Base64 32-byte AES-256-GCM key(s): `id:base64[,id:base64]`, first is current. */
    dataKeys: string | undefined;
    dataKeyFile: string | undefined;
    /** PKCS8 PEM or JWK of the token signing key; generated into dataDir when absent in development. */
    tokenSigningKey: string | undefined;
    tokenIssuer: string;
    tokenAudience: string;
    tokenTtlSeconds: number;
    sessionTtlSeconds: number;
    lockoutThreshold: number;
    lockoutBaseDelaySeconds: number;
    lockoutHardCap: number;
    /** Sliding window of kiosk (door and face) failures; also how long failed probes are remembered. */
    kioskWindowSeconds: number;
    /** Longest delay a kiosk's API key or address ever gets (60 s). */
    kioskMaxDelaySeconds: number;
    /** Share of `no_match` across all kiosks above which the impostor alarm is raised. */
    impostorAlarmRate: number;
    /** Decisions needed in the alarm window before the share counts. */
    impostorAlarmMinSamples: number;
    impostorAlarmWindowSeconds: number;
    rateLimitPerMinute: number;
    corsOrigins: string[];
    /** Which proxies may set the client address by X-Forwarded-For (client IPs drive lockout and rate limits). */
    trustProxy: TrustProxy;
  };
  auditRetentionDays: number;
  /** WebAuthn relying party (passkeys and security keys as second factors). */
  webauthn: WebAuthnConfig;
  /** Operator-facing surfaces: the metrics endpoint and the watch folder. */
  operations: OperationsConfig;
  /** E-mail delivery of invitation links (off when `FACEGATE_SMTP_URL` is unset). */
  mail: MailConfig;
}

/** SMTP delivery of invitation links; see {@link smtpProblems} for what is accepted. */
export interface MailConfig {
  /** `FACEGATE_SMTP_URL`: `smtp://` or `smtps://`, credentials allowed; unset turns e-mail delivery off. */
  smtpUrl: string | undefined;
  /** `FACEGATE_SMTP_FROM`: the sender address; required with the URL. */
  from: string | undefined;
  /** Origin (and path prefix) the links in messages start with: `FACEGATE_PUBLIC_URL`, else the first WebAuthn origin. */
  publicUrl: string;
}

/** Settings of the operator-facing surfaces (see {@link readOperations}). */
export interface OperationsConfig {
  /**
   * Bearer token `/metrics` requires (`FACEGATE_METRICS_TOKEN`); when unset, `/metrics` answers 404. At least
   * {@link MIN_METRICS_TOKEN_LENGTH} varied characters outside development.
   */
  metricsToken: string | undefined;
  /** Lets the watch folder add photos to an existing badge (`FACEGATE_WATCH_ALLOW_EXISTING`, default false). */
  watchAllowExisting: boolean;
}

/** The WebAuthn relying party: its id (a registrable domain) and the origins browsers run the UI on. */
export interface WebAuthnConfig {
  /** `FACEGATE_WEBAUTHN_RP_ID`; defaults to the host of the first origin. */
  rpId: string;
  /** `FACEGATE_WEBAUTHN_ORIGIN` (comma-separated); defaults to `FACEGATE_PUBLIC_URL`, else http://localhost:<port>. */
  origins: string[];
  /** Name shown by authenticators. */
  rpName: string;
}

/** Where facegate keeps its records. */
export type StoreKind = 'sqlite' | 'postgres' | 'dynamodb';

/** The DynamoDB store's table (`FACEGATE_DYNAMODB_*`); read always, checked only when `FACEGATE_STORE=dynamodb`. */
export interface DynamoSettings {
  table: string | undefined;
  /** Endpoint of a DynamoDB-compatible server (DynamoDB Local, dynalite); AWS's own endpoint when unset. */
  endpoint: string | undefined;
  region: string;
}

/**
 * Which provider answers liveness: the local challenge (local engine only), Rekognition Face Liveness sessions,
 * or none (a stored liveness mode other than `off` then refuses face login, never skips the check).
 */
export type LivenessProvider = 'local' | 'rekognition' | 'none';

/** AWS settings: the Rekognition collection, the validation bucket and the liveness provider. */
export interface AwsSettings {
  region: string;
  /** `FACEGATE_REKOGNITION_COLLECTION`: required when `FACEGATE_ENGINE=rekognition`. */
  collectionId: string | undefined;
  /** `FACEGATE_VALIDATION_BUCKET`: where the upload flow's probes go (presigned PUT); off when unset. */
  validationBucket: string | undefined;
  /**
   * `FACEGATE_LIVENESS_PROVIDER`: `local` (the challenge; default with the local engine), `rekognition` (Face
   * Liveness sessions; Rekognition engine only) or `none` (default with the Rekognition engine).
   */
  livenessProvider: LivenessProvider;
  /** Rekognition Face Liveness settings; read always, checked only when the provider is `rekognition`. */
  faceLiveness: FaceLivenessSettings;
}

/**
 * Default least Face Liveness confidence (0–100) that passes. AWS's AI Service Card for Rekognition Face Liveness
 * suggests 50–60 against presentation attacks and 80–90 against sophisticated digital injection (deepfakes,
 * replayed video); a door takes the lower end of the high band.
 */
export const DEFAULT_FACE_LIVENESS_CONFIDENCE = 80;

/** Rekognition Face Liveness sessions (`FACEGATE_LIVENESS_PROVIDER=rekognition`). */
export interface FaceLivenessSettings {
  /**
   * `FACEGATE_LIVENESS_STREAMING_ROLE_ARN`: the role the server assumes (with a session policy) to hand the browser
   * credentials allowed only `rekognition:StartFaceLivenessSession`. Required with the provider.
   */
  streamingRoleArn: string | undefined;
  /** `FACEGATE_LIVENESS_MIN_CONFIDENCE`: least confidence (0–100) of a session that passes. */
  minConfidence: number;
  /** `FACEGATE_LIVENESS_KMS_KEY_ID`: KMS key Rekognition encrypts the session's images with; AWS-owned when unset. */
  kmsKeyId: string | undefined;
}

/** Where the S3 blob store keeps photos (`FACEGATE_S3_*`); read always, checked only when `FACEGATE_BLOBS=s3`. */
export interface S3Settings {
  /** Endpoint of an S3-compatible server (MinIO, Ceph...); AWS's own endpoint for the region when unset. */
  endpoint: string | undefined;
  region: string;
  bucket: string | undefined;
  /** Key prefix inside the bucket, e.g. `facegate/photos/`; empty by default. */
  prefix: string;
  /** Path-style URLs (`endpoint/bucket/key`), which most self-hosted servers need. */
  forcePathStyle: boolean;
  /** Static credentials; both unset uses the SDK's default chain (environment, instance role...). */
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  /** Server-side encryption requested on every write, on top of facegate's own encryption. */
  sse: 'AES256' | 'aws:kms' | undefined;
  /** KMS key of `aws:kms` (the bucket's default key when unset). */
  sseKmsKeyId: string | undefined;
}

/**
 * `FACEGATE_SHARED_STATE` and its settings: the Redis URL is required by (and only used by) `redis`, the table by
 * `dynamodb`.
 */
export interface SharedStateSettings {
  /** `local`: in this process (one node); `redis` or `dynamodb`: shared by every node. */
  kind: 'local' | 'redis' | 'dynamodb';
  /** `FACEGATE_REDIS_URL`: `redis://` or `rediss://`. */
  redisUrl: string | undefined;
  /** `FACEGATE_REDIS_PREFIX`: prefix of every key (default `facegate:`), so one Redis can serve several installs. */
  redisPrefix: string;
  /**
   * `FACEGATE_SHARED_STATE_TABLE`, a table of its own (never the store's), on the store's DynamoDB endpoint and
   * region (`FACEGATE_DYNAMODB_ENDPOINT`, `FACEGATE_DYNAMODB_REGION`).
   */
  dynamodb: DynamoSettings;
}

type Env = Record<string, string | undefined>;

const EXAMPLE_SECRET = /^(change-?me|example|secret|test|dev|password|x+|0+)$/i;

/** Detects secrets that are blank or obviously copied from an example. */
export function isExampleSecret(value: string | undefined): boolean {
  return value === undefined || value.trim() === '' || EXAMPLE_SECRET.test(value.trim());
}

/** The measured default: fr_feature and MobileFaceNet, equal weights (docs/engine.md "Embedders"). */
const DEFAULT_FUSION: FusionMember[] = [
  { embedder: 'fr_feature', weight: 0.5 },
  { embedder: 'mobilefacenet', weight: 0.5 },
];

const EMBEDDER_IDS: readonly EmbedderId[] = ['fr_feature', 'mobilefacenet', 'dlib'];

/** Reads `FACEGATE_*` variables, collecting every problem instead of stopping at the first. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  str(name: string, fallback: string): string {
    return this.opt(name) ?? fallback;
  }

  opt(name: string): string | undefined {
    const raw = this.env[`FACEGATE_${name}`];
    return raw === undefined || raw === '' ? undefined : raw;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    return this.bounded(name, fallback, min, max, Number.isInteger, 'an integer');
  }

  num(name: string, fallback: number, min: number, max: number): number {
    return this.bounded(name, fallback, min, max, Number.isFinite, 'a number');
  }

  private bounded(
    name: string,
    fallback: number,
    min: number,
    max: number,
    isKind: (n: number) => boolean,
    kind: string,
  ): number {
    const raw = this.opt(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!isKind(n) || n < min || n > max) {
      this.problems.push(`FACEGATE_${name} must be ${kind} in [${min}, ${max}], got "${raw}"`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.opt(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`FACEGATE_${name} must be a boolean (true/false), got "${raw}"`);
    return fallback;
  }

  /** A fusion written as the engine names it, e.g. `fr_feature*0.5+mobilefacenet*0.5`. */
  fusion(name: string, fallback: FusionMember[]): FusionMember[] {
    const raw = this.opt(name);
    if (raw === undefined) return fallback;
    const members = raw.split('+').map((part) => {
      const [id, weight] = part.trim().split('*');
      return { embedder: id?.trim() as EmbedderId, weight: Number(weight) };
    });
    const ids = members.map((m) => m.embedder);
    const valid =
      members.length >= 2 &&
      new Set(ids).size === ids.length &&
      members.every((m) => EMBEDDER_IDS.includes(m.embedder) && Number.isFinite(m.weight) && m.weight > 0);
    if (!valid) {
      this.problems.push(
        `FACEGATE_${name} must be two or more distinct members of ${EMBEDDER_IDS.join(', ')} with positive weights, e.g. "fr_feature*0.5+mobilefacenet*0.5", got "${raw}"`,
      );
      return fallback;
    }
    const total = members.reduce((sum, m) => sum + m.weight, 0);
    return members.map((m) => ({ embedder: m.embedder, weight: m.weight / total }));
  }

  trustProxy(name: string): TrustProxy {
    const parsed = parseTrustProxy(this.opt(name));
    if ('value' in parsed) return parsed.value;
    this.problems.push(parsed.problem);
    return { kind: 'none' };
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.opt(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`FACEGATE_${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  }
}

const NODE_ENVS: readonly NodeEnv[] = ['development', 'test', 'production'];
const LOG_LEVELS: readonly FacegateConfig['logLevel'][] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];
const THRESHOLD_PRESETS: readonly ThresholdPreset[] = ['strict', 'balanced', 'lenient'];

/** `FACEGATE_ENV`, defaulting to `NODE_ENV` when that is `production` or `test`. */
function readNodeEnv(r: Reader, env: Env): NodeEnv {
  const fallback: NodeEnv =
    env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  return r.oneOf<NodeEnv>('ENV', fallback, NODE_ENVS);
}

/**
 * The face detectors the local engine can run: Human's BlazeFace (back) + FaceMesh on tfjs-wasm, or MediaPipe's
 * BlazeFace short range (`mediapipe-onnx`, faces near the camera) / full range (`mediapipe-onnx-full`, small faces
 * in group photos too) + FaceMesh on ONNX Runtime.
 */
export const DETECTOR_IDS = ['human', 'mediapipe-onnx', 'mediapipe-onnx-full'] as const;
export type DetectorId = (typeof DETECTOR_IDS)[number];

/**
 * `FACEGATE_DETECTOR`: which detector + mesh the local engine runs. Default MediaPipe short range: more accurate on
 * ../shared/faces than Human (LFW 99.30 % against 98.87 %, TAR at FAR 1e-4 96.2 % against 94.9 %) at about a sixth of
 * its detector time; the full-range model missed 53 of those 3,811 faces (docs/engine.md "Measured accuracy").
 */
function readDetector(r: Reader): DetectorId {
  return r.oneOf<DetectorId>('DETECTOR', 'mediapipe-onnx', DETECTOR_IDS);
}

function readEngine(r: Reader): FacegateConfig['engine'] {
  return {
    kind: r.oneOf('ENGINE', 'local', ['local', 'rekognition']),
    // The fusion (DEFAULT_FUSION, fr_feature*0.5+mobilefacenet*0.5) is the measured default (docs/benchmarks.md
    // "Accuracy"); flip off: it costs about 40 % more CPU per image for a gain within the benchmark's noise
    // (docs/engine.md "Embedders").
    embedder: r.oneOf<EmbedderChoice>('EMBEDDER', 'fusion', [...EMBEDDER_IDS, 'fusion']),
    flipAugment: r.bool('FLIP_AUGMENT', false),
    workers: r.int('ENGINE_WORKERS', Math.max(1, availableParallelism()), 0, 64),
    maxImageBytes: r.int('MAX_IMAGE_BYTES', 15 * 1024 * 1024, 1024, 200 * 1024 * 1024),
    maxImagePixels: r.int('MAX_IMAGE_PIXELS', 40_000_000, 10_000, 400_000_000),
    detectMaxSide: r.int('DETECT_MAX_SIDE', 1280, 256, 8192),
    minFaceSize: r.int('MIN_FACE_SIZE', 40, 8, 4096),
    maxYaw: r.num('MAX_YAW', 35, 1, 90),
    maxPitch: r.num('MAX_PITCH', 30, 1, 90),
    maxRoll: r.num('MAX_ROLL', 50, 1, 180),
    minSharpness: r.num('MIN_SHARPNESS', 0.02, 0, 10),
    minBrightness: r.num('MIN_BRIGHTNESS', 0.15, 0, 1),
    maxBrightness: r.num('MAX_BRIGHTNESS', 0.92, 0, 1),
    ortThreads: r.int('ORT_THREADS', 0, 0, 64),
    fusion: r.fusion('FUSION', DEFAULT_FUSION),
    detector: readDetector(r),
  };
}

function readMatch(r: Reader): FacegateConfig['match'] {
  return {
    preset: r.oneOf<ThresholdPreset>('THRESHOLD_PRESET', 'balanced', THRESHOLD_PRESETS),
    identifyPreset: r.oneOf<ThresholdPreset>('IDENTIFY_PRESET', 'strict', THRESHOLD_PRESETS),
    margin: r.num('MATCH_MARGIN', 0.05, 0, 1),
  };
}

function readSecurity(r: Reader): FacegateConfig['security'] {
  return {
    dataKeys: r.opt('DATA_KEY'),
    dataKeyFile: r.opt('DATA_KEY_FILE'),
    tokenSigningKey: r.opt('TOKEN_SIGNING_KEY'),
    tokenIssuer: r.str('TOKEN_ISSUER', 'facegate'),
    tokenAudience: r.str('TOKEN_AUDIENCE', 'facegate-door'),
    tokenTtlSeconds: r.int('TOKEN_TTL_SECONDS', 60, 5, 3600),
    sessionTtlSeconds: r.int('SESSION_TTL_SECONDS', 8 * 3600, 60, 30 * 24 * 3600),
    lockoutThreshold: r.int('LOCKOUT_THRESHOLD', 5, 1, 1000),
    lockoutBaseDelaySeconds: r.int('LOCKOUT_BASE_DELAY_SECONDS', 30, 1, 86_400),
    lockoutHardCap: r.int('LOCKOUT_HARD_CAP', 20, 2, 100_000),
    kioskWindowSeconds: r.int('KIOSK_WINDOW_SECONDS', 900, 60, 86_400),
    kioskMaxDelaySeconds: r.int('KIOSK_MAX_DELAY_SECONDS', 60, 1, 60),
    impostorAlarmRate: r.num('IMPOSTOR_ALARM_RATE', 0.5, 0.01, 1),
    impostorAlarmMinSamples: r.int('IMPOSTOR_ALARM_MIN_SAMPLES', 20, 1, 1_000_000),
    impostorAlarmWindowSeconds: r.int('IMPOSTOR_ALARM_WINDOW_SECONDS', 600, 10, 86_400),
    rateLimitPerMinute: r.int('RATE_LIMIT_PER_MINUTE', 120, 1, 1_000_000),
    corsOrigins: (r.opt('CORS_ORIGINS') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    trustProxy: r.trustProxy('TRUST_PROXY'),
  };
}

/**
 * The WebAuthn relying party. Browsers only sign for the origin they show, so a wrong origin breaks every passkey:
 * each must be a bare http(s) origin and the RP id must be its host or a parent domain of it.
 */
function readWebAuthn(r: Reader, port: number): WebAuthnConfig {
  const fallback = r.opt('PUBLIC_URL') ?? `http://localhost:${port}`;
  const origins = (r.opt('WEBAUTHN_ORIGIN') ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((raw) => {
      try {
        const url = new URL(raw);
        if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
      } catch {
        // reported below
      }
      r.problems.push(`FACEGATE_WEBAUTHN_ORIGIN must list http(s) origins, got "${raw}"`);
      return undefined;
    })
    .filter((o): o is string => o !== undefined);
  const firstHost = origins[0] ? new URL(origins[0]).hostname : 'localhost';
  const rpId = (r.opt('WEBAUTHN_RP_ID') ?? firstHost).toLowerCase();
  for (const origin of origins) {
    const host = new URL(origin).hostname;
    if (host !== rpId && !host.endsWith(`.${rpId}`)) {
      r.problems.push(
        `FACEGATE_WEBAUTHN_RP_ID "${rpId}" must be the host of ${origin} or a parent domain of it`,
      );
    }
  }
  return { rpId, origins, rpName: r.str('WEBAUTHN_RP_NAME', 'facegate') };
}

/** Every setting read from the environment, each checked on its own. */
function readConfig(r: Reader, env: Env): FacegateConfig {
  const nodeEnv = readNodeEnv(r, env);
  const port = r.int('PORT', 3000, 0, 65535);
  return {
    env: nodeEnv,
    host: r.str('HOST', '127.0.0.1'),
    port,
    logLevel: r.oneOf('LOG_LEVEL', nodeEnv === 'test' ? 'silent' : 'info', LOG_LEVELS),
    dataDir: resolve(r.str('DATA_DIR', './data')),
    keepPhotos: r.bool('KEEP_PHOTOS', true),
    watchDir: r.opt('WATCH_DIR') === undefined ? undefined : resolve(r.str('WATCH_DIR', '')),
    engine: readEngine(r),
    match: readMatch(r),
    store: readStore(r, env),
    aws: readAws(r, env),
    blobs: readBlobs(r, env),
    sharedState: readSharedState(r, env),
    security: readSecurity(r),
    auditRetentionDays: r.int('AUDIT_RETENTION_DAYS', 365, 1, 36_500),
    webauthn: readWebAuthn(r, port),
    operations: readOperations(r),
    mail: readMail(r, port),
  };
}

function readMail(r: Reader, port: number): MailConfig {
  const origin = r.opt('WEBAUTHN_ORIGIN')?.split(',')[0]?.trim();
  return {
    smtpUrl: r.opt('SMTP_URL'),
    from: r.opt('SMTP_FROM'),
    publicUrl: (r.opt('PUBLIC_URL') ?? origin ?? `http://localhost:${port}`).replace(/\/+$/, ''),
  };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * Problems of the SMTP settings. Outside development, plain `smtp://` is accepted only to a loopback relay or with
 * `?requireTLS=true` (STARTTLS required, so credentials and links never cross the network in clear); `smtps://`
 * (TLS from the first byte) is always accepted.
 */
export function smtpProblems(config: Pick<FacegateConfig, 'env' | 'mail'>): string[] {
  const { smtpUrl, from } = config.mail;
  if (smtpUrl === undefined) {
    return from === undefined ? [] : ['FACEGATE_SMTP_FROM is set but FACEGATE_SMTP_URL is not'];
  }
  const problems: string[] = [];
  if (from === undefined || !/^[^\s@<>]+@[^\s@<>]+$/.test(from.replace(/^.*<([^>]*)>\s*$/, '$1'))) {
    problems.push(
      'FACEGATE_SMTP_FROM must be an e-mail address (optionally "Name <address>") when FACEGATE_SMTP_URL is set',
    );
  }
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    return [...problems, 'FACEGATE_SMTP_URL must be an smtp:// or smtps:// URL'];
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    return [...problems, 'FACEGATE_SMTP_URL must be an smtp:// or smtps:// URL'];
  }
  if (url.hostname === '') problems.push('FACEGATE_SMTP_URL must name a host');
  const requireTls = url.searchParams.get('requireTLS') === 'true';
  if (
    url.protocol === 'smtp:' &&
    config.env !== 'development' &&
    !requireTls &&
    !LOOPBACK.test(url.hostname)
  ) {
    problems.push(
      'FACEGATE_SMTP_URL: plain smtp:// to a non-loopback host needs STARTTLS required (append ?requireTLS=true) or smtps://',
    );
  }
  return problems;
}

/** Shortest `FACEGATE_METRICS_TOKEN` accepted outside development. */
export const MIN_METRICS_TOKEN_LENGTH = 32;

function readOperations(r: Reader): OperationsConfig {
  return {
    metricsToken: r.opt('METRICS_TOKEN'),
    watchAllowExisting: r.bool('WATCH_ALLOW_EXISTING', false),
  };
}

/**
 * A metrics token outside development must be long and varied: `/metrics` tells an attacker the traffic, the
 * impostor alarm state and the failure rates.
 */
function metricsTokenProblems(config: FacegateConfig): string[] {
  const token = config.operations.metricsToken;
  if (token === undefined || config.env === 'development') return [];
  const distinct = new Set(token).size;
  if (token.length < MIN_METRICS_TOKEN_LENGTH || distinct < 10 || isExampleSecret(token)) {
    return [
      `FACEGATE_METRICS_TOKEN must be a random string of at least ${MIN_METRICS_TOKEN_LENGTH} characters ` +
        '(e.g. `openssl rand -base64 32`), or unset to turn /metrics off',
    ];
  }
  return [];
}

/** The region of AWS clients: `FACEGATE_AWS_REGION`, else the Lambda runtime's `AWS_REGION`, else us-east-1. */
function awsRegion(r: Reader, env: Env): string {
  return r.opt('AWS_REGION') ?? env.AWS_REGION ?? 'us-east-1';
}

function readStore(r: Reader, env: Env): FacegateConfig['store'] {
  return {
    kind: r.oneOf<StoreKind>('STORE', 'sqlite', ['sqlite', 'postgres', 'dynamodb']),
    postgresUrl: r.opt('DATABASE_URL'),
    dynamodb: {
      table: r.opt('DYNAMODB_TABLE'),
      endpoint: r.opt('DYNAMODB_ENDPOINT'),
      region: r.opt('DYNAMODB_REGION') ?? awsRegion(r, env),
    },
  };
}

function readAws(r: Reader, env: Env): AwsSettings {
  const remote = r.opt('ENGINE') === 'rekognition';
  return {
    region: awsRegion(r, env),
    collectionId: r.opt('REKOGNITION_COLLECTION'),
    validationBucket: r.opt('VALIDATION_BUCKET'),
    livenessProvider: r.oneOf<LivenessProvider>('LIVENESS_PROVIDER', remote ? 'none' : 'local', [
      'local',
      'rekognition',
      'none',
    ]),
    faceLiveness: {
      streamingRoleArn: r.opt('LIVENESS_STREAMING_ROLE_ARN'),
      minConfidence: r.num('LIVENESS_MIN_CONFIDENCE', DEFAULT_FACE_LIVENESS_CONFIDENCE, 0, 100),
      kmsKeyId: r.opt('LIVENESS_KMS_KEY_ID'),
    },
  };
}

const COLLECTION_ID = /^[a-zA-Z0-9_.-]{1,255}$/;

/**
 * The engine, store and liveness combinations that are built. The local liveness challenge reads face meshes
 * from the local engine, so with `FACEGATE_ENGINE=rekognition` liveness is Rekognition Face Liveness or nothing;
 * Face Liveness sessions need the Rekognition client, which only the `rekognition` engine configures.
 */
export function awsProblems(config: Pick<FacegateConfig, 'engine' | 'store' | 'aws'>): string[] {
  const problems: string[] = [];
  const { dynamodb } = config.store;
  if (config.store.kind === 'dynamodb' && !dynamodb.table) {
    problems.push('FACEGATE_DYNAMODB_TABLE is required when FACEGATE_STORE=dynamodb');
  }
  if (dynamodb.endpoint !== undefined && !isUrl(dynamodb.endpoint, ['http:', 'https:'])) {
    problems.push('FACEGATE_DYNAMODB_ENDPOINT must be an http:// or https:// URL');
  }
  const { collectionId, livenessProvider } = config.aws;
  if (config.engine.kind === 'rekognition' && !collectionId) {
    problems.push('FACEGATE_REKOGNITION_COLLECTION is required when FACEGATE_ENGINE=rekognition');
  }
  if (collectionId !== undefined && !COLLECTION_ID.test(collectionId)) {
    problems.push('FACEGATE_REKOGNITION_COLLECTION must be 1-255 letters, digits or _ . -');
  }
  if (config.engine.kind === 'rekognition' && livenessProvider === 'local') {
    problems.push(
      'FACEGATE_ENGINE=rekognition cannot run FACEGATE_LIVENESS_PROVIDER=local: the local liveness challenge reads face meshes only the local engine gives (use rekognition or none)',
    );
  }
  if (livenessProvider === 'rekognition') problems.push(...faceLivenessProblems(config));
  return problems;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const KMS_KEY_ID = /^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2047}$/;

/** Face Liveness sessions need the Rekognition client (the `rekognition` engine) and a streaming role. */
function faceLivenessProblems(config: Pick<FacegateConfig, 'engine' | 'aws'>): string[] {
  const problems: string[] = [];
  const { streamingRoleArn, kmsKeyId } = config.aws.faceLiveness;
  if (config.engine.kind !== 'rekognition') {
    problems.push(
      'FACEGATE_LIVENESS_PROVIDER=rekognition needs FACEGATE_ENGINE=rekognition: Face Liveness sessions run on the Rekognition client that engine configures (use local with the local engine)',
    );
  }
  if (!streamingRoleArn) {
    problems.push(
      'FACEGATE_LIVENESS_STREAMING_ROLE_ARN is required when FACEGATE_LIVENESS_PROVIDER=rekognition (the role whose short-lived credentials let the browser stream to Face Liveness)',
    );
  } else if (!ROLE_ARN.test(streamingRoleArn)) {
    problems.push(
      'FACEGATE_LIVENESS_STREAMING_ROLE_ARN must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
    );
  }
  if (kmsKeyId !== undefined && !KMS_KEY_ID.test(kmsKeyId)) {
    problems.push('FACEGATE_LIVENESS_KMS_KEY_ID must be a KMS key id, key ARN or alias');
  }
  return problems;
}

function readBlobs(r: Reader, env: Env): FacegateConfig['blobs'] {
  return {
    kind: r.oneOf('BLOBS', 'fs', ['fs', 's3']),
    s3: {
      endpoint: r.opt('S3_ENDPOINT'),
      region: r.opt('S3_REGION') ?? awsRegion(r, env),
      bucket: r.opt('S3_BUCKET'),
      prefix: r.str('S3_PREFIX', ''),
      forcePathStyle: r.bool('S3_FORCE_PATH_STYLE', false),
      accessKeyId: r.opt('S3_ACCESS_KEY_ID'),
      secretAccessKey: r.opt('S3_SECRET_ACCESS_KEY'),
      sse:
        r.opt('S3_SSE') === undefined
          ? undefined
          : r.oneOf<'AES256' | 'aws:kms'>('S3_SSE', 'AES256', ['AES256', 'aws:kms']),
      sseKmsKeyId: r.opt('S3_SSE_KMS_KEY_ID'),
    },
  };
}

/** Whether `value` parses as a URL with one of `protocols` (e.g. `postgres:`). */
function isUrl(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function readSharedState(r: Reader, env: Env): SharedStateSettings {
  return {
    kind: r.oneOf<SharedStateSettings['kind']>('SHARED_STATE', 'local', ['local', 'redis', 'dynamodb']),
    redisUrl: r.opt('REDIS_URL'),
    redisPrefix: r.str('REDIS_PREFIX', 'facegate:'),
    dynamodb: {
      table: r.opt('SHARED_STATE_TABLE'),
      endpoint: r.opt('DYNAMODB_ENDPOINT'),
      region: r.opt('DYNAMODB_REGION') ?? awsRegion(r, env),
    },
  };
}

const REDIS_PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;
/** DynamoDB's rule for table names. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/**
 * Problems of the shared-state settings: Redis needs a redis:// URL and a plain key prefix; DynamoDB a valid
 * table name of its own.
 */
export function sharedStateProblems(
  settings: SharedStateSettings,
  store?: Pick<FacegateConfig['store'], 'dynamodb'>,
): string[] {
  if (settings.kind === 'dynamodb')
    return dynamoStateProblems(settings.dynamodb.table, store?.dynamodb.table);
  const problems: string[] = [];
  if (settings.kind !== 'redis') return problems;
  if (!settings.redisUrl) {
    problems.push('FACEGATE_REDIS_URL is required when FACEGATE_SHARED_STATE=redis');
  } else if (!isUrl(settings.redisUrl, ['redis:', 'rediss:'])) {
    problems.push('FACEGATE_REDIS_URL must be a redis:// or rediss:// URL');
  }
  if (!REDIS_PREFIX.test(settings.redisPrefix)) {
    problems.push('FACEGATE_REDIS_PREFIX must be 1-64 letters, digits or _ . : -');
  }
  return problems;
}

function dynamoStateProblems(table: string | undefined, storeTable: string | undefined): string[] {
  if (!table) return ['FACEGATE_SHARED_STATE_TABLE is required when FACEGATE_SHARED_STATE=dynamodb'];
  if (!TABLE_NAME.test(table)) {
    return ['FACEGATE_SHARED_STATE_TABLE must be a DynamoDB table name (3-255 letters, digits or _ . -)'];
  }
  // One table for both would mix short-lived items rewritten in place into the backed-up records, and would need
  // the store's table to grant UpdateItem, which keeps its audit items from being rewritten.
  if (table === storeTable) {
    return [
      "FACEGATE_SHARED_STATE_TABLE must be a table of its own, not the store's FACEGATE_DYNAMODB_TABLE (create it with the CDK stack, or ensureSharedStateTable for a local server)",
    ];
  }
  return [];
}

/**
 * Valid but risky combinations, for the start-up log. PostgreSQL with local shared state is allowed (one node on
 * PostgreSQL is a sound set-up), but a second node would then keep its own lockout windows, rate limits and
 * single-use items.
 */
export function sharedStateWarnings(config: Pick<FacegateConfig, 'store' | 'sharedState'>): string[] {
  const warnings: string[] = [];
  if (config.store.kind === 'postgres' && config.sharedState.kind === 'local') {
    warnings.push(
      'FACEGATE_STORE=postgres with FACEGATE_SHARED_STATE=local: lockout windows, rate limits and single-use items stay in this process; run one node only, or set FACEGATE_SHARED_STATE=redis',
    );
  }
  if (config.store.kind === 'dynamodb' && config.sharedState.kind === 'local') {
    warnings.push(
      'FACEGATE_STORE=dynamodb with FACEGATE_SHARED_STATE=local: challenges, rate limits and the kiosk throttle stay in this process (each Lambda instance counts alone); set FACEGATE_SHARED_STATE=dynamodb',
    );
  }
  if (config.sharedState.kind !== 'redis' && config.sharedState.redisUrl) {
    warnings.push('FACEGATE_REDIS_URL is ignored unless FACEGATE_SHARED_STATE=redis');
  }
  if (config.sharedState.kind !== 'dynamodb' && config.sharedState.dynamodb.table) {
    warnings.push('FACEGATE_SHARED_STATE_TABLE is ignored unless FACEGATE_SHARED_STATE=dynamodb');
  }
  return warnings;
}

/** The store and blob settings that only make sense together. */
function storageProblems(config: FacegateConfig, r: Reader): string[] {
  const problems: string[] = [];
  if (r.opt('POSTGRES_URL') !== undefined) {
    problems.push('FACEGATE_POSTGRES_URL was renamed FACEGATE_DATABASE_URL');
  }
  const url = config.store.postgresUrl;
  if (config.store.kind === 'postgres' && !url) {
    problems.push('FACEGATE_DATABASE_URL is required when FACEGATE_STORE=postgres');
  } else if (config.store.kind === 'postgres' && url && !isUrl(url, ['postgres:', 'postgresql:'])) {
    problems.push('FACEGATE_DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  if (config.blobs.kind !== 's3') return problems;
  const s3 = config.blobs.s3;
  if (!s3.bucket) problems.push('FACEGATE_S3_BUCKET is required when FACEGATE_BLOBS=s3');
  if (s3.endpoint !== undefined && !isUrl(s3.endpoint, ['http:', 'https:'])) {
    problems.push('FACEGATE_S3_ENDPOINT must be an http:// or https:// URL');
  }
  if ((s3.accessKeyId === undefined) !== (s3.secretAccessKey === undefined)) {
    problems.push('FACEGATE_S3_ACCESS_KEY_ID and FACEGATE_S3_SECRET_ACCESS_KEY must be set together');
  }
  if (s3.sseKmsKeyId !== undefined && s3.sse !== 'aws:kms') {
    problems.push('FACEGATE_S3_SSE_KMS_KEY_ID needs FACEGATE_S3_SSE=aws:kms');
  }
  if (s3.prefix.startsWith('/') || s3.prefix.includes('..')) {
    problems.push('FACEGATE_S3_PREFIX must be a relative key prefix, e.g. "facegate/photos/"');
  }
  return problems;
}

/** Problems that involve more than one setting, or a setting that no longer exists. */
function crossCheck(config: FacegateConfig, r: Reader): string[] {
  const problems: string[] = [];
  // A removed setting that is still set would otherwise be ignored silently, with another model than intended.
  if (r.opt('FUSION_WEIGHT') !== undefined) {
    problems.push(
      'FACEGATE_FUSION_WEIGHT was replaced by FACEGATE_FUSION, e.g. "fr_feature*0.3+dlib*0.7" for the former default',
    );
  }
  problems.push(...storageProblems(config, r));
  problems.push(...sharedStateProblems(config.sharedState, config.store));
  problems.push(...awsProblems(config));
  problems.push(...metricsTokenProblems(config));
  problems.push(...smtpProblems(config));
  if (config.engine.minBrightness >= config.engine.maxBrightness) {
    problems.push('FACEGATE_MIN_BRIGHTNESS must be below FACEGATE_MAX_BRIGHTNESS');
  }
  if (config.security.lockoutHardCap <= config.security.lockoutThreshold) {
    problems.push('FACEGATE_LOCKOUT_HARD_CAP must be above FACEGATE_LOCKOUT_THRESHOLD');
  }
  // Secrets: outside development a missing or example secret is refused, never defaulted.
  if (config.env === 'production') {
    if (isExampleSecret(config.security.dataKeys) && !config.security.dataKeyFile) {
      problems.push('FACEGATE_DATA_KEY (or FACEGATE_DATA_KEY_FILE) must be set to a real key in production');
    }
    if (isExampleSecret(config.security.tokenSigningKey)) {
      problems.push('FACEGATE_TOKEN_SIGNING_KEY must be set to a real key in production');
    }
    problems.push(...weakSecretProblems(config));
  }
  return problems;
}

/**
 * Hand-made key material (all zeros, repeated patterns) refused in production: the all-zero Ed25519 seed's public
 * key is known, so tokens signed with it could be forged. The rule is in `crypto/key-strength.ts`.
 */
function weakSecretProblems(config: FacegateConfig): string[] {
  const problems: string[] = [];
  const { dataKeys, tokenSigningKey } = config.security;
  // Only the current (first) data key: an older weak one must stay readable until re-encryption moves off it.
  const current = dataKeys && !isExampleSecret(dataKeys) ? firstDataKey(dataKeys) : undefined;
  const keyReason = current && weakKeyReason(current);
  if (keyReason) {
    problems.push(`FACEGATE_DATA_KEY: the current key ${keyReason}; it needs ${KEY_STRENGTH_RULE}`);
  }
  const seed = tokenSigningKey ? ed25519Seed(tokenSigningKey) : undefined;
  const seedReason = seed && weakKeyReason(seed);
  if (seedReason) {
    problems.push(
      `FACEGATE_TOKEN_SIGNING_KEY: the Ed25519 seed ${seedReason}; it needs ${KEY_STRENGTH_RULE}`,
    );
  }
  return problems;
}

/** The current data key's bytes, or undefined when the value does not parse (the data cipher reports that). */
function firstDataKey(spec: string): Uint8Array | undefined {
  try {
    return parseDataKeys(spec)[0]?.key;
  } catch {
    return undefined;
  }
}

/**
 * Reads and validates the whole configuration from `FACEGATE_*` environment variables.
 * Throws `CONFIG_INVALID` listing every problem at once.
 */
export function loadConfig(
  env: Env = process.env,
  overrides: DeepPartial<FacegateConfig> = {},
): FacegateConfig {
  const r = new Reader(env);
  const config = readConfig(r, env);
  const problems = [...r.problems, ...crossCheck(config, r)];
  if (problems.length > 0) {
    throw new FacegateError('CONFIG_INVALID', `Invalid configuration:\n- ${problems.join('\n- ')}`, {
      problems,
    });
  }
  return mergeDeep(config, overrides);
}

/** Recursive partial, for tests and composition-root overrides. */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

function mergeDeep<T>(base: T, patch: DeepPartial<T>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current &&
      typeof current === 'object'
        ? mergeDeep(current, value as DeepPartial<typeof current>)
        : value;
  }
  return out as T;
}
