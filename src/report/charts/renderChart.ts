/**
 * Renders a Chart.js configuration to PNG with chartjs-node-canvas. Main
 * thread only: node-canvas is not safe to load in worker threads, so this
 * module is imported lazily by the report writer, never by a worker.
 */
import type { ChartConfiguration } from 'chart.js';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { CHART_HEIGHT, CHART_WIDTH } from './palette.js';

let canvas: ChartJSNodeCanvas | undefined;

export async function renderChartPng(config: ChartConfiguration): Promise<Buffer> {
  canvas ??= new ChartJSNodeCanvas({ width: CHART_WIDTH, height: CHART_HEIGHT, backgroundColour: 'white' });
  return canvas.renderToBuffer({ ...config, options: { ...config.options, animation: false, responsive: false } });
}
