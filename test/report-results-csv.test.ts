import { describe, expect, it } from 'vitest';
import { resultsToCsv } from '../src/report/resultsCsv.js';
import { prefaultFaultsChart } from '../src/report/charts/prefaultFaultsChart.js';
import { replayText } from './helpers/traceFromText.js';

const CSV = 'vcpu,op,gpa,size\n0,R,0x0,8\n1,W,0x1000,8\n1,R,0x200000,8\n';

describe('results.csv exporter', () => {
  it('matches the snapshot for a two-vCPU trace under two scenarios', async () => {
    const none = await replayText(CSV, { backing: '4k', prefault: 'none' });
    const all = await replayText(CSV, { backing: '4k', prefault: 'all' });
    expect(resultsToCsv([none, all])).toMatchSnapshot();
  });
});

describe('faults-with-and-without-prefault chart', () => {
  it('groups by trace, one dataset per prefault value, the saving in the label', async () => {
    const none = await replayText(CSV, { backing: '4k', prefault: 'none' });
    const all = await replayText(CSV, { backing: '4k', prefault: 'all' });
    const config = prefaultFaultsChart([none, all]);
    expect(config.data.labels).toEqual([['test', 'all vs none: -100.0%']]);
    expect(config.data.datasets.map((d) => [d.label, d.data])).toEqual([
      ['prefault=none', [3]],
      ['prefault=all', [0]],
    ]);
  });
});
