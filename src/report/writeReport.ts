/**
 * The one place that decides the report folder's files and names, and writes
 * them atomically: everything goes to a temporary sibling folder that is
 * renamed into place at the end, so no reader ever sees half a report
 * (src/atomicFolder.ts: the temporary names, the name claim, the clean-up of
 * what a killed run left).
 */
import { writeFolderAtomically } from '../atomicFolder.js';
import type { ChartConfiguration } from 'chart.js';
import { resultsToCsv } from './resultsCsv.js';
import { runToJson, type RunModel } from './runJson.js';
import { summaryMarkdown } from './summaryMarkdown.js';
import { indexHtml, type RenderedChart } from './indexHtml.js';
import { distinct } from './scenarioGroups.js';
import type { HistoryEntry } from './history.js';
import { prefaultFaultsChart } from './charts/prefaultFaultsChart.js';
import { faultCurveChart } from './charts/faultCurveChart.js';
import { mappingLevelsChart } from './charts/mappingLevelsChart.js';
import { tlbChart } from './charts/tlbChart.js';
import { flushChart } from './charts/flushChart.js';
import { throughputChart } from './charts/throughputChart.js';
import { trendChart } from './charts/trendChart.js';
import type { CellResult } from '../replay/results.js';

/** File names inside a report folder (fault curves: `faultCurveChartFiles`). Documented in docs/report-format.md. */
export const REPORT_FILES = {
  results: 'results.csv',
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
 * One boot-curve chart file per trace: `charts/fault-curve-<trace>.png`, the
 * name reduced to `[A-Za-z0-9._-]`, with `-2`, `-3`... when two traces
 * reduce to the same name.
 */
export function faultCurveChartFiles(traces: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  const used = new Set<string>();
  for (const trace of traces) {
    const slug = trace.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'trace';
    let file = `${REPORT_FILES.chartsDir}/fault-curve-${slug}.png`;
    for (let n = 2; used.has(file); n++) file = `${REPORT_FILES.chartsDir}/fault-curve-${slug}-${n}.png`;
    used.add(file);
    files.set(trace, file);
  }
  return files;
}

/** A chart of the report: its file, its title (for index.html), its Chart.js configuration. */
export interface ReportChart {
  file: string;
  title: string;
  config: ChartConfiguration;
}

/**
 * Every chart of the report, in display order. A chart whose data the run
 * lacks is left out: no cells, no benchmarks (`mmubench run`), fewer than two
 * history entries, or counters no cell has. Pure.
 */
export function reportCharts(run: RunModel, history?: readonly HistoryEntry[]): ReportChart[] {
  const results: CellResult[] = run.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
  const charts: ReportChart[] = [];
  const add = (file: string, config: ChartConfiguration<'bar'> | ChartConfiguration<'line'> | undefined): void => {
    if (config === undefined) return;
    const title = (config.options?.plugins?.title?.text as string | undefined) ?? file;
    charts.push({ file, title, config: config as ChartConfiguration });
  };
  if (results.length > 0) {
    add(REPORT_FILES.prefaultChart, prefaultFaultsChart(results));
    const traces = distinct(results.map((c) => c.trace));
    const curveFiles = faultCurveChartFiles(traces);
    for (const trace of traces) add(curveFiles.get(trace)!, faultCurveChart(results, trace));
    add(REPORT_FILES.mappingLevelsChart, mappingLevelsChart(results));
    add(REPORT_FILES.tlbChart, tlbChart(results));
    add(REPORT_FILES.flushChart, flushChart(results));
  }
  add(REPORT_FILES.throughputChart, throughputChart(run.benchmarks));
  if (history !== undefined && history.length >= 2) add(REPORT_FILES.trendChart, trendChart(history));
  return charts;
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
    await write.file(REPORT_FILES.run, runToJson(run));
    await write.file(REPORT_FILES.summary, summaryMarkdown(run));
    // Charts load node-canvas: only here, on the main thread, and only when needed.
    const charts = reportCharts(run, options.history);
    const rendered: RenderedChart[] = [];
    if (charts.length > 0) {
      const { renderChartPng } = await import('./charts/renderChart.js');
      for (const chart of charts) {
        const png = await renderChartPng(chart.config);
        await write.file(chart.file, png);
        rendered.push({ file: chart.file, title: chart.title, png });
      }
    }
    await write.file(REPORT_FILES.index, indexHtml(run, rendered));
  });
}
