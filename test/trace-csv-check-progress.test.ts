/**
 * `openCsvTrace`'s `onProgress`: after each read of the checking pass, the
 * bytes read so far and the file's size, rising to the whole file (the
 * `check FILE` bar of a run over a large CSV).
 */
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openCsvTrace } from '../src/trace/csvTraceReader.js';
import { textFiles } from './helpers/textFiles.js';

const { file } = textFiles('check-progress');

describe('CSV checking pass progress', () => {
  it('reports the bytes read after each read, never down, up to the file size', async () => {
    // 3 MiB of rows: the byte parser reads 1 MiB at a time, so at least 3 reads report.
    let text = 'vcpu,op,gpa,size\n';
    for (let i = 0; text.length < 3 << 20; i++) text += `0,R,0x${(i * 4096).toString(16)},8\n`;
    const path = file(text);
    const reports: [number, number][] = [];
    await openCsvTrace(path, { onProgress: (done, total) => reports.push([done, total]) });
    const size = statSync(path).size;
    expect(reports.length).toBeGreaterThanOrEqual(3);
    expect(reports.every(([, total]) => total === size)).toBe(true);
    expect(reports.every(([done], i) => i === 0 || done >= reports[i - 1][0])).toBe(true);
    expect(reports[reports.length - 1][0]).toBe(size);
  });
});
