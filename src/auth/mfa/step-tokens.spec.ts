import { describe, expect, it } from 'vitest';
import { isFacegateError } from '../../domain/errors.js';
import { MemoryOneTimeStore } from './one-time-store.js';
import { callerOf, type PendingStep, STEP_TOKEN_TTL_MS, StepTokens } from './step-tokens.js';

const step = {
  subject: { type: 'employee', id: 'e1' },
  caller: callerOf({ type: 'api_key', id: 'k1' }),
  first: 'face',
  allowed: ['totp'],
  challenge: null,
  purpose: 'authenticate',
} as const satisfies Omit<PendingStep, 'expiresAt'>;

function setup() {
  let now = Date.parse('2026-03-01T10:00:00Z');
  const store = new MemoryOneTimeStore<PendingStep>(() => new Date(now));
  const tokens = new StepTokens(store, () => new Date(now));
  return { tokens, store, advance: (ms: number) => (now += ms) };
}

async function refused(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFacegateError(error, 'STEP_TOKEN_INVALID')).toBe(true);
}

describe('StepTokens', () => {
  it('issues a random token valid two minutes and gives its step back once', async () => {
    const { tokens } = setup();
    const issued = await tokens.issue(step);
    expect(issued.stepToken).toMatch(/^[\w-]{43}$/);
    expect(issued.expiresAt).toBe(
      new Date(Date.parse('2026-03-01T10:00:00Z') + STEP_TOKEN_TTL_MS).toISOString(),
    );
    expect(await tokens.consume(issued.stepToken, 'api_key:k1')).toMatchObject({
      subject: step.subject,
      allowed: ['totp'],
    });
    await refused(tokens.consume(issued.stepToken, 'api_key:k1'));
  });

  it('refuses an expired token', async () => {
    const { tokens, advance } = setup();
    const issued = await tokens.issue(step);
    advance(STEP_TOKEN_TTL_MS);
    await refused(tokens.consume(issued.stepToken, 'api_key:k1'));
  });

  it("refuses another caller's token, and burns it", async () => {
    const { tokens } = setup();
    const issued = await tokens.issue(step);
    await refused(tokens.consume(issued.stepToken, 'api_key:k2'));
    await refused(tokens.consume(issued.stepToken, 'api_key:k1'));
  });

  it('stores only a hash of the token', async () => {
    const { tokens, store } = setup();
    const issued = await tokens.issue(step);
    expect(await store.take(issued.stepToken)).toBeUndefined();
    await refused(tokens.consume('not-a-token', 'api_key:k1'));
  });
});
