/**
 * The two translations each access path of a group remembers for the fast
 * path (src/replay/vcpuAccessPath.ts), and the two checks that use them. Kept
 * apart so that a replay loop can hold the arrays and run `hitsLast` inline.
 */
import type { TlbArray } from '../tlb/tlbArray.js';
/**
 * The two remembered translations of each access path of a group (the
 * engine's vCPUs, or one worker's), as one struct of arrays: path `s` owns
 * entries `2s` and `2s + 1`, and `last[s]` says which of them is its last
 * translation (the other is the previous one, `last[s] ^ 1`), so making the
 * previous one the last is one store. Per entry: [first, end) frames,
 * permissions, 0/1 for data/fetch (-1: none), the L1 array and slot holding
 * it and its tag there. One object with fixed arrays, so a replay loop that
 * holds it reads the arrays without a load per access.
 *
 * The last translation: the one the last lookup used, while it is in L1 and
 * nothing else has touched that TLB since. Hitting it again changes no LRU
 * order (the entry is already the most recent in its array), so the lookup
 * can be skipped exactly.
 *
 * The previous translation: the one used before the last. It may have been
 * touched since, so a hit on it is taken only when its slot still holds its
 * tag (its permissions are read there), and it makes the entry the most
 * recent as the lookup would (`TlbArray.touch`). Both rely on the TLB never
 * holding two entries for one frame in an array (a flush drops a translation
 * before the stage-2 can map the frame otherwise).
 */
export class RememberedTranslations {
  readonly first: Float64Array;
  readonly end: Float64Array;
  readonly perms: Uint8Array;
  readonly exec: Int8Array;
  readonly array: (TlbArray | undefined)[];
  readonly slot: Int32Array;
  readonly tag: Float64Array;
  readonly last: Int32Array;

  constructor(paths: number) {
    this.first = new Float64Array(2 * paths);
    this.end = new Float64Array(2 * paths);
    this.perms = new Uint8Array(2 * paths);
    this.exec = new Int8Array(2 * paths).fill(-1);
    this.array = new Array<TlbArray | undefined>(2 * paths).fill(undefined);
    this.slot = new Int32Array(2 * paths);
    this.tag = new Float64Array(2 * paths);
    this.last = Int32Array.from({ length: paths }, (_, s) => 2 * s);
  }
}

/**
 * The first half of the fast path: single frame `gfn` is in path `s`'s last
 * translation with the permission `need`. Takes the arrays of a
 * `RememberedTranslations` one by one, so that a replay loop can pass them
 * from locals (TurboFan does not hoist field loads out of a loop).
 */
export function hitsLast(
  last: Int32Array,
  execs: Int8Array,
  first: Float64Array,
  end: Float64Array,
  perms: Uint8Array,
  s: number,
  gfn: number,
  exec: number,
  need: number,
): boolean {
  const i = last[s];
  return execs[i] === exec && gfn >= first[i] && gfn < end[i] && (perms[i] & need) !== 0;
}

/**
 * The second half of the fast path: single frame `gfn` is in path `s`'s
 * previous translation, still in its L1 slot with the permission `need`.
 * Then it is what the TLB lookup would find: it becomes the most recent in
 * its set and the last translation (the other one the previous). Else false,
 * nothing changed.
 */
export function hitsPrevious(tr: RememberedTranslations, s: number, gfn: number, exec: number, need: number): boolean {
  const prev = tr.last[s] ^ 1;
  if (tr.exec[prev] !== exec || gfn < tr.first[prev] || gfn >= tr.end[prev]) return false;
  const array = tr.array[prev]!;
  const slot = tr.slot[prev];
  if (array.tagAt(slot) !== tr.tag[prev]) return false;
  const perms = array.permsAt(slot);
  if ((perms & need) === 0) return false;
  array.touch(slot);
  tr.perms[prev] = perms;
  tr.last[s] = prev;
  return true;
}
