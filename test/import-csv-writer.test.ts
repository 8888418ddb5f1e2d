/**
 * CsvTraceWriter, the sink `import` writes through: exact bytes (hex GPAs up
 * to 2^52, decimal sizes and times), header comments on one line each, the
 * file appearing only at `finish`, and `drain` after the stream has already
 * drained (it once waited for a 'drain' event that had come and gone, and a
 * 25-million-row import exited with Node's unfinished-await code 13).
 */
import { existsSync, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Op } from '../src/trace/ops.js';
import { CsvTraceWriter } from '../src/trace/csvTraceWriter.js';
import { tempDir } from './helpers/runCli.js';

/** A fresh folder, removed when the test ends. */
const dir = tempDir;
/** The options `mmubench import` writes with. */
const IMPORT = { headerComments: true, flag: '--out' };

describe('CsvTraceWriter', () => {
  it('writes comments, the header and rows exactly, GPAs in hex up to 2^52 - 1', async () => {
    const out = join(dir(), 'x.csv');
    const writer = new CsvTraceWriter(out, IMPORT);
    writer.access(Op.R, 0, 0, 1, 0, 1, -1);
    writer.access(Op.W, 7, 0x100000000, 4096, 0, 2, -1);
    writer.access(Op.X, 4095, 2 ** 52 - 1, 1, 0, 3, -1);
    writer.access(Op.R, 1, 0xfffffffff, 1073741824, 0, 4, -1);
    expect(existsSync(out)).toBe(false);
    await writer.finish(['source: a\nb', 'rows: 4']);
    expect(readFileSync(out, 'utf8')).toBe(
      '# source: a\\x0ab\n# rows: 4\nvcpu,op,gpa,size\n0,R,0x0,1\n7,W,0x100000000,4096\n4095,X,0xfffffffffffff,1\n1,R,0xfffffffff,1073741824\n',
    );
  });

  it('writes a time column when asked', async () => {
    const out = join(dir(), 't.csv');
    const writer = new CsvTraceWriter(out, { ...IMPORT, time: true });
    writer.access(Op.W, 0, 0xe79f000, 1, 0, 29, 0);
    writer.access(Op.W, 0, 0x11e9b000, 1, 0, 38, 9007199254740991);
    await writer.finish([]);
    expect(readFileSync(out, 'utf8')).toBe('vcpu,op,gpa,time\n0,W,0xe79f000,0\n0,W,0x11e9b000,9007199254740991\n');
  });

  it('drain() returns when the stream drained before it was called', async () => {
    const folder = dir();
    const writer = new CsvTraceWriter(join(folder, 'big.csv'), IMPORT);
    // 2 MiB of rows: the 1 MiB buffer is handed to the file stream, whose write returns false.
    for (let i = 0; i < 100_000; i++) writer.access(Op.W, 0, 0x10000000 + i * 4096, 8, 0, i + 1, -1);
    // The file stream writes it out and emits 'drain' before drain() is called, as while an importer
    // awaits its next input chunk. The stream is the writer's own (private): waited on here directly.
    const rows = (writer as unknown as { rows: WriteStream }).rows;
    expect(rows.writableNeedDrain).toBe(true);
    await once(rows, 'drain');
    // Nothing more is written, so a drain() waiting for another 'drain' would never settle; the right
    // one settles at once, before a setImmediate callback (which runs after all pending promise jobs).
    const nextTurn = new Promise<string>((resolve) => setImmediate(() => resolve('still waiting')));
    expect(await Promise.race([writer.drain().then(() => 'drained'), nextTurn])).toBe('drained');
    await writer.finish([]);
    expect(readFileSync(join(folder, 'big.csv'), 'utf8').split('\n')).toHaveLength(1 + 100_000 + 1);
  });

  it('abort() leaves neither the output nor a temporary file', async () => {
    const folder = dir();
    const writer = new CsvTraceWriter(join(folder, 'gone.csv'), IMPORT);
    writer.access(Op.R, 0, 0x1000, 1, 0, 1, -1);
    await writer.abort();
    expect(readdirSync(folder)).toEqual([]);
  });

  it('abort() returns only once the file stream is closed, so no open still in flight creates the file later', async () => {
    // The stream opens its file asynchronously. An abort that removed the temporaries without waiting
    // for the close left the file behind about half the time (CI once failed the test above on it).
    // Fifty writers aborted at once, before their opens complete: each stream is closed when abort
    // returns, and the folder is empty. Against the unfixed abort this test failed 9 runs in 10.
    const folder = dir();
    const writers = Array.from({ length: 50 }, (_, i) => new CsvTraceWriter(join(folder, `gone-${i}.csv`), IMPORT));
    await Promise.all(writers.map((writer) => writer.abort()));
    for (const writer of writers) expect((writer as unknown as { rows: WriteStream }).rows.closed).toBe(true);
    expect(readdirSync(folder)).toEqual([]);
  });
});
