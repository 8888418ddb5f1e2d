/**
 * The shared mmu_lock across real threads (the built module in dist/, so
 * build first): writers exclude each other and readers. Two threads each
 * make 20000 read-modify-writes of a plain shared word under the write lock,
 * while a third holds the read lock in a loop and checks the word never
 * changes under it.
 */
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/runCli.js';

const LOCK_MODULE = join(REPO_ROOT, 'dist', 'src', 'replay', 'perVcpu', 'sharedMmuLock.js');
const ROUNDS = 20000;

/** Worker body: `role` is `writer` or `reader`; the buffer holds the lock (words 0-1) and the data word (word 2). */
const BODY = `
const { workerData, parentPort } = require('node:worker_threads');
import(workerData.module).then(({ SharedMmuLock }) => {
  const lock = new SharedMmuLock(workerData.buffer, 0);
  const words = new Int32Array(workerData.buffer);
  let torn = 0;
  for (let i = 0; i < workerData.rounds; i++) {
    if (workerData.role === 'writer') {
      lock.writeLock();
      const seen = words[2];
      for (let spin = 0; spin < 20; spin++) Math.sqrt(spin);
      words[2] = seen + 1;
      lock.writeUnlock();
    } else {
      lock.readLock();
      const before = words[2];
      for (let spin = 0; spin < 20; spin++) Math.sqrt(spin);
      if (words[2] !== before) torn++;
      lock.readUnlock();
    }
  }
  parentPort.postMessage(torn);
});
`;

function start(role: 'writer' | 'reader', buffer: SharedArrayBuffer): Promise<number> {
  const worker = new Worker(BODY, { eval: true, workerData: { module: LOCK_MODULE, buffer, role, rounds: ROUNDS } });
  return new Promise((resolve, reject) => {
    worker.once('message', (torn: number) => {
      void worker.terminate();
      resolve(torn);
    });
    worker.once('error', reject);
  });
}

describe('MmuLock across threads', () => {
  it('two writers lose no update and a reader never sees the word change under its read lock', async () => {
    if (!existsSync(LOCK_MODULE)) throw new Error(`${LOCK_MODULE} is missing: build first (npx tsc -p tsconfig.build.json)`);
    const buffer = new SharedArrayBuffer(16);
    const [, , torn] = await Promise.all([start('writer', buffer), start('writer', buffer), start('reader', buffer)]);
    expect(new Int32Array(buffer)[2], 'every increment kept').toBe(2 * ROUNDS);
    expect(torn, 'reads changed under the read lock').toBe(0);
    expect(Array.from(new Int32Array(buffer, 0, 2)), 'lock free at the end: no readers, no writer').toEqual([0, 0]);
  });
});
