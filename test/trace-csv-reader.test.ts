import { describe, expect, it } from 'vitest';
import { traceFromText } from './helpers/traceFromText.js';
import { Op } from '../src/trace/ops.js';

describe('CSV trace reader', () => {
  it('with a time column, rows replay in (time, file order)', async () => {
    const t = await traceFromText('vcpu,op,gpa,time\n0,R,0x1000,5\n1,R,0x2000,1\n0,W,0x3000,9\n1,R,0x4000,5\n');
    expect(Array.from(t.events.gpa)).toEqual([0x2000, 0x1000, 0x4000, 0x3000]);
    expect(Array.from(t.events.line)).toEqual([3, 2, 5, 4]);
  });

  it('without a time column, rows replay in file order', async () => {
    const t = await traceFromText('vcpu,op,gpa\n1,R,0x2000\n0,R,0x1000\n');
    expect(Array.from(t.events.gpa)).toEqual([0x2000, 0x1000]);
    expect(t.vcpuCount).toBe(2);
  });

  it('accepts a UTF-8 BOM, CRLF line ends, comment lines and decimal addresses; size defaults to 1', async () => {
    const t = await traceFromText('\uFEFF# a comment\r\nvcpu,op,gpa\r\n# another\r\n0,X,8192\r\n');
    expect(t.events.count).toBe(1);
    expect(t.events.op[0]).toBe(Op.X);
    expect(t.events.gpa[0]).toBe(8192);
    expect(t.events.sizeBytes[0]).toBe(1);
    expect(t.events.line[0]).toBe(4);
  });

  it('records the end of the touched range for the default memslot', async () => {
    const t = await traceFromText('vcpu,op,gpa,size\n0,R,0x1000,8\n0,PREFAULT,0x40000000,0x1000\n');
    expect(t.touchedEndGpa).toBe(0x40001000);
    expect(t.declaresSlots).toBe(false);
  });

  it('reads addresses up to the 52-bit limit exactly', async () => {
    const t = await traceFromText('vcpu,op,gpa\n0,R,0xffffffffffff8\n');
    expect(t.events.gpa[0]).toBe(2 ** 52 - 8);
  });
});
