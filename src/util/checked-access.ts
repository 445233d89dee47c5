/**
 * Checked reads for values the code knows are present (an index inside bounds, a key just inserted).
 * They replace non-null assertions: a broken invariant fails loudly here instead of as `undefined` later.
 */

/**
 * Returns `value`, or throws when it is `undefined` or `null`.
 * @param what - names the missing value in the error message.
 */
export function required<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new Error(`internal error: missing ${what}`);
  return value;
}

/** Returns `items[index]`, or throws when the index is outside the array. */
export function at<T>(items: ArrayLike<T>, index: number): T {
  const value = items[index];
  if (value === undefined) throw new Error(`internal error: index ${index} outside 0..${items.length - 1}`);
  return value;
}
