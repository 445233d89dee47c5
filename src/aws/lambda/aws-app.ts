import type { FastifyInstance } from 'fastify';
import type { StorageEnroller } from './storage.handler.js';

/** What the Lambda entry points need from the composition root. */
export interface AwsApp {
  /** The Fastify server of `facegate serve`, built on the AWS ports (DynamoDB store, S3 blobs, Rekognition). */
  server(): Promise<FastifyInstance>;
  /** Enrols photos dropped into the storage bucket. */
  enroller: StorageEnroller;
}

/** Builds the {@link AwsApp} (tests register their own with {@link provideAwsApp}). */
export type AwsAppFactory = () => Promise<AwsApp>;

let factory: AwsAppFactory | undefined;
let app: Promise<AwsApp> | undefined;

/** Registers the composition root's factory (the entry modules import a module that calls this). */
export function provideAwsApp(next: AwsAppFactory): void {
  factory = next;
  app = undefined;
}

/**
 * The composition root's AWS app from the function's environment, with the keys from the stack's secret: what
 * the functions run when no other factory was registered.
 */
export const defaultAwsApp: AwsAppFactory = async () => {
  const [{ createAwsApp }, { readStackSecret }] = await Promise.all([
    import('../../app/aws-lambda-root.js'),
    import('./secrets-reader.js'),
  ]);
  return createAwsApp(process.env, { readSecrets: readStackSecret });
};

/** The app of this Lambda instance, built once per cold start (by {@link defaultAwsApp} unless one was provided). */
export function awsApp(): Promise<AwsApp> {
  const build = factory ?? defaultAwsApp;
  app ??= build().catch((error: unknown) => {
    app = undefined;
    throw error;
  });
  return app;
}
