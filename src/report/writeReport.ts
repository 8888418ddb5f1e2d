/**
 * The one place that decides the report folder's files and names, and writes
 * them atomically: everything goes to a temporary sibling folder that is
 * renamed into place at the end, so no reader ever sees half a report
 * (src/atomicFolder.ts: the temporary names, the name claim, the clean-up of
 * what a killed run left).
 */
import { writeFolderAtomically, type FolderWriter } from '../atomicFolder.js';
import type { ChartConfiguration } from 'chart.js';
import { resultsToCsv } from './resultsCsv.js';
import { runToJson, type RunModel } from './runJson.js';
import { summaryMarkdown } from './summaryMarkdown.js';
import { indexHtml, type RenderedChart } from './indexHtml.js';
import { distinct } from './scenarioGroups.js';
import type { HistoryEntry } from './history.js';
import { prefaultFaultsChart, prefaultFaultsNeedsPanels, prefaultFaultsPanel } from './charts/prefaultFaultsChart.js';
import { tlbReachChart } from './charts/tlbReachChart.js';
import { tlbReachCsv } from './tlbReachCsv.js';
import { faultCurveChart } from './charts/faultCurveChart.js';
import { mappingLevelsChart } from './charts/mappingLevelsChart.js';
import { tlbChart } from './charts/tlbChart.js';
import { flushChart } from './charts/flushChart.js';
import { throughputChart } from './charts/throughputChart.js';
import { trendChart, trendPanelCount } from './charts/trendChart.js';
import type { CellResult } from '../replay/results.js';

/** File names inside a report folder (fault curves: `faultCurveChartFiles`). Documented in docs/report-format.md. */
export const REPORT_FILES = {
  results: 'results.csv',
  tlbReach: 'tlb-reach.csv',
  run: 'run.json',
  summary: 'summary.md',
  index: 'index.html',
  chartsDir: 'charts',
  prefaultChart: 'charts/faults-prefault.png',
  mappingLevelsChart: 'charts/mapping-levels.png',
  tlbChart: 'charts/tlb-misses.png',
  flushChart: 'charts/flush-cost.png',
  throughputChart: 'charts/throughput.png',
  trendChart: 'charts/trend.png',
} as const;

/**
 * One chart file per trace: `charts/<kind>-<trace>.png`, the name reduced
 * to `[A-Za-z0-9._-]`, with `-2`, `-3`... when two traces reduce to the
 * same name. Kinds: `fault-curve`, `tlb-reach`, `faults-prefault` (panels).
 */
export function traceChartFiles(kind: string, traces: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  const used = new Set<string>();
  for (const trace of traces) {
    const slug = trace.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'trace';
    let file = `${REPORT_FILES.chartsDir}/${kind}-${slug}.png`;
    for (let n = 2; used.has(file); n++) file = `${REPORT_FILES.chartsDir}/${kind}-${slug}-${n}.png`;
    used.add(file);
    files.set(trace, file);
  }
  return files;
}

/** The boot-curve files: `charts/fault-curve-<trace>.png`. */
export function faultCurveChartFiles(traces: readonly string[]): Map<string, string> {
  return traceChartFiles('fault-curve', traces);
}

/**
 * Charts encoding at once while the next is drawn: libuv's default thread
 * pool (4 threads) runs this many encodes side by side; each pending chart
 * holds its 1200x600 canvas (2.9 MB).
 */
const PNG_ENCODES_IN_FLIGHT = 4;

/** A chart of the report: its file, its title (for index.html), its one-sentence caption, its Chart.js configuration. */
export interface ReportChart {
  file: string;
  title: string;
  /** What to look for, in one sentence (index.html shows it under the chart). */
  caption: string;
  config: ChartConfiguration;
}

/** Each chart's caption: what to look for. */
export const CHART_CAPTIONS = {
  prefault: 'Look for the pre-populated bars (lighter) near zero: every fault they remove is an exit saved, at the up-front price the verdict gives.',
  faultCurve: 'A steep start is the boot storm of demand faults; a pre-populated scenario that stays flat took those faults before the guest ran.',
  mappingLevels: 'The darker the bar, the more memory is mapped by 2M and 1G leaves, and the fewer faults and TLB entries that memory needs.',
  tlb: 'Scenarios with huge mappings should show far fewer misses and walk references; a tall outlined bar means long walks per miss.',
  flush: 'Collateral (entries a full flush dropped outside its range) and refill misses are what full flushes cost beyond the range asked for.',
  tlbReach: 'Where a curve drops is the TLB size that holds the working set: 2M and 1G mappings move that knee left, to fewer entries.',
  throughput: 'Engine speed of this build (higher is better); the error bars show how steady the iterations were.',
  trend: 'A line leaving the 0% band is a change against the oldest run shown; counts should stay flat unless the model changed.',
} as const;

/**
 * Every chart of the report, in display order. A chart whose data the run
 * lacks is left out: no cells, no benchmarks (`mmubench run`), fewer than two
 * history entries, or counters no cell has. Pure.
 */
export function reportCharts(run: RunModel, history?: readonly HistoryEntry[]): ReportChart[] {
  const results: CellResult[] = run.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
  const charts: ReportChart[] = [];
  const add = (file: string, caption: string, config: ChartConfiguration<'bar'> | ChartConfiguration<'line'> | undefined): void => {
    if (config === undefined) return;
    const title = (config.options?.plugins?.title?.text as string | undefined) ?? file;
    charts.push({ file, title, caption, config: config as ChartConfiguration });
  };
  if (results.length > 0) {
    const traces = distinct(results.map((c) => c.trace));
    // Several base scenarios: one panel per trace (small multiples), else one chart.
    if (prefaultFaultsNeedsPanels(results)) {
      const panels = traceChartFiles('faults-prefault', traces);
      for (const trace of traces) add(panels.get(trace)!, CHART_CAPTIONS.prefault, prefaultFaultsPanel(results, trace));
    } else {
      add(REPORT_FILES.prefaultChart, CHART_CAPTIONS.prefault, prefaultFaultsChart(results));
    }
    const curveFiles = faultCurveChartFiles(traces);
    for (const trace of traces) add(curveFiles.get(trace)!, CHART_CAPTIONS.faultCurve, faultCurveChart(results, trace));
    const reachFiles = traceChartFiles('tlb-reach', traces);
    for (const trace of traces) add(reachFiles.get(trace)!, CHART_CAPTIONS.tlbReach, tlbReachChart(results, trace));
    // Per-scenario charts (all traces together): one panel per arch when the run has several.
    const arches = distinct(results.map((c) => c.scenario.arch));
    const panels = arches.length > 1 ? arches.map((arch) => ({ name: arch, keep: (c: CellResult) => c.scenario.arch === arch })) : [undefined];
    const file = (name: string, panel: { name: string } | undefined): string => (panel === undefined ? name : name.replace(/\.png$/, `-${panel.name}.png`));
    for (const panel of panels) add(file(REPORT_FILES.mappingLevelsChart, panel), CHART_CAPTIONS.mappingLevels, mappingLevelsChart(results, panel));
    for (const panel of panels) add(file(REPORT_FILES.tlbChart, panel), CHART_CAPTIONS.tlb, tlbChart(results, panel));
    for (const panel of panels) add(file(REPORT_FILES.flushChart, panel), CHART_CAPTIONS.flush, flushChart(results, panel));
  }
  add(REPORT_FILES.throughputChart, CHART_CAPTIONS.throughput, throughputChart(run.benchmarks));
  if (history !== undefined && history.length >= 2) {
    // Six series per panel: charts/trend.png, then trend-2.png, ...
    for (let panel = 0; panel < trendPanelCount(history); panel++) {
      add(
        panel === 0 ? REPORT_FILES.trendChart : REPORT_FILES.trendChart.replace(/\.png$/, `-${panel + 1}.png`),
        CHART_CAPTIONS.trend,
        trendChart(history, panel),
      );
    }
  }
  return charts;
}

/**
 * Load and warm up the chart renderer now, while the main thread would wait
 * (the cells replay on workers), rather than before the first chart
 * (`warmUpCharts`). Never rejects: a renderer that cannot load fails again,
 * with its message, when `writeReport` draws.
 */
export async function prepareCharts(): Promise<void> {
  try {
    const { warmUpCharts } = await import('./charts/renderChart.js');
    await warmUpCharts();
  } catch {
    // said by writeReport
  }
}

export interface WriteReportOptions {
  /** Replace an existing folder (`exact` names only). */
  force: boolean;
  /**
   * `exact` (default): the folder is `outDir`. `next-free`: `outDir`, else
   * `outDir-2`, `-3`..., whichever is free when the report is complete
   * (nightly: concurrent runs of the same second each get their own).
   */
  name?: 'exact' | 'next-free';
  /**
   * Nightly runs, oldest first, for the trend chart (the caller picks the
   * window, this run included); no trend chart with fewer than two.
   */
  history?: readonly HistoryEntry[];
  /** Told about stale temporary folders of dead runs removed beside the report. */
  onNote?: (message: string) => void;
}

/**
 * Write the report for `run` to `outDir` atomically (src/atomicFolder.ts);
 * returns the folder written. The caller has checked `outDir` with
 * `checkOutputPath` before any work; a system error while writing is one
 * `IoError` line naming the file.
 */
export async function writeReport(outDir: string, run: RunModel, options: WriteReportOptions): Promise<string> {
  const folder = { name: options.name ?? 'exact', force: options.force, onNote: options.onNote };
  return writeFolderAtomically(outDir, folder, async (write) => {
    await write.mkdir(REPORT_FILES.chartsDir);
    const results: CellResult[] = run.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
    await write.file(REPORT_FILES.results, resultsToCsv(results));
    const reach = tlbReachCsv(results);
    if (reach !== undefined) await write.file(REPORT_FILES.tlbReach, reach);
    await write.file(REPORT_FILES.run, runToJson(run));
    await write.file(REPORT_FILES.summary, summaryMarkdown(run));
    // Charts load node-canvas: only here, on the main thread, and only when needed.
    const charts = reportCharts(run, options.history);
    const rendered = charts.length > 0 ? await writeCharts(write, charts) : [];
    await write.file(REPORT_FILES.index, indexHtml(run, rendered));
  });
}

/**
 * Render and write `charts` in order; returns them rendered (for index.html).
 * Drawing is synchronous and PNG encoding runs on libuv's thread pool, so
 * the next charts are drawn while up to `PNG_ENCODES_IN_FLIGHT` earlier ones
 * encode (each holds its canvas until then).
 */
async function writeCharts(write: FolderWriter, charts: readonly ReportChart[]): Promise<RenderedChart[]> {
  const { renderChartPng } = await import('./charts/renderChart.js');
  const rendered: RenderedChart[] = [];
  const pending: { chart: ReportChart; png: Promise<Buffer> }[] = [];
  const writeOldest = async (): Promise<void> => {
    const { chart, png } = pending.shift()!;
    const bytes = await png;
    await write.file(chart.file, bytes);
    rendered.push({ file: chart.file, title: chart.title, caption: chart.caption, png: bytes });
  };
  try {
    for (const chart of charts) {
      if (pending.length === PNG_ENCODES_IN_FLIGHT) await writeOldest();
      const png = renderChartPng(chart.config);
      png.catch(() => undefined); // a failure is seen when its turn comes, not as an unhandled rejection before
      pending.push({ chart, png });
    }
    while (pending.length > 0) await writeOldest();
  } finally {
    // A failed write leaves encodes running: let them settle, unobserved, before the folder is removed.
    await Promise.allSettled(pending.map((p) => p.png));
  }
  return rendered;
}
