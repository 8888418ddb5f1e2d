/**
 * Chart builders: each chart's Chart.js configuration on the fixed run of
 * test/helpers/reportFixture.ts (snapshot plus the hand-checked numbers),
 * and which charts a report has. Pure: nothing is rendered here.
 */
import { describe, expect, it } from 'vitest';
import { prefaultFaultsChart, prefaultFaultsNeedsPanels, prefaultFaultsPanel } from '../src/report/charts/prefaultFaultsChart.js';
import { tlbReachChart } from '../src/report/charts/tlbReachChart.js';
import { faultCurveChart } from '../src/report/charts/faultCurveChart.js';
import { mappingLevelsChart } from '../src/report/charts/mappingLevelsChart.js';
import { tlbChart } from '../src/report/charts/tlbChart.js';
import { flushChart } from '../src/report/charts/flushChart.js';
import { throughputChart } from '../src/report/charts/throughputChart.js';
import { trendChart, trendPanelCount } from '../src/report/charts/trendChart.js';
import { lighten } from '../src/report/charts/palette.js';
import { faultCurveChartFiles, reportCharts } from '../src/report/writeReport.js';
import type { CellResult } from '../src/replay/results.js';
import { FIXTURE_BENCHMARKS, FIXTURE_HISTORY, fixtureRun } from './helpers/reportFixture.js';

async function results(): Promise<CellResult[]> {
  return (await fixtureRun()).outcomes.flatMap((o) => (o.ok ? [o.result] : []));
}

/** `[label, data]` of each dataset. */
const series = (config: { data: { datasets: { label?: string; data: unknown }[] } }) => config.data.datasets.map((d) => [d.label, d.data]);

const BLUE = '#0072b2';
const BLUE_ALL = lighten(BLUE, 0.45);
const ORANGE = '#e69f00';

describe('faults with and without pre-population', () => {
  it('matches the snapshot', async () => {
    expect(prefaultFaultsChart(await results())).toMatchSnapshot();
  });

  it('one group per trace, one bar per prefault value, the change in the label', async () => {
    const config = prefaultFaultsChart(await results());
    expect(config.data.labels).toEqual([
      ['boot', 'all vs none: -100.0%'],
      ['unmap', 'all vs none: -66.7%'],
    ]);
    expect(series(config)).toEqual([
      ['prefault=none', [4, 3]],
      ['prefault=all', [0, 1]],
    ]);
    // Scenario colours: the base hue for prefault=none, a lighter shade of it for prefault=all.
    expect(config.data.datasets.map((d) => d.backgroundColor)).toEqual([
      [BLUE, BLUE],
      [BLUE_ALL, BLUE_ALL],
    ]);
  });
});

describe('faults with and without pre-population, several base scenarios', () => {
  it('one panel per trace: one group per base scenario, one dataset per prefault value, bars in the scenario colour', async () => {
    const cells = await results();
    // The same cells again as a second base scenario (max=2m), for the layout only.
    const twins = cells.map((c) => ({ ...c, scenario: { ...c.scenario, name: c.scenario.name.replace('max=1g', 'max=2m') } }));
    const both = [...cells, ...twins];
    expect(prefaultFaultsNeedsPanels(both)).toBe(true);
    expect(prefaultFaultsNeedsPanels(cells)).toBe(false);
    const config = prefaultFaultsPanel(both, 'unmap')!;
    expect(config.options?.plugins?.title?.text).toBe('Stage-2 guest faults with and without pre-population: unmap');
    expect(config.data.labels).toEqual([
      ['max=1g', 'all vs none: -66.7%'],
      ['max=2m', 'all vs none: -66.7%'],
    ]);
    // Two legend entries whatever the number of scenarios: the prefault values.
    expect(config.data.datasets.map((d) => [d.label, d.data, d.backgroundColor])).toEqual([
      ['prefault=none', [3, 3], [BLUE, ORANGE]],
      ['prefault=all', [1, 1], [BLUE_ALL, lighten(ORANGE, 0.45)]],
    ]);
    // The legend: each prefault value's shade on grey (the bars have one hue per scenario).
    const legend = (config.options!.plugins!.legend!.labels as { generateLabels: () => { text: string; fillStyle: string }[] }).generateLabels();
    expect(legend.map((l) => [l.text, l.fillStyle])).toEqual([
      ['prefault=none', '#555555'],
      ['prefault=all', lighten('#555555', 0.45)],
    ]);
    expect(prefaultFaultsPanel(both, 'nope')).toBeUndefined();
  });

  it('boot curves keep at most six lines: one per base scenario (prefault=none) when there are more', async () => {
    const cells = (await results()).filter((c) => c.trace === 'boot');
    // Four bases x two prefault values = 8 cells of boot.
    const many = ['max=1g', 'max=2m', 'max=4k', 'max=1g pwc=on'].flatMap((word) =>
      cells.map((c) => ({ ...c, scenario: { ...c.scenario, name: c.scenario.name.replace('max=1g', word) } })),
    );
    const config = faultCurveChart(many, 'boot')!;
    expect(config.data.datasets.map((d) => d.label)).toEqual(['max=1g', 'max=2m', 'max=4k', 'max=1g pwc=on']);
    expect(config.options?.plugins?.subtitle?.text).toMatch(/4 of 8 scenarios \(prefault=none\)$/);
  });
});

describe('per-scenario charts in a run of several arches', () => {
  it('one panel per arch, each drawing only its own scenarios, in the colours of the whole run', async () => {
    const run = await fixtureRun();
    const cells = run.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
    // The same cells again as arm64 (for the layout only).
    const arm = cells.map((c) => ({ ...c, scenario: { ...c.scenario, arch: 'arm64' as const, name: c.scenario.name.replace('x86-tdp', 'arm64') } }));
    const charts = reportCharts({ ...run, outcomes: [...cells, ...arm].map((result) => ({ ok: true as const, result })) });
    const files = charts.map((c) => c.file).filter((f) => /mapping|tlb-misses|flush/.test(f));
    expect(files).toEqual([
      'charts/mapping-levels-x86-tdp.png',
      'charts/mapping-levels-arm64.png',
      'charts/tlb-misses-x86-tdp.png',
      'charts/tlb-misses-arm64.png',
      'charts/flush-cost-x86-tdp.png',
      'charts/flush-cost-arm64.png',
    ]);
    const armTlb = charts.find((c) => c.file === 'charts/tlb-misses-arm64.png')!;
    expect(armTlb.title).toBe('TLB misses and page-walk references, per scenario: arm64');
    // Two arm64 scenarios (prefault none, all); the arm64 base is the run's second base: orange.
    expect(armTlb.config.data.labels).toHaveLength(2);
    expect((armTlb.config.data.datasets[0].backgroundColor as string[])[0]).toBe(ORANGE);
  });
});

describe('TLB reach curve', () => {
  it('matches the snapshot', async () => {
    expect(tlbReachChart(await results(), 'boot')).toMatchSnapshot();
  });

  it('one line per base scenario, misses at each size as (entries, misses) points; none for a trace without curves', async () => {
    // The fixture's boot cells carry FIXTURE_REACH (misses 40, 20, 5, 5 at 16..128); one base: one line.
    const config = tlbReachChart(await results(), 'boot')!;
    expect(config.data.datasets.map((d) => [d.label, d.data])).toEqual([
      [
        'x86-tdp max=1g backing=4k prefault=none tlb=1536x12',
        [
          { x: 16, y: 40 },
          { x: 32, y: 20 },
          { x: 64, y: 5 },
          { x: 128, y: 5 },
        ],
      ],
    ]);
    expect((config.options!.scales as Record<string, { type?: string }>).x.type).toBe('logarithmic');
    expect(tlbReachChart(await results(), 'unmap')).toBeUndefined();
  });
});

describe('cumulative faults over the trace', () => {
  it('matches the snapshot', async () => {
    expect(faultCurveChart(await results(), 'boot')).toMatchSnapshot();
  });

  it("one line per scenario in its colour, from 0 to the cell's faults over 101 points", async () => {
    const config = faultCurveChart(await results(), 'unmap')!;
    expect(config.data.labels).toHaveLength(101);
    expect(config.data.datasets.map((d) => [d.label, d.borderColor, (d.data as number[])[0], (d.data as number[])[100], d.data.length])).toEqual([
      ['prefault=none', BLUE, 0, 3, 101],
      ['prefault=all', BLUE_ALL, 0, 1, 101],
    ]);
    expect(faultCurveChart(await results(), 'no such trace')).toBeUndefined();
  });
});

describe('mappings by level', () => {
  it('matches the snapshot', async () => {
    expect(mappingLevelsChart(await results())).toMatchSnapshot();
  });

  it('stacks the share of mapped bytes in 4K/2M/1G leaves per scenario, the total under the label', async () => {
    const config = mappingLevelsChart(await results())!;
    // none: 4 + 2 pages of 4 KiB = 24 KiB; all: 1024 + 1024 pages = 8 MiB. All 4K leaves.
    expect(config.data.labels).toEqual([
      ['prefault=none', '24 KiB'],
      ['prefault=all', '8 MiB'],
    ]);
    expect(series(config)).toEqual([
      ['4K leaves', [100, 100]],
      ['2M leaves', [0, 0]],
      ['1G leaves', [0, 0]],
    ]);
  });
});

describe('TLB misses and walk references', () => {
  it('matches the snapshot', async () => {
    expect(tlbChart(await results())).toMatchSnapshot();
  });

  it('sums each counter over the traces per scenario, bars in the scenario colour', async () => {
    const config = tlbChart(await results())!;
    // Each cell: 4 misses (cold TLB), each a 4-level walk: 16 references.
    expect(series(config)).toEqual([
      ['TLB misses (last level)', [8, 8]],
      ['stage-2 walk memory references', [32, 32]],
    ]);
    expect(config.data.datasets[0].backgroundColor).toEqual([BLUE, BLUE]);
  });
});

describe('range vs full flush', () => {
  it('matches the snapshot', async () => {
    expect(flushChart(await results())).toMatchSnapshot();
  });

  it('entries flushed, collateral and refill misses per scenario, flush counts under the label', async () => {
    const config = flushChart(await results())!;
    // unmap: one full flush of 2 entries, 1 outside [0x0, 0x1000), re-touched once.
    expect(series(config)).toEqual([
      ['TLB entries flushed', [2, 2]],
      ['collateral (outside the range)', [1, 1]],
      ['refill misses', [1, 1]],
    ]);
    expect(config.data.labels).toEqual([
      ['prefault=none', 'range 0 · full 1'],
      ['prefault=all', 'range 0 · full 1'],
    ]);
  });
});

describe('engine throughput', () => {
  it('matches the snapshot', () => {
    expect(throughputChart(FIXTURE_BENCHMARKS)).toMatchSnapshot();
  });

  it('the mean of per-iteration throughputs in M accesses/s, error bars of one SD; none without benchmarks', () => {
    const config = throughputChart(FIXTURE_BENCHMARKS)!;
    // boot-seq: 1e6 accesses in 100, 125, 125, 150 ms -> 10, 8, 8, 6.667 M/s: mean 8.1667.
    const data = config.data.datasets[0].data as number[];
    expect(data[0]).toBeCloseTo(8.1667, 4);
    expect(data[1]).toBeCloseTo(3.75, 10);
    expect(config.data.labels![1]).toEqual(['replay hotcold x86-tdp', '3.75 ± 1.44 M/s, n = 4']);
    expect(throughputChart(undefined)).toBeUndefined();
    expect(throughputChart([])).toBeUndefined();
  });
});

describe('trend over the nightly runs', () => {
  it('matches the snapshot', () => {
    expect(trendChart(FIXTURE_HISTORY)).toMatchSnapshot();
  });

  it('each headline metric as its change in % against the oldest run; none with fewer than two runs', () => {
    const config = trendChart(FIXTURE_HISTORY)!;
    expect(config.data.labels).toEqual(['11-20 02:00', '11-21 02:00', '11-22 02:00']);
    // huge_coverage_pct starts at 0: no % change from 0, left out.
    expect(series(config)).toEqual([
      ['faults', [0, 0, -25]],
      ['tlb_misses', [0, 20, 0]],
      ['throughput: replay boot-seq x86-tdp', [0, 25, -25]],
    ]);
    expect(trendChart(FIXTURE_HISTORY.slice(0, 1))).toBeUndefined();
  });

  it('at most six series per panel: nine series are two panels of six and three', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const entries = FIXTURE_HISTORY.map((e, i) => ({ ...e, headline: Object.fromEntries(names.map((n) => [n, 10 + i])) }));
    expect(trendPanelCount(entries)).toBe(2);
    expect(trendChart(entries, 0)!.data.datasets.map((d) => d.label)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(trendChart(entries, 1)!.data.datasets.map((d) => d.label)).toEqual(['g', 'h', 'throughput: replay boot-seq x86-tdp']);
    expect(trendChart(entries, 1)!.options?.plugins?.title?.text).toBe('Trend of the headline metrics over the nightly runs (2/2)');
    expect(trendChart(entries, 2)).toBeUndefined();
    const files = reportCharts({ info: {} as never, outcomes: [] }, entries).map((c) => c.file);
    expect(files).toEqual(['charts/trend.png', 'charts/trend-2.png']);
  });
});

describe("the report's charts", () => {
  it('has every chart whose data the run has, in display order', async () => {
    const run = await fixtureRun();
    expect(reportCharts(run).map((c) => c.file)).toEqual([
      'charts/faults-prefault.png',
      'charts/fault-curve-boot.png',
      'charts/fault-curve-unmap.png',
      'charts/tlb-reach-boot.png',
      'charts/mapping-levels.png',
      'charts/tlb-misses.png',
      'charts/flush-cost.png',
    ]);
    // Every chart says what to look for, in one sentence.
    for (const chart of reportCharts({ ...run, benchmarks: FIXTURE_BENCHMARKS }, FIXTURE_HISTORY)) {
      expect(chart.caption, chart.file).toMatch(/^[A-Z].*\.$/);
      expect(chart.caption.split('. '), chart.file).toHaveLength(1);
    }
    const nightly = reportCharts({ ...run, benchmarks: FIXTURE_BENCHMARKS }, FIXTURE_HISTORY).map((c) => c.file);
    expect(nightly.slice(-2)).toEqual(['charts/throughput.png', 'charts/trend.png']);
    // One history entry: no trend yet.
    expect(reportCharts(run, FIXTURE_HISTORY.slice(0, 1)).map((c) => c.file)).not.toContain('charts/trend.png');
  });

  it('names fault-curve files after the trace, safely and uniquely', () => {
    expect([...faultCurveChartFiles(['boot seq', 'boot/seq', '../x']).values()]).toEqual([
      'charts/fault-curve-boot-seq.png',
      'charts/fault-curve-boot-seq-2.png',
      'charts/fault-curve-x.png',
    ]);
  });
});
