/**
 * Destroying a file stream and waiting for its close: what every writer's
 * abort does before removing its temporary file.
 */
import type { WriteStream } from 'node:fs';

/**
 * Destroy `stream` and resolve once it has closed. A file stream opens its file
 * asynchronously, so a destroy called before the open completes still creates
 * the file: removing it without waiting for the close would race that open and
 * leave the file behind about half the time.
 */
export async function destroyStream(stream: WriteStream): Promise<void> {
  if (stream.closed) return;
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.destroy();
  await closed;
}
