/**
 * Names of temporary entries (`.NAME.tmp-PID-OWNER`, beside the file or
 * folder NAME they will become), and the removal of those a dead writer
 * left. PID is the writing process; OWNER is 8 hex digits of a digest of the
 * host name and the PID namespace, so a PID is only ever checked where it
 * means something: a folder shared by containers or machines holds other
 * owners' temporary entries, which are left alone.
 */
import { createHash } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { isSystemError } from './errors.js';

/** This process's OWNER tag: host name and PID namespace. */
function ownerTag(): string {
  let pidNamespace = '';
  try {
    pidNamespace = readlinkSync('/proc/self/ns/pid');
  } catch {
    // Not Linux: the host name alone.
  }
  return createHash('sha256').update(`${hostname()}\0${pidNamespace}`).digest('hex').slice(0, 8);
}

export const OWNER_TAG = ownerTag();

/** `.NAME.tmp-PID-OWNER`, and what it says. */
const TEMP_NAME = /^\.(.+)\.tmp-(\d+)-([0-9a-f]{8})$/;

/** The temporary sibling this process writes `target` into. */
export function tempSibling(target: string): string {
  const full = resolve(target);
  return join(dirname(full), `.${basename(full)}.tmp-${process.pid}-${OWNER_TAG}`);
}

/** Whether process `pid` is gone: `kill(pid, 0)` fails with ESRCH (EPERM: it exists, someone else's). */
function processGone(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return isSystemError(error) && error.code === 'ESRCH';
  }
}

/**
 * Remove from `folder` the temporary entries (folders or files) of dead
 * writers of this host and PID namespace; returns their names. Never one of
 * a live process, this one's, or another owner's; an entry that cannot be
 * removed is left (the next writer tries again).
 */
export async function removeStaleTemps(folder: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (match === null || match[3] !== OWNER_TAG) continue;
    const pid = Number(match[2]);
    if (pid === process.pid || !processGone(pid)) continue;
    try {
      await rm(join(folder, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Left for the next writer.
    }
  }
  return removed;
}
