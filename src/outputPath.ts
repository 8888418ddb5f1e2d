/**
 * The one check of every output path a command takes (`run`/`merge`/
 * `validate --out DIR`, `nightly --reports DIR`, `compare --out DIR`,
 * `gen`/`import --out FILE`, `convert ... OUT`), done before any work, and the
 * one way folders are created.
 *
 * Never `mkdir -p` (Node's `mkdir(..., { recursive: true })`): on a file
 * system that answers ENOENT to a mkdir in a folder that exists (procfs:
 * `/proc/nope/x`), Node's recursive mkdir retries for ever. Here each
 * missing folder is created on its own, and an error is final.
 */
import { mkdir, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InputError, IoError, isSystemError, systemCause } from './errors.js';
import { tempSibling } from './tempNames.js';

/** What the path names, and what may already be there. */
export interface OutputPathKind {
  /**
   * `folder-new`: a folder the command creates (report folders): refused when
   * it exists, unless `force`. `folder`: a folder that may exist (reports,
   * compare output), created when missing. `file`: a file in an existing
   * folder, replaced when it exists.
   */
  kind: 'folder-new' | 'folder' | 'file';
  /** `folder-new` only: an existing folder will be replaced. */
  force?: boolean;
}

/** `stat`, or `undefined` when nothing is there; other errors go up. */
async function statOrNothing(path: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    if (isSystemError(error) && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The nearest folder that exists at or above `start`, and the missing
 * components below it (outermost first). A component that is a file is an
 * `InputError` naming it.
 */
async function nearestFolder(flag: string, path: string, start: string): Promise<{ folder: string; missing: string[] }> {
  const missing: string[] = [];
  for (let current = resolve(start); ; current = dirname(current)) {
    let info: Awaited<ReturnType<typeof statOrNothing>>;
    try {
      info = await statOrNothing(current);
    } catch (error) {
      // ENOTDIR: some component above is a file; keep walking up to name it.
      if (isSystemError(error) && error.code === 'ENOTDIR') info = undefined;
      else throw new InputError(`${flag}: ${path}: cannot look up ${current}: ${systemCause(error)}`);
    }
    if (info !== undefined) {
      if (!info.isDirectory()) throw new InputError(`${flag}: ${path}: ${current} is a file, not a folder`);
      return { folder: current, missing };
    }
    missing.unshift(current);
    if (dirname(current) === current) throw new InputError(`${flag}: ${path}: no folder of it exists, not even the root`);
  }
}

/**
 * Whether `folder` accepts a new entry: create and remove an empty probe
 * folder (permission bits do not tell: root may write anywhere but on a
 * read-only or virtual file system).
 */
async function probeFolder(flag: string, path: string, folder: string): Promise<void> {
  // A temporary name, so that the next writer removes a probe left by a killed process.
  const probe = tempSibling(join(folder, 'mmubench-probe'));
  try {
    await mkdir(probe);
  } catch (error) {
    // A folder that exists but answers ENOENT is a virtual file system (procfs) that creates nothing.
    const cause = isSystemError(error) && error.code === 'ENOENT' ? `that file system accepts no new entries (${error.code})` : systemCause(error);
    throw new InputError(`${flag}: ${path}: cannot create it in ${folder}: ${cause}`);
  }
  await rmdir(probe).catch(() => undefined);
}

/**
 * Check an output path before any work: exit 2 (`InputError`) with one line
 * naming the flag, the path and the cause when it cannot be written. Creates
 * nothing (a probe entry is made and removed in the folder that will receive
 * the output).
 */
export async function checkOutputPath(flag: string, path: string, kind: OutputPathKind): Promise<void> {
  const target = resolve(path);
  let existing: Awaited<ReturnType<typeof statOrNothing>>;
  try {
    existing = await statOrNothing(target);
  } catch (error) {
    // ENOTDIR: a component above is a file (named below); anything else is the cause itself.
    if (!(isSystemError(error) && error.code === 'ENOTDIR')) throw new InputError(`${flag}: ${path}: ${systemCause(error)}`);
  }
  if (existing?.isDirectory()) {
    if (kind.kind === 'file') throw new InputError(`${flag}: ${path} is a folder, not a file`);
    if (kind.kind === 'folder-new' && kind.force !== true)
      throw new InputError(`${flag}: ${path} already exists (choose a new folder, or --force to replace it)`);
    await probeFolder(flag, path, kind.kind === 'folder' ? target : dirname(target));
    return;
  }
  if (existing !== undefined && kind.kind !== 'file') throw new InputError(`${flag}: ${path} exists and is not a folder`);
  const { folder, missing } = await nearestFolder(flag, path, dirname(target));
  if (kind.kind === 'file' && missing.length > 0) throw new InputError(`${flag}: ${path}: folder ${dirname(target)} does not exist`);
  await probeFolder(flag, path, folder);
}

/**
 * Create `path` and its missing parents, one folder at a time (an existing
 * folder is fine, so concurrent runs can create the same parents). A failure
 * is an `IoError` naming the folder that could not be created.
 */
export async function makeFolders(path: string): Promise<void> {
  const target = resolve(path);
  const missing: string[] = [];
  for (let current = target; (await statOrNothing(current).catch(() => undefined)) === undefined; current = dirname(current)) {
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const folder of missing) {
    try {
      await mkdir(folder);
    } catch (error) {
      if (isSystemError(error) && error.code === 'EEXIST' && (await statOrNothing(folder).catch(() => undefined))?.isDirectory()) continue;
      throw new IoError(`${folder}: cannot create the folder: ${systemCause(error)}`);
    }
  }
}
