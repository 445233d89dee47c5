import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, apiTypesOf, liveDocument } from '../../../tools/api-types.js';

describe('the web client types generated from the OpenAPI document', () => {
  it('are up to date with the live document', async () => {
    const fresh = await apiTypesOf(await liveDocument());
    const committed = await readFile(join(import.meta.dirname, '..', '..', '..', API_TYPES_FILE), 'utf8');
    // Not toEqual on 19k lines: one line saying what to do, not a diff of the whole file.
    if (committed !== fresh) {
      expect.fail(`${API_TYPES_FILE} is stale: the OpenAPI document changed. Run \`npm run api:types\`.`);
    }
  }, 60_000);
});
