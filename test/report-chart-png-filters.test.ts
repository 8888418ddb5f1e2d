/**
 * Charts are encoded with no PNG row filter (renderChart.ts `PNG_ENCODING`):
 * every row of the image data starts with filter type 0 (None). libpng's
 * default, adaptive filtering, picks Sub, Up or Paeth for rows with edges,
 * so a chart encoded with node-canvas's defaults fails this.
 */
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ChartConfiguration } from 'chart.js';
import { renderChartPng } from '../src/report/charts/renderChart.js';
import { prefaultFaultsChart } from '../src/report/charts/prefaultFaultsChart.js';
import { CHART_HEIGHT, CHART_WIDTH } from '../src/report/charts/palette.js';
import { fixtureRun } from './helpers/reportFixture.js';

/** The IHDR fields and the inflated IDAT data of a PNG (chunks: length, type, data, CRC). */
function readPng(png: Buffer): { width: number; height: number; bitDepth: number; colourType: number; data: Buffer } {
  let at = 8; // the signature
  const idat: Buffer[] = [];
  let header = { width: 0, height: 0, bitDepth: 0, colourType: 0 };
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), bitDepth: body[8], colourType: body[9] };
    if (type === 'IDAT') idat.push(body);
    at += 12 + length;
  }
  return { ...header, data: inflateSync(Buffer.concat(idat)) };
}

describe('chart PNG encoding', () => {
  it('writes every row with filter type None', async () => {
    const results = (await fixtureRun()).outcomes.flatMap((o) => (o.ok ? [o.result] : []));
    const png = readPng(await renderChartPng(prefaultFaultsChart(results) as ChartConfiguration));
    expect([png.width, png.height, png.bitDepth]).toEqual([CHART_WIDTH, CHART_HEIGHT, 8]);
    // Colour type 6 (RGBA) or 2 (RGB): 4 or 3 bytes a pixel, plus the filter byte that starts each row.
    const rowBytes = 1 + CHART_WIDTH * (png.colourType === 6 ? 4 : 3);
    expect(png.data.length).toBe(CHART_HEIGHT * rowBytes);
    const filters = new Set<number>();
    for (let row = 0; row < CHART_HEIGHT; row++) filters.add(png.data[row * rowBytes]);
    expect([...filters]).toEqual([0]);
  });
});
