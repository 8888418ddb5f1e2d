/**
 * index.html in a real browser: Debian's chromium (installed by
 * scripts/setup.mjs when absent and running as root; never downloaded)
 * opens the report from disk at 1400x900, a screenshot is taken: the verdict
 * section must be within the first screen, every <img> must have loaded,
 * and nothing may scroll sideways. Skipped, with a message, where chromium
 * is not installed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { writeReport } from '../src/report/writeReport.js';
import { FIXTURE_BENCHMARKS, FIXTURE_HISTORY, fixtureRun } from './helpers/reportFixture.js';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  console.warn(`report-html-chromium: SKIPPED: ${CHROMIUM} not found (install Debian's "chromium" package; npm test's setup does so when run as root)`);
}

/** Headless, offline, no first-run work: nothing but the page. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe.skipIf(!HAS_CHROMIUM)('index.html in headless Chromium', () => {
  it('opens from disk and shows every chart (each <img> loaded, 1200x600)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmubench-chromium-'));
    const out = join(dir, 'report');
    await writeReport(out, { ...(await fixtureRun()), benchmarks: FIXTURE_BENCHMARKS }, { force: false, history: FIXTURE_HISTORY });
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      offline: true,
      viewport: { width: 1400, height: 900 },
    });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(join(out, 'index.html')).href, { waitUntil: 'load' });
      const images = await page.$$eval('img', (imgs) =>
        imgs.map((img) => ({ alt: img.alt, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight })),
      );
      // The first screen gives the verdict: the whole section fits in the 900 px viewport, unscrolled.
      const box = await page.$eval('#verdict', (el) => {
        const r = el.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, cards: el.querySelectorAll('.trace-verdict').length };
      });
      expect(box.cards).toBe(2); // boot, unmap (the failed cell's trace has no result)
      expect(box.top).toBeGreaterThan(0);
      expect(box.bottom).toBeLessThanOrEqual(900);
      // Nothing wider than the window: wide tables scroll inside their own box.
      const widths = await page.$eval('html', (html) => ({ scroll: html.scrollWidth, client: html.clientWidth }));
      expect(widths.scroll).toBeLessThanOrEqual(widths.client);
      const screenshot = join(dir, 'screenshot.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      // Nine charts: prefault, two boot curves, the boot reach curve, mapping levels, TLB, flush, throughput, trend.
      expect(images).toHaveLength(9);
      for (const image of images) expect(image, image.alt).toMatchObject({ complete: true, width: 1200, height: 600 });
      // Only the file itself was fetched: the charts are data: URIs.
      expect(requests.filter((url) => !url.startsWith('data:'))).toEqual([pathToFileURL(join(out, 'index.html')).href]);
      const png = readFileSync(screenshot);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(png.readUInt32BE(16)).toBe(1400); // screenshot width: the viewport
      expect(png.readUInt32BE(20)).toBeGreaterThan(9 * 600); // full page: taller than the charts alone
      // A nightly-sized run: five traces, each under four base scenarios with and without pre-fault
      // (the fixture's cells renamed): the verdict still fits the first screen.
      const base = await fixtureRun();
      const cells = base.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
      const big = ['boot-seq', 'host-events', 'hotcold', 'interleaved-2vcpu', 'random-uniform'].flatMap((trace, t) =>
        ['max=1g backing=4k', 'max=2m backing=4k', 'max=4k backing=2m', 'max=2m backing=2m'].flatMap((words) =>
          cells
            .filter((c) => c.trace === (t % 2 === 0 ? 'boot' : 'unmap'))
            .map((c) => ({ ...c, trace, scenario: { ...c.scenario, name: c.scenario.name.replace('max=1g backing=4k', words) } })),
        ),
      );
      const bigOut = join(dir, 'big');
      await writeReport(bigOut, { ...base, outcomes: big.map((result) => ({ ok: true as const, result })) }, { force: false });
      await page.goto(pathToFileURL(join(bigOut, 'index.html')).href, { waitUntil: 'load' });
      const bigBox = await page.$eval('#verdict', (el) => ({ bottom: el.getBoundingClientRect().bottom, cards: el.querySelectorAll('.trace-verdict').length }));
      expect(bigBox.cards).toBe(5);
      expect(bigBox.bottom).toBeLessThanOrEqual(900);
      const bigWidths = await page.$eval('html', (html) => ({ scroll: html.scrollWidth, client: html.clientWidth }));
      expect(bigWidths.scroll).toBeLessThanOrEqual(bigWidths.client);
      const bigImages = await page.$$eval('img', (imgs) => imgs.map((img) => img.complete && img.naturalWidth === 1200));
      expect(bigImages.length).toBeGreaterThan(10); // a faults panel, a boot curve and (boot) a reach curve per trace, ...
      expect(bigImages.every(Boolean)).toBe(true);
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
