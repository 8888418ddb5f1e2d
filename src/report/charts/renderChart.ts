/**
 * Renders a Chart.js configuration to PNG with chartjs-node-canvas. Main
 * thread only: node-canvas is not safe to load in worker threads, so this
 * module is imported lazily by the report writer, never by a worker.
 */
import type { ChartConfiguration } from 'chart.js';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { CHART_HEIGHT, CHART_WIDTH } from './palette.js';
import { framedChart } from './chartOptions.js';

let canvas: ChartJSNodeCanvas | undefined;

export async function renderChartPng(config: ChartConfiguration): Promise<Buffer> {
  canvas ??= new ChartJSNodeCanvas({ width: CHART_WIDTH, height: CHART_HEIGHT, backgroundColour: 'white' });
  return canvas.renderToBuffer({ ...config, options: { ...config.options, animation: false, responsive: false } });
}

/**
 * Draw and encode a small bar chart and discard it. The first chart a
 * process draws also pays for loading chart.js and node-canvas and for V8's
 * first compilation of their code: 160-230 ms on the project host, against
 * 50-70 ms for each one after (`writeReport`'s charts are drawn no
 * differently after this: a chart's pixels depend only on its configuration).
 */
export async function warmUpCharts(): Promise<void> {
  const frame = { title: 'warm-up', xTitle: 'x', yTitle: 'y' };
  const data = { labels: ['a', 'b'], datasets: [{ label: 'warm-up', data: [1, 2] }] };
  await renderChartPng(framedChart('bar', frame, data) as ChartConfiguration);
}
