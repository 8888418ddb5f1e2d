/** The tiny nightly the CLI tests run (test/fixtures/nightly-tiny.json: 4 cells), shared so each test states only what differs. */

/** Files and folders of a complete report folder (tlb-reach.csv: the reach curves are on by default). */
export const REPORT_FILES = ['charts', 'index.html', 'results.csv', 'run.json', 'summary.md', 'tlb-reach.csv'];

/** `nightly` of the tiny config into `reports`, in-process cells (`--threads 0`), a quick bench of `benchTimeMs`, then `extra`. */
export function tinyNightlyArgs(reports: string, benchTimeMs: number, extra: readonly string[] = []): string[] {
  return ['nightly', '--config', 'test/fixtures/nightly-tiny.json', '--reports', reports, '--threads', '0', '--bench-time', String(benchTimeMs), ...extra];
}
