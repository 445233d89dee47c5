import { createApiHandler } from '../api.handler.js';
import { awsApp } from '../aws-app.js';

/** Lambda entry of the API function (API Gateway HTTP API, payload 2.0). */
export const handler = createApiHandler(async () => (await awsApp()).server());
