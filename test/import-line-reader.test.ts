/**
 * LineReader: the byte-level line splitter under every importer. Lines come
 * out the same whatever the chunk boundaries; a line longer than 64 KiB is
 * returned once, cut, flagged `tooLong`, and never held whole.
 */
import { describe, expect, it } from 'vitest';
import { LineReader, MAX_LINE_BYTES } from '../src/trace/importers/lineReader.js';

/** Every line as [lineNo, text, tooLong]. */
async function linesOf(bytes: Buffer, chunkBytes?: number): Promise<[number, string, boolean][]> {
  const reader = await LineReader.open({ name: 'mem', bytes, chunkBytes });
  const out: [number, string, boolean][] = [];
  for (;;) {
    if (!reader.next()) {
      if (await reader.refill()) continue;
      break;
    }
    out.push([reader.lineNo, reader.text(), reader.tooLong]);
  }
  return out;
}

describe('LineReader', () => {
  it('splits on \\n, drops a \\r before it, keeps empty lines and a last line without a newline', async () => {
    const expected: [number, string, boolean][] = [
      [1, 'a', false],
      [2, '', false],
      [3, 'bc', false],
      [4, 'd\re', false],
      [5, 'last', false],
    ];
    const bytes = Buffer.from('a\r\n\nbc\nd\re\nlast');
    for (const chunk of [undefined, 1, 2, 3, 5]) expect(await linesOf(bytes, chunk)).toEqual(expected);
  });

  it('returns a line over 64 KiB once, cut to its first 200 bytes and flagged, then goes on', async () => {
    const long = 'x'.repeat(MAX_LINE_BYTES + 10);
    const bytes = Buffer.from(`first\n${long}\nafter\n${long}`);
    for (const chunk of [undefined, 1000, 70_000]) {
      expect(await linesOf(bytes, chunk)).toEqual([
        [1, 'first', false],
        [2, 'x'.repeat(200), true],
        [3, 'after', false],
        [4, 'x'.repeat(200), true],
      ]);
    }
  });

  it('turns 3 MiB without a newline into one flagged line', async () => {
    const lines = await linesOf(Buffer.alloc(3 << 20), 1 << 20);
    expect(lines).toEqual([[1, '\u0000'.repeat(200), true]]);
  });

  it('reports a missing file as a one-line error', async () => {
    await expect(LineReader.open({ name: 'nope', path: '/nonexistent/capture.txt' })).rejects.toThrow('/nonexistent/capture.txt: no such file');
  });
});

describe('LineReader: byte order mark', () => {
  it('drops a UTF-8 BOM at the start of the input (and only there), whatever the chunking', async () => {
    const bytes = Buffer.from('\uFEFFfirst\r\n\uFEFFsecond\n');
    for (const chunk of [undefined, 1, 2]) {
      expect(await linesOf(bytes, chunk)).toEqual([
        [1, 'first', false],
        [2, '\uFEFFsecond', false],
      ]);
    }
  });
});
