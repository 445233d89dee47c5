import type { AwsApp } from '../aws/lambda/aws-app.js';
import { decisionMetricLine } from '../aws/lambda/emf-metrics.js';
import { serviceEnroller } from '../aws/lambda/service-enroller.js';
import { loadConfig } from '../config/config.js';
import { FacegateError } from '../domain/errors.js';
import type { ServiceLogger } from '../services/service-context.js';
import { type App, type AppOptions, createApp } from './composition-root.js';
import { buildAppServer } from './server-lifecycle.js';

type Env = Record<string, string | undefined>;

/** Where the Lambda functions get their keys when they are not in the environment (Secrets Manager). */
export type SecretsReader = (arn: string) => Promise<{ dataKey?: string; tokenSigningKey?: string }>;

/** Options of {@link createAwsApp}. */
export interface AwsAppOptions {
  /** Replaceable parts of the app (tests: a shared engine, a mocked Rekognition collection). */
  app?: AppOptions;
  /** Reads `FACEGATE_SECRETS_ARN`; required when that is set and the keys are not in the environment. */
  readSecrets?: SecretsReader;
  /** Where the first-run setup token is written (the function's log); stdout when absent. */
  announce?: (line: string) => void;
  /** Where each decision's CloudWatch embedded-metric line is written (the function's log); stdout when absent. */
  metricLine?: (line: string) => void;
  logger?: ServiceLogger;
  /**
   * Event-loop delay at which the API answers 503; the server default when absent, 0 turns the check off (tests
   * that run the engine and Argon2 on the event loop of a busy machine).
   */
  maxEventLoopDelayMs?: number;
}

/**
 * The AWS flavour through the one composition root: the config from the environment (`FACEGATE_STORE=dynamodb`,
 * `FACEGATE_ENGINE=rekognition`, `FACEGATE_BLOBS=s3` in the stack), `createApp`, then the API server and the storage
 * function's enroller over the same services. When no administrator exists, the one-time setup token is written
 * to the log of the instance that issued it, and any instance sharing its state table takes it.
 */
export async function createAwsApp(env: Env, options: AwsAppOptions = {}): Promise<AwsApp & { app: App }> {
  const config = loadConfig(await withSecrets(env, options.readSecrets));
  const app = await createApp(config, {
    sweepOrphanBlobs: false,
    // The bundle carries no native Argon2 binary for Lambda; the WebAssembly one reads and writes the same hashes.
    passwordHasher: 'wasm',
    ...options.app,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  try {
    const token = await app.services.auth.setup.issueToken();
    if (token) {
      const announce = options.announce ?? ((line: string) => process.stdout.write(`${line}\n`));
      // The token is taken by every instance that shares the state table; with local state only by this one.
      const scope = config.sharedState.kind === 'local' ? 'this instance only' : 'any instance, for a day';
      announce(
        `facegate: no administrator yet; first-run setup token (${scope}): ${token} (or run \`facegate admin create\` against the table)`,
      );
    }
  } catch (error) {
    await app.close();
    throw error;
  }
  // One EMF line per decision: CloudWatch turns it into Facegate/Decisions (the impostor-rate alarm).
  const emit = options.metricLine ?? ((line: string) => process.stdout.write(`${line}\n`));
  let server: ReturnType<typeof buildAppServer> | undefined;
  return {
    app,
    server: () => {
      server ??= buildAppServer(app, {
        onDecision: (outcome) => emit(decisionMetricLine(outcome)),
        ...(options.maxEventLoopDelayMs === undefined
          ? {}
          : { maxEventLoopDelayMs: options.maxEventLoopDelayMs }),
      });
      return server;
    },
    enroller: serviceEnroller(app.services.enrollment),
  };
}

/** The environment with the data and token keys from Secrets Manager filled in (keys already set win). */
async function withSecrets(env: Env, read: SecretsReader | undefined): Promise<Env> {
  const arn = env.FACEGATE_SECRETS_ARN;
  if (!arn || (env.FACEGATE_DATA_KEY && env.FACEGATE_TOKEN_SIGNING_KEY)) return env;
  if (!read) {
    throw new FacegateError(
      'CONFIG_INVALID',
      'FACEGATE_SECRETS_ARN is set but no Secrets Manager reader is wired; set FACEGATE_DATA_KEY and FACEGATE_TOKEN_SIGNING_KEY',
    );
  }
  const secret = await read(arn);
  return {
    ...env,
    FACEGATE_DATA_KEY: env.FACEGATE_DATA_KEY ?? secret.dataKey,
    FACEGATE_TOKEN_SIGNING_KEY: env.FACEGATE_TOKEN_SIGNING_KEY ?? secret.tokenSigningKey,
  };
}
