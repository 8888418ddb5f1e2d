/**
 * A map from a translation tag (`firstGfn * 4 + level`, an integer below
 * 2^54) to a non-negative int32: the reach curve keeps there the node of a
 * live tag's stack position, an access path the tags a flush dropped while
 * still valid (vcpuAccessPath.ts, for `refill_misses`). An open-addressing hash
 * table in typed arrays (linear probing, backward-shift deletion, so no
 * tombstones), kept at most half full. A `Map` keyed by doubles costs a heap
 * number and a hash per call; this costs a multiply and a few loads.
 */

const EMPTY = -1;
const INITIAL_SLOTS = 1024;

export class TagTable {
  private keys: Float64Array;
  private values: Int32Array;
  private mask: number;
  /** 32 - log2(slots): a hash's top bits pick the slot (its low bits repeat for aligned 2M/1G tags). */
  private shift: number;
  /** Live entries. */
  size = 0;

  constructor() {
    this.keys = new Float64Array(INITIAL_SLOTS).fill(EMPTY);
    this.values = new Int32Array(INITIAL_SLOTS);
    this.mask = INITIAL_SLOTS - 1;
    this.shift = 32 - Math.log2(INITIAL_SLOTS);
  }

  /** The value of `tag`, or -1 when it is not live. */
  get(tag: number): number {
    const keys = this.keys;
    for (let i = this.slotOf(tag); ; i = (i + 1) & this.mask) {
      const key = keys[i];
      if (key === tag) return this.values[i];
      if (key === EMPTY) return -1;
    }
  }

  /** Set the value of `tag` (added when not live). */
  set(tag: number, value: number): void {
    const keys = this.keys;
    let i = this.slotOf(tag);
    for (; ; i = (i + 1) & this.mask) {
      const key = keys[i];
      if (key === tag) {
        this.values[i] = value;
        return;
      }
      if (key === EMPTY) break;
    }
    keys[i] = tag;
    this.values[i] = value;
    if (++this.size * 2 > keys.length) this.grow();
  }

  /** Remove `tag`; returns its value, or -1 when it was not live. */
  delete(tag: number): number {
    const keys = this.keys;
    const mask = this.mask;
    let i = this.slotOf(tag);
    for (; ; i = (i + 1) & mask) {
      const key = keys[i];
      if (key === EMPTY) return -1;
      if (key === tag) break;
    }
    const value = this.values[i];
    this.size--;
    // Backward shift: move later entries of the probe run into the gap when their home slot allows.
    for (let j = (i + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.slotOf(keys[j]);
      // Entry j may fill gap i when its home is not cyclically in (i, j].
      if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
        keys[i] = keys[j];
        this.values[i] = this.values[j];
        i = j;
      }
    }
    keys[i] = EMPTY;
    return value;
  }

  /** Remove every entry. */
  clear(): void {
    if (this.size === 0) return; // every key is EMPTY already
    this.keys.fill(EMPTY);
    this.size = 0;
  }

  /** Call `visit(tag, value)` for every live entry (not a hot path; the table must not change meanwhile). */
  forEach(visit: (tag: number, value: number) => void): void {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) visit(keys[i], this.values[i]);
  }

  /** Home slot of `tag`: its two 32-bit halves mixed by a multiplicative hash. */
  private slotOf(tag: number): number {
    const low = tag | 0; // ToInt32: the low 32 bits of an integer below 2^53
    const high = (tag / 4294967296) | 0;
    return Math.imul(low ^ Math.imul(high, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Float64Array(oldKeys.length * 2).fill(EMPTY);
    this.values = new Int32Array(oldKeys.length * 2);
    this.mask = this.keys.length - 1;
    this.shift--;
    this.size = 0;
    for (let i = 0; i < oldKeys.length; i++) if (oldKeys[i] !== EMPTY) this.set(oldKeys[i], oldValues[i]);
  }
}
