/**
 * Encoding of one stage-2 table entry in an `Int32Array` word.
 *
 *   0                      not present
 *   bit 0 = 1              leaf; its level is the level of the table holding it
 *     bit 1 READ, bit 2 WRITE, bit 3 EXEC    permissions
 *     bit 4 PRIVATE, bit 5 DEVICE            attributes (later arch profiles)
 *   bit 0 = 0, word != 0   table pointer: child table index << 1
 *
 * Table index 0 is the root, which is never a child, so a pointer is never 0.
 */
export const ENTRY_LEAF = 1 << 0;
export const PERM_READ = 1 << 1;
export const PERM_WRITE = 1 << 2;
export const PERM_EXEC = 1 << 3;
export const ATTR_PRIVATE = 1 << 4;
export const ATTR_DEVICE = 1 << 5;
/** All permission bits. */
export const PERM_RWX = PERM_READ | PERM_WRITE | PERM_EXEC;

/** True when the word is a present leaf. */
export function isLeaf(word: number): boolean {
  return (word & ENTRY_LEAF) !== 0;
}

/** True when the word points to a child table. */
export function isTable(word: number): boolean {
  return word !== 0 && (word & ENTRY_LEAF) === 0;
}

/** Leaf word with the given permission and attribute bits. */
export function makeLeaf(bits: number): number {
  return ENTRY_LEAF | bits;
}

/** Pointer word for child table `tableIndex` (>= 1). */
export function makeTablePointer(tableIndex: number): number {
  return tableIndex << 1;
}

/** Child table index of a pointer word. */
export function tablePointerIndex(word: number): number {
  return word >>> 1;
}
