/** Typed arrays the model's pools and the trace's columns grow. */
export type GrowableArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

/**
 * A typed array of `old`'s kind, `length` long (at least `old.length`),
 * holding `old`'s elements first and zeros after: one step of growing a
 * pool or a column (amortised O(1) per element when the length doubles).
 */
export function grownTo<T extends GrowableArray>(old: T, length: number): T {
  const larger = new (old.constructor as new (length: number) => T)(length);
  larger.set(old);
  return larger;
}
