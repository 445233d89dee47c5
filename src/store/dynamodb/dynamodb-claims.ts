import { FacegateError } from '../../domain/errors.js';
import type { DynamoOps } from './dynamodb-runner.js';

/**
 * Claims the unique `value` of partition `pk` (badge, username, key prefix) for `owner` with a conditional put.
 * A claim whose owner no longer holds the value (left by a write interrupted between its two items) is taken
 * over, again conditionally, so two racing writers still end with one owner. Returns false when it is taken.
 */
export async function claim(
  ops: DynamoOps,
  pk: string,
  value: string,
  owner: string,
  stillHeldBy: (owner: string) => Promise<boolean>,
): Promise<boolean> {
  const item = { pk, sk: value, type: 'claim', owner };
  if (await ops.putNew(item)) return true;
  const current = await ops.get(pk, value);
  if (!current) return ops.putNew(item);
  const holder = String(current.owner);
  if (holder === owner) return true;
  if (await stillHeldBy(holder)) return false;
  return ops.put(item, { expression: '#o = :o', names: { '#o': 'owner' }, values: { ':o': holder } });
}

/** Releases a claim if `owner` still holds it. */
export async function releaseClaim(ops: DynamoOps, pk: string, value: string, owner: string): Promise<void> {
  await ops.remove(pk, value, { expression: '#o = :o', names: { '#o': 'owner' }, values: { ':o': owner } });
}

/** The `NOT_FOUND` error for a missing record. */
export function notFound(what: string): FacegateError {
  return new FacegateError('NOT_FOUND', `${what} not found`);
}

/** `value` truncated to an integer in [min, max], or `fallback` when absent or not finite. */
export function clampInt(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(value)));
}
