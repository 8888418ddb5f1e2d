/**
 * Page-table levels of the stage-2 table, numbered as KVM numbers them
 * (`PG_LEVEL_4K` = 1, `PG_LEVEL_2M` = 2, `PG_LEVEL_1G` = 3): a leaf at level L
 * maps `pagesPerLevel(L)` 4 KiB frames. Levels 4 and 5 only hold tables.
 */
export enum Level {
  L4K = 1,
  L2M = 2,
  L1G = 3,
  L512G = 4,
  L256T = 5,
}

/** Bits of a GFN consumed by one table level (512 entries per table page). */
export const BITS_PER_LEVEL = 9;
/** Entries in one page-table page. */
export const ENTRIES_PER_TABLE = 1 << BITS_PER_LEVEL;
/** Bytes in a 4 KiB frame, the unit of a GFN. */
export const PAGE_SIZE_BYTES = 4096;
/** Shift from GPA to GFN. */
export const PAGE_SHIFT = 12;

/** Leaf levels a mapping can use, smallest first. */
export const LEAF_LEVELS: readonly Level[] = [Level.L4K, Level.L2M, Level.L1G];

const PAGES = [0, 1, 512, 512 * 512, 512 ** 3, 512 ** 4];

/** Number of 4 KiB frames an entry at `level` covers (1, 512, 262144, ...). */
export function pagesPerLevel(level: Level): number {
  return PAGES[level];
}

/** Size in bytes of a mapping at `level`. */
export function levelSizeBytes(level: Level): number {
  return PAGES[level] * PAGE_SIZE_BYTES;
}

/** First GFN of the `level`-sized frame containing `gfn`. */
export function alignGfnDown(gfn: number, level: Level): number {
  if (gfn < SMALL_GFN_LIMIT) return ((gfn >>> INDEX_SHIFT[level]) << INDEX_SHIFT[level]) >>> 0;
  const pages = PAGES[level];
  return gfn - (gfn % pages);
}

/** GFN bits below each table level's index (0, 9, 18, ...). */
const INDEX_SHIFT = [0, 0, BITS_PER_LEVEL, 2 * BITS_PER_LEVEL, 3 * BITS_PER_LEVEL, 4 * BITS_PER_LEVEL];
/** GFNs below this fit in 31 bits, where integer shifts are exact. */
const SMALL_GFN_LIMIT = 2 ** 31;

/**
 * Index of `gfn` within a table page at `tableLevel` (0..511). Hot path:
 * integer shifts for GFNs below 2^31 (GPAs below 8 TiB), division above.
 */
export function tableIndex(gfn: number, tableLevel: Level): number {
  if (gfn < SMALL_GFN_LIMIT) return (gfn >>> INDEX_SHIFT[tableLevel]) & (ENTRIES_PER_TABLE - 1);
  return Math.floor(gfn / PAGES[tableLevel]) % ENTRIES_PER_TABLE;
}

/** `floor(gfn / pagesPerLevel(level))`: the page number of `gfn` at `level`'s size. */
export function pageNumber(gfn: number, level: Level): number {
  if (gfn < SMALL_GFN_LIMIT) return gfn >>> INDEX_SHIFT[level];
  return Math.floor(gfn / PAGES[level]);
}

/** The names used on the command line and in reports. */
const LEVEL_NAMES: Record<number, string> = { 1: '4k', 2: '2m', 3: '1g' };

/** Parse `4k|2m|1g` into a leaf level; undefined when it is none of them. */
export function parseLevelName(name: string): Level | undefined {
  switch (name.toLowerCase()) {
    case '4k':
      return Level.L4K;
    case '2m':
      return Level.L2M;
    case '1g':
      return Level.L1G;
    default:
      return undefined;
  }
}

/** `4k`, `2m` or `1g`. */
export function levelName(level: Level): string {
  return LEVEL_NAMES[level] ?? `level${level}`;
}
