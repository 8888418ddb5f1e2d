/**
 * Folders written all at once: the content goes to a temporary sibling
 * `.NAME.tmp-PID-OWNER` that is renamed to NAME when complete, so a reader
 * (a dashboard, the next nightly's baseline search) sees no folder or a whole
 * one. The same names let the next writer remove what a killed one left.
 *
 * Temporary names and the clean-up of dead writers' entries: src/tempNames.ts.
 *
 * Claiming the name: `rename(2)` of a folder onto NAME succeeds when NAME is
 * missing (or an empty folder) and fails with ENOTEMPTY or EEXIST when it
 * holds anything: the kernel decides atomically which of several concurrent
 * writers gets NAME, and the others try `NAME-2`, `NAME-3`... So names are
 * claimed by an exclusive operation at the moment the folder is complete,
 * never found by listing, and no empty placeholder is ever visible.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { IoError, isSystemError, systemCause } from './errors.js';
import { makeFolders } from './outputPath.js';
import { removeStaleTemps, tempSibling } from './tempNames.js';

/** How the final name is chosen. */
export interface AtomicFolderOptions {
  /**
   * `exact`: the folder is `target` (refused if it holds anything by then,
   * unless `force`). `next-free`: `target`, else `target-2`, `target-3`...,
   * the first name not taken (nightly's same-second runs).
   */
  name: 'exact' | 'next-free';
  /** `exact` only: replace an existing folder. */
  force?: boolean;
  /** Told about each stale temporary entry removed from the parent folder. */
  onNote?: (message: string) => void;
}

/** A system error while writing, as one line naming the file where it would be in the final folder. */
function ioError(error: unknown, temp: string, target: string): unknown {
  if (!isSystemError(error)) return error;
  const path = typeof error.path === 'string' && error.path.startsWith(temp) ? target + error.path.slice(temp.length) : (error.path ?? target);
  return new IoError(`${path}: ${systemCause(error)}; nothing written`);
}

/** Writes one file of the folder: `path` relative to the folder; sub-folders are made with `mkdir`. */
export type FolderWriter = {
  file: (path: string, data: string | Uint8Array) => Promise<void>;
  mkdir: (path: string) => Promise<void>;
};

/** A `FolderWriter` into `temp` whose system errors carry the file's path (a failed `write(2)` has none). */
function folderWriter(temp: string): FolderWriter {
  const tagged = async (path: string, action: () => Promise<unknown>): Promise<void> => {
    try {
      await action();
    } catch (error) {
      if (isSystemError(error) && error.path === undefined) error.path = join(temp, path);
      throw error;
    }
  };
  return {
    file: (path, data) => tagged(path, () => writeFile(join(temp, path), data)),
    mkdir: (path) => tagged(path, () => mkdir(join(temp, path))),
  };
}

/**
 * Write a folder atomically: create the parents, remove dead writers' temps
 * beside it, let `fill` write the files, then claim the name (see the file
 * comment). Returns the folder written. On any error the temporary folder is
 * removed and nothing appears; system errors become one `IoError` line
 * naming the file (where it would have been in the final folder).
 */
export async function writeFolderAtomically(target: string, options: AtomicFolderOptions, fill: (write: FolderWriter) => Promise<void>): Promise<string> {
  const full = resolve(target);
  await makeFolders(dirname(full));
  for (const name of await removeStaleTemps(dirname(full))) options.onNote?.(`removed ${join(dirname(full), name)}, left by a run that died`);
  const temp = tempSibling(full);
  try {
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp);
    await fill(folderWriter(temp));
    return await claim(temp, full, options);
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    throw ioError(error, temp, full);
  }
}

/** Rename the complete `temp` to its final name; returns the name taken. */
async function claim(temp: string, target: string, options: AtomicFolderOptions): Promise<string> {
  const taken = (error: unknown): boolean => isSystemError(error) && (error.code === 'ENOTEMPTY' || error.code === 'EEXIST' || error.code === 'ENOTDIR');
  if (options.name === 'exact') {
    if (options.force === true) await rm(target, { recursive: true, force: true });
    try {
      await rename(temp, target);
      return target;
    } catch (error) {
      if (taken(error))
        throw new IoError(`${target}: appeared while this run was writing it (another run?); nothing written (choose a new folder, or --force)`);
      throw error;
    }
  }
  for (let n = 1; n <= 100_000; n++) {
    const candidate = n === 1 ? target : `${target}-${n}`;
    try {
      await rename(temp, candidate);
      return candidate;
    } catch (error) {
      if (!taken(error)) throw error;
    }
  }
  throw new IoError(`${target}: 100000 folders of that name are taken; nothing written`);
}
