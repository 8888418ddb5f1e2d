/**
 * Renders a Chart.js configuration to PNG with chartjs-node-canvas. Main
 * thread only: node-canvas is not safe to load in worker threads, so this
 * module is imported lazily by the report writer, never by a worker.
 */
import type { Chart, ChartConfiguration } from 'chart.js';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { CHART_HEIGHT, CHART_WIDTH } from './palette.js';
import { framedChart } from './chartOptions.js';

/**
 * The PNG encoding: zlib level 6 (node-canvas's default) with no row filter
 * (node-canvas's `Canvas.PNG_FILTER_NONE`, 8, libpng's PNG_FILTER_NONE)
 * instead of libpng's adaptive choice among all five filters for every row.
 * On these charts (flat colours, long runs of white) trying the filters is
 * half of the encode and compresses worse: a 1200x600 line chart took 25 ms
 * and 83 KB with them, 12 ms and 70 KB without (docs/benchmarks.md, "Chart
 * encoding"). The pixels are the same; only the PNG bytes differ.
 */
export const PNG_ENCODING = { compressionLevel: 6, filters: 8 } as const;

/** A chart's canvas under node-canvas: `toBuffer` takes PNG options (https://github.com/Automattic/node-canvas#canvastobuffer). */
interface NodeCanvas {
  toBuffer(done: (error: Error | null, png: Buffer) => void, mimeType: 'image/png', config: typeof PNG_ENCODING): void;
}

/**
 * `ChartJSNodeCanvas.renderChart`, which draws a chart and returns it: the
 * public `renderToBuffer` encodes with node-canvas's default options only,
 * so this calls the method it uses (chartjs-node-canvas 5.0, private in its
 * types) and encodes the canvas itself.
 */
interface ChartDrawer {
  renderChart(config: ChartConfiguration): Chart;
}

let canvas: ChartJSNodeCanvas | undefined;

export async function renderChartPng(config: ChartConfiguration): Promise<Buffer> {
  canvas ??= new ChartJSNodeCanvas({ width: CHART_WIDTH, height: CHART_HEIGHT, backgroundColour: 'white' });
  const chart = (canvas as unknown as ChartDrawer).renderChart({ ...config, options: { ...config.options, animation: false, responsive: false } });
  // Encoded on libuv's thread pool, as renderToBuffer does; the chart is freed once its PNG is made.
  return new Promise((resolve, reject) => {
    (chart.canvas as unknown as NodeCanvas).toBuffer(
      (error, png) => {
        chart.destroy();
        if (error) reject(error);
        else resolve(png);
      },
      'image/png',
      PNG_ENCODING,
    );
  });
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
