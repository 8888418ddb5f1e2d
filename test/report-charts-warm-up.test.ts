/**
 * The chart warm-up run while workers replay (`prepareCharts`, renderChart.ts
 * `warmUpCharts`) leaves nothing behind that changes a chart: a report
 * chart drawn before it and after it is the same PNG, byte for byte.
 */
import { describe, expect, it } from 'vitest';
import type { ChartConfiguration } from 'chart.js';
import { renderChartPng, warmUpCharts } from '../src/report/charts/renderChart.js';
import { prefaultFaultsChart } from '../src/report/charts/prefaultFaultsChart.js';
import { prepareCharts } from '../src/report/writeReport.js';
import { fixtureRun } from './helpers/reportFixture.js';

describe('chart warm-up', () => {
  it('changes no pixel of the charts drawn after it', async () => {
    const results = (await fixtureRun()).outcomes.flatMap((o) => (o.ok ? [o.result] : []));
    const config = (): ChartConfiguration => prefaultFaultsChart(results) as ChartConfiguration;
    const before = await renderChartPng(config());
    await warmUpCharts();
    await prepareCharts();
    const after = await renderChartPng(config());
    expect(after.equals(before)).toBe(true);
    expect(before.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});
