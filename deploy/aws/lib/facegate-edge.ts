import { existsSync } from 'node:fs';
import { Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { WEB_CSP } from '../../../src/web/web.plugin.js';
import { privateBucket } from './facegate-data.js';
import { REPO_ROOT } from './facegate-functions.js';

/** Settings of {@link FacegateEdge}. */
export interface FacegateEdgeProps {
  api: lambda.IFunction;
  /** Steady requests per second and burst of the HTTP API's default stage. */
  rateLimit: number;
  burstLimit: number;
  /** Built web UI (`npm run build:web`); uploaded when it exists. */
  webAssets?: string;
}

/** The HTTP API and CloudFront: the UI from a private bucket through OAC, and `/v1/*` to the API. */
export class FacegateEdge extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly uiBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: FacegateEdgeProps) {
    super(scope, id);
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('Api', props.api, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
    });
    this.uiBucket = privateBucket(this, 'UiBucket', { removalPolicy: RemovalPolicy.DESTROY });
    this.distribution = this.createDistribution();
    const assets = props.webAssets ?? `${REPO_ROOT}dist/web`;
    if (existsSync(assets)) {
      new s3deploy.BucketDeployment(this, 'UiAssets', {
        sources: [s3deploy.Source.asset(assets)],
        destinationBucket: this.uiBucket,
        distribution: this.distribution,
      });
    }
  }

  private createDistribution(): cloudfront.Distribution {
    // The pages' own CSP (the server sends the same one), plus HSTS and the usual hardening headers.
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: WEB_CSP, override: false },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    const apiDomain = Fn.select(2, Fn.split('/', this.httpApi.apiEndpoint));
    return new cloudfront.Distribution(this, 'Distribution', {
      defaultRootObject: 'index.html',
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.uiBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
      },
      additionalBehaviors: {
        '/v1/*': {
          origin: new origins.HttpOrigin(apiDomain, {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          }),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
  }
}
