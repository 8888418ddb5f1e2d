/**
 * The one-line message every trace reader gives for a file it cannot open or
 * read (CSV, `.mtr`, imported formats), so that the same mistake reads the
 * same whatever the format.
 */
import { InputError } from '../errors.js';

/** `InputError` for a file-system error on `path`: missing, a folder, no permission, or the system's message. */
export function fileError(path: string, error: unknown): InputError {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return new InputError(`${path}: no such file`);
  if (err.code === 'EISDIR') return new InputError(`${path}: is a directory, not a trace file`);
  if (err.code === 'EACCES') return new InputError(`${path}: permission denied`);
  return new InputError(`${path}: ${err.message}`);
}
