/**
 * Two small inline Chart.js plugins (no plugin packages needed): text above
 * bars, and error bars. Both draw after the datasets, from data the chart
 * builder computed, so the configuration stays a pure function of results.
 */
import type { Chart, Plugin } from 'chart.js';
import { SMALL_FONT } from './palette.js';

/**
 * Text above bars: `labels[datasetIndex][index]` is drawn above that bar
 * (skipped when undefined), horizontally or, with `vertical`, turned to
 * read upwards. With stacked bars, give labels to the top dataset of each
 * stack only.
 */
export function barLabelsPlugin(labels: readonly (readonly (string | undefined)[])[], fontSize: number = SMALL_FONT.size, vertical = false): Plugin<'bar'> {
  return {
    id: 'mmubenchBarLabels',
    afterDatasetsDraw(chart: Chart<'bar'>) {
      const { ctx } = chart;
      ctx.save();
      ctx.font = `${fontSize}px sans-serif`;
      ctx.fillStyle = '#222';
      // Vertical text (bottom to top) fits above narrow bars.
      ctx.textAlign = vertical ? 'left' : 'center';
      ctx.textBaseline = vertical ? 'middle' : 'bottom';
      labels.forEach((texts, datasetIndex) => {
        const meta = chart.getDatasetMeta(datasetIndex);
        if (meta.hidden) return;
        texts.forEach((text, index) => {
          const bar = meta.data[index] as unknown as { x: number; y: number } | undefined;
          if (text === undefined || bar === undefined || !Number.isFinite(bar.y)) return;
          if (!vertical) {
            ctx.fillText(text, bar.x, bar.y - 3);
            return;
          }
          ctx.save();
          ctx.translate(bar.x, bar.y - 3);
          ctx.rotate(-Math.PI / 2);
          ctx.fillText(text, 0, 0);
          ctx.restore();
        });
      });
      ctx.restore();
    },
  };
}

/** Error bars on dataset `datasetIndex`: a whisker from `low[i]` to `high[i]` (value units) on bar i. */
export function errorBarsPlugin(datasetIndex: number, low: readonly number[], high: readonly number[]): Plugin<'bar'> {
  return {
    id: 'mmubenchErrorBars',
    afterDatasetsDraw(chart: Chart<'bar'>) {
      const { ctx, scales } = chart;
      const meta = chart.getDatasetMeta(datasetIndex);
      ctx.save();
      ctx.strokeStyle = '#111';
      ctx.lineWidth = 2;
      meta.data.forEach((element, i) => {
        const { x } = element as unknown as { x: number };
        const top = scales.y.getPixelForValue(high[i]);
        const bottom = scales.y.getPixelForValue(low[i]);
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, bottom);
        ctx.moveTo(x - 12, top);
        ctx.lineTo(x + 12, top);
        ctx.moveTo(x - 12, bottom);
        ctx.lineTo(x + 12, bottom);
        ctx.stroke();
      });
      ctx.restore();
    },
  };
}
