/**
 * `--vm FILE`: a VM layout in JSON — memslots with their flags, stolen bits
 * and arch options — validated once, with one message per problem, each
 * naming the file and the JSON path.
 *
 * ```json
 * { "memslots": [ { "gpa": "0x0", "size": "0x40000000", "backing": "2m", "hvaOffset": "0x1000",
 *                   "readOnly": false, "dirtyLogging": false, "private": false, "pfnmap": "none" } ],
 *   "stolenBits": "47", "fwb": "on" }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { parseAddress } from '../trace/fieldParsers.js';
import { parseLevelName, type Level } from '../mmu/level.js';
import { PFNMAP_KINDS, type PfnmapKind } from '../mmu/memslots.js';
import { GPA_LIMIT } from '../mmu/address.js';
import type { MemslotSpec } from '../replay/scenario.js';
import { parseMatrix } from '../replay/parseMatrix.js';

/** What a layout file contributes to the run. */
export interface VmLayout {
  memslots: MemslotSpec[];
  /** Default for `--stolen-bits` (same syntax), when the file sets it. */
  stolenBits?: string;
  /** Default for `--fwb`, when the file sets it. */
  fwb?: string;
}

const SLOT_KEYS = ['id', 'gpa', 'size', 'backing', 'hvaOffset', 'readOnly', 'dirtyLogging', 'private', 'pfnmap'];
const TOP_KEYS = ['memslots', 'stolenBits', 'fwb'];

export async function readVmLayout(path: string): Promise<VmLayout> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InputError(`--vm: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path}: not valid JSON: ${(error as Error).message}`);
  }
  return parseVmLayout(path, json);
}

/**
 * `stolenBits` or `fwb` of the layout, checked as the flag would be (a
 * number is taken as its decimal text), its message located in the file.
 */
function topOption(top: Record<string, unknown>, key: 'stolenBits' | 'fwb', fail: (where: string, message: string) => never): string | undefined {
  const value = top[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') return fail(key, `expected a string, as for --${key === 'fwb' ? 'fwb' : 'stolen-bits'}`);
  try {
    parseMatrix({ [key]: String(value) });
  } catch (error) {
    if (error instanceof InputError) fail(key, error.message.replace(/^--[a-z-]+: /, ''));
    throw error;
  }
  return String(value);
}

/** Validate a parsed layout; `path` only labels messages. */
export function parseVmLayout(path: string, json: unknown): VmLayout {
  const fail = (where: string, message: string): never => {
    throw new InputError(`${path}: ${where}: ${message}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('top level', 'expected an object with "memslots"');
  const top = json as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!TOP_KEYS.includes(key)) fail(key, `unknown key (expected ${TOP_KEYS.join(', ')})`);
  if (!Array.isArray(top.memslots) || top.memslots.length === 0) fail('memslots', 'expected a non-empty array of memslots');
  const ids = new Set<number>();
  const memslots = (top.memslots as unknown[]).map((raw, index): MemslotSpec => {
    const where = `memslots[${index}]`;
    if (typeof raw !== 'object' || raw === null) fail(where, 'expected an object');
    const slot = raw as Record<string, unknown>;
    for (const key of Object.keys(slot)) if (!SLOT_KEYS.includes(key)) fail(`${where}.${key}`, `unknown key (expected ${SLOT_KEYS.join(', ')})`);
    const bytes = (key: string, required: boolean): number | undefined => {
      const value = slot[key];
      if (value === undefined) return required ? fail(`${where}.${key}`, 'missing') : undefined;
      const parsed = parseAddress(String(value), key);
      if (typeof parsed === 'string') fail(`${where}.${key}`, parsed);
      if ((parsed as number) % 4096 !== 0) fail(`${where}.${key}`, `${value} is not a multiple of 4 KiB`);
      return parsed as number;
    };
    const flag = (key: string): boolean | undefined => {
      const value = slot[key];
      if (value !== undefined && typeof value !== 'boolean') fail(`${where}.${key}`, 'expected true or false');
      return value as boolean | undefined;
    };
    const gpa = bytes('gpa', true) as number;
    const sizeBytes = bytes('size', true) as number;
    if (sizeBytes === 0) fail(`${where}.size`, 'a memslot needs at least 4 KiB');
    if (gpa + sizeBytes > GPA_LIMIT) fail(`${where}.size`, 'the slot ends beyond the 52-bit address limit');
    const id = slot.id === undefined ? index : slot.id;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 32767) fail(`${where}.id`, 'expected an integer from 0 to 32767');
    if (ids.has(id as number)) fail(`${where}.id`, `memslot id ${id} is used twice`);
    ids.add(id as number);
    let backing: Level | undefined;
    if (slot.backing !== undefined) {
      backing = parseLevelName(String(slot.backing));
      if (backing === undefined) fail(`${where}.backing`, `"${slot.backing}" is not one of 4k, 2m, 1g`);
    }
    const pfnmap = slot.pfnmap ?? 'none';
    if (!(PFNMAP_KINDS as readonly unknown[]).includes(pfnmap)) fail(`${where}.pfnmap`, `"${pfnmap}" is not one of ${PFNMAP_KINDS.join(', ')}`);
    return {
      id: id as number,
      gpa,
      sizeBytes,
      backing,
      hvaOffsetBytes: bytes('hvaOffset', false),
      readOnly: flag('readOnly'),
      dirtyLogging: flag('dirtyLogging'),
      private: flag('private'),
      pfnmap: pfnmap as PfnmapKind,
      source: `${path}: ${where}`,
    };
  });
  memslots.forEach((a, i) => {
    for (const b of memslots.slice(i + 1)) {
      if (a.gpa < b.gpa + b.sizeBytes && b.gpa < a.gpa + a.sizeBytes) fail(b.source.slice(path.length + 2), `overlaps ${a.source.slice(path.length + 2)}`);
    }
  });
  return { memslots, stolenBits: topOption(top, 'stolenBits', fail), fwb: topOption(top, 'fwb', fail) };
}
