/**
 * index.html exporter: self-contained (inline CSS, charts as data: URIs, no
 * script, no external reference), tables and failed cells, on the fixed run
 * of test/helpers/reportFixture.ts. Chart bytes are a placeholder here; the
 * real PNGs are checked in report-write-report and report-html-chromium.
 */
import { describe, expect, it } from 'vitest';
import { indexHtml, type RenderedChart } from '../src/report/indexHtml.js';
import { FIXTURE_BENCHMARKS, fixtureRun } from './helpers/reportFixture.js';

/** Placeholder chart bytes: base64 "UE5H" (the text "PNG"). */
const CHARTS: RenderedChart[] = [
  { file: 'charts/faults-prefault.png', title: 'Stage-2 guest faults with and without pre-population', png: Buffer.from('PNG') },
  { file: 'charts/tlb-misses.png', title: 'TLB misses & walks', png: Buffer.from('PNG') },
];

describe('index.html', () => {
  it('matches the snapshot for the fixed run (placeholder chart bytes)', async () => {
    expect(indexHtml({ ...(await fixtureRun()), benchmarks: FIXTURE_BENCHMARKS }, CHARTS)).toMatchSnapshot();
  });

  it('embeds every chart as a data: URI with its title as alt text', async () => {
    const html = indexHtml(await fixtureRun(), CHARTS);
    const images = [...html.matchAll(/<img src="([^"]*)" alt="([^"]*)"/g)].map((m) => [m[1], m[2]]);
    expect(images).toEqual([
      ['data:image/png;base64,UE5H', 'Stage-2 guest faults with and without pre-population'],
      ['data:image/png;base64,UE5H', 'TLB misses &amp; walks'],
    ]);
  });

  it('needs nothing outside the file: no script, no stylesheet link, no http(s) reference', async () => {
    const html = indexHtml({ ...(await fixtureRun()), benchmarks: FIXTURE_BENCHMARKS }, CHARTS);
    expect(html).not.toMatch(/<script|<link|https?:\/\/|src="(?!data:)/i);
    expect(html).toContain('<style>');
  });

  it('shows a failed cell with its error, escaped', async () => {
    const html = indexHtml(await fixtureRun(), CHARTS);
    expect(html).toContain('<h2 id="failed">Failed cells (1)</h2>');
    expect(html).toContain(
      '<tr class="failed"><td>huge &lt;trace&gt;</td><td>x86-tdp max=1g backing=4k prefault=none tlb=1536x12</td><td>timeout</td><td>cell took longer than --timeout 5 s &amp; was stopped</td></tr>',
    );
  });

  it('has the summary rows and, with benchmarks, their throughput (mean ± SD of per-iteration rates)', async () => {
    const html = indexHtml({ ...(await fixtureRun()), benchmarks: FIXTURE_BENCHMARKS }, CHARTS);
    expect(html).toContain('<tr><td>boot</td><td class="num">4</td><td class="num">0</td><td class="num">-100.0%</td>');
    expect(html).toContain('<tr><td>unmap</td><td class="num">3</td><td class="num">1</td><td class="num">-66.7%</td>');
    // hotcold: 500,000 accesses in 100, 100, 200, 200 ms -> rates 5M, 5M, 2.5M, 2.5M: mean 3.75M, SD 1,443,376.
    expect(html).toContain(
      '<td>replay hotcold x86-tdp</td><td class="num">4</td><td class="num">150.000</td><td class="num">150.000</td><td class="num">57.735</td><td class="num">3,750,000 ± 1,443,376</td>',
    );
  });
});
