import type { FastifyInstance } from 'fastify';
import { FacegateError } from '../../domain/errors.js';
import type { StorageEnroller } from './storage.handler.js';

/** What the Lambda entry points need from the composition root. */
export interface AwsApp {
  /** The Fastify server of `facegate serve`, built on the AWS ports (DynamoDB store, S3 blobs, Rekognition). */
  server(): Promise<FastifyInstance>;
  /** Enrols photos dropped into the storage bucket. */
  enroller: StorageEnroller;
}

/** Builds the {@link AwsApp}; set by {@link provideAwsApp} from the composition root. */
export type AwsAppFactory = () => Promise<AwsApp>;

let factory: AwsAppFactory | undefined;
let app: Promise<AwsApp> | undefined;

/** Registers the composition root's factory (the entry modules import a module that calls this). */
export function provideAwsApp(next: AwsAppFactory): void {
  factory = next;
  app = undefined;
}

/** The app of this Lambda instance, built once per cold start. */
export function awsApp(): Promise<AwsApp> {
  if (!factory) {
    return Promise.reject(
      new FacegateError('NOT_READY', 'No AWS composition root registered (provideAwsApp was never called)'),
    );
  }
  app ??= factory().catch((error: unknown) => {
    app = undefined;
    throw error;
  });
  return app;
}
