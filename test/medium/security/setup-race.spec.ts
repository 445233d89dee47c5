import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceEngine } from '../../../src/engine/face-engine.port.js';
import { loadEngine, openApi, PASSWORD, type TestApi } from '../api/api-test-kit.js';
import { listen, postJson } from './http-kit.js';

let engine: FaceEngine;
let api: TestApi;
let base: string;

beforeAll(async () => {
  engine = await loadEngine();
  api = await openApi(engine);
  base = await listen(api);
});
afterAll(async () => {
  await api?.close();
  await engine?.close();
});

describe('first-run setup is atomic', () => {
  it('five concurrent POST /v1/setup with the valid token create exactly one admin', async () => {
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        postJson(`${base}/v1/setup`, {
          setupToken: api.setupToken,
          username: `racer${n}`,
          password: PASSWORD,
        }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
    for (const refused of answers.filter((a) => a.status === 409)) {
      expect(refused.body.error?.code).toBe('SETUP_ALREADY_DONE');
    }
    const admins = (await api.app.store.users.list()).filter((u) => u.role === 'admin');
    expect(admins).toHaveLength(1);
    expect(admins[0]?.username).toBe(answers.find((a) => a.status === 201)?.body.username);
  });

  it('the store refuses a second first admin by itself, whoever asks', async () => {
    await expect(
      api.app.store.users.createFirstAdmin({
        id: 'late',
        username: 'late',
        passwordHash: 'x',
        disabled: false,
        totpSecret: null,
      }),
    ).rejects.toMatchObject({ code: 'SETUP_ALREADY_DONE' });
  });
});
