import { App, RemovalPolicy } from 'aws-cdk-lib';
import { FacegateStack } from '../lib/facegate-stack.js';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const numeric = (key: string): number | undefined => {
  const value = context(key);
  return value === undefined ? undefined : Number(value);
};

new FacegateStack(app, context('stackName') ?? 'Facegate', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  collectionId: context('collectionId'),
  uploadOrigins: context('uploadOrigins')?.split(','),
  rateLimit: numeric('rateLimit'),
  burstLimit: numeric('burstLimit'),
  impostorRate: numeric('impostorRate'),
  alarmEmail: context('alarmEmail'),
  removalPolicy: context('removalPolicy') === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  livenessProvider: context('livenessProvider') === 'none' ? 'none' : 'rekognition',
  livenessMinConfidence: numeric('livenessMinConfidence'),
});
app.synth();
