/**
 * Errors that end a command with a documented exit code. src/cli/main.ts is
 * the one place that turns them into an exit code and a stderr line;
 * everything else that escapes is a bug (exit 1, one line; the stack only
 * with MMUBENCH_DEBUG=1).
 */

/** Exit codes of every command (README "Exit codes"). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
/** After Ctrl-C (128 + SIGINT), as shells report it. */
export const EXIT_INTERRUPTED = 130;

/** Bad usage or bad input: exit 2 with a one-line cause. */
export class InputError extends Error {
  readonly exitCode = EXIT_BAD_INPUT;
}

/**
 * The system refused an I/O operation while the command was doing its work
 * (full disk, quota, read-only file system, I/O error...): the run failed,
 * exit 1, with one line naming the file and the cause. Input that is
 * unusable from the start (an `--out` that cannot be created) is an
 * `InputError` instead, found before any work.
 */
export class IoError extends Error {
  readonly exitCode = EXIT_FAILED;
}

/** `file:line: column name: message`, the form of every located error. */
export function located(file: string, line: number, column: string | undefined, message: string): string {
  return column === undefined ? `${file}:${line}: ${message}` : `${file}:${line}: column ${column}: ${message}`;
}

/** A Node.js system error (`code` like `ENOSPC`, with the failed `syscall`). */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  const err = error as NodeJS.ErrnoException | undefined;
  return err instanceof Error && typeof err.code === 'string' && /^E[A-Z0-9]+$/.test(err.code) && typeof err.syscall === 'string';
}

/**
 * The cause of a system error in words, with its code: `no space left on
 * device (ENOSPC)`. The words are the system's own (`strerror`, as Node puts
 * them in the message `ENOSPC: no space left on device, write '...'`).
 */
export function systemCause(error: unknown): string {
  if (!isSystemError(error)) return error instanceof Error ? error.message : String(error);
  const words = new RegExp(`^${error.code}: ([^,]+)`).exec(error.message)?.[1] ?? error.message;
  return `${words} (${error.code})`;
}

/** A system error on `path` as an `IoError` line (`path: cause (CODE)`); other errors unchanged. */
export function fileIoError(path: string, error: unknown): unknown {
  return isSystemError(error) ? new IoError(`${path}: ${systemCause(error)}`) : error;
}
