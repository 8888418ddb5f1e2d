import { describe, expect, it } from 'vitest';
import { summaryColumns } from '../src/report/summaryMarkdown.js';
import { summaryTable } from '../src/report/summaryTable.js';
import { replayText } from './helpers/traceFromText.js';

const GIB = [{ gpa: 0, sizeBytes: 1 << 30 }];

describe('AT counters in the summary table', () => {
  it('an "AT slow" column appears only when a cell has ATs: at_slow / at_ops per prefault value', async () => {
    // Tables of VA 0x1000 at the top four frames of the slot (see test/at-slow-path.test.ts).
    // prefault=none: the first AT walks in software (slow), the second is fast; prefault=all: both fast.
    const csv = 'vcpu,op,gpa,size,x_at\n0,AT,0x1000,,S1E1R\n0,AT,0x1000,,S1E1R\n';
    const none = await replayText(csv, { backing: '4k', guestLevels: '4', prefault: 'none' }, GIB);
    const all = await replayText(csv, { backing: '4k', guestLevels: '4', prefault: 'all' }, GIB);
    const table = summaryTable([none, all]);
    expect(table.hasAt).toBe(true);
    const column = summaryColumns(table).find((c) => c.header === 'AT slow');
    expect(column?.text(table.rows[0])).toBe('1 / 2 → 0 / 2');

    const plain = await replayText('vcpu,op,gpa,size\n0,R,0x1000,8\n', { backing: '4k' }, GIB);
    const withoutAt = summaryTable([plain]);
    expect(withoutAt.hasAt).toBe(false);
    expect(summaryColumns(withoutAt).map((c) => c.header)).not.toContain('AT slow');
  });
});
