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

/**
 * The largest of `floor` and values [start, end) (a column's highest vCPU
 * id, say). A function of its own: as a loop inside the binary writer's
 * `append`, V8's on-stack-replacement code for it deoptimized on the code
 * after it once per chunk (307 times for 20 M events).
 */
export function maxFrom(floor: number, values: GrowableArray, start: number, end: number): number {
  let max = floor;
  for (let i = start; i < end; i++) if (values[i] > max) max = values[i];
  return max;
}
