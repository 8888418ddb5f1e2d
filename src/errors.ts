/**
 * Errors that end a command with a documented exit code. Everything else that
 * escapes is a bug and exits 1 with its stack.
 */

/** Exit codes of every command (README "Exit codes"). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** Bad usage or bad input: exit 2 with a one-line cause. */
export class InputError extends Error {
  readonly exitCode = EXIT_BAD_INPUT;
}

/** `file:line: column name: message`, the form of every located error. */
export function located(file: string, line: number, column: string | undefined, message: string): string {
  return column === undefined ? `${file}:${line}: ${message}` : `${file}:${line}: column ${column}: ${message}`;
}
