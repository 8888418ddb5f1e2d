/**
 * A progress bar on stderr for runs longer than a second: trace events
 * replayed (the cells running on workers report theirs as they go, so one
 * long cell moves the bar too), cells done, events/s, ETA. Quiet when
 * stderr is not a TTY or with `--quiet`.
 */
import cliProgress from 'cli-progress';
import type { MatrixProgress } from '../replay/runMatrix.js';

const SHOW_AFTER_MS = 1000;

export class ProgressReporter {
  private bar: cliProgress.SingleBar | undefined;
  private readonly started = Date.now();
  private readonly enabled: boolean;

  constructor(quiet: boolean) {
    this.enabled = !quiet && process.stderr.isTTY === true;
  }

  update(progress: MatrixProgress): void {
    if (!this.enabled) return;
    const elapsedMs = Date.now() - this.started;
    const rate = elapsedMs > 0 ? Math.round((progress.events / elapsedMs) * 1000) : 0;
    const payload = { rate, cells: `${progress.done}/${progress.total}` };
    if (this.bar === undefined) {
      if (elapsedMs < SHOW_AFTER_MS) return;
      this.bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: 'events {bar} {percentage}% | cells {cells} | {rate} events/s | ETA {eta_formatted}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(Math.max(1, progress.totalEvents), 0, payload);
    }
    this.bar.update(progress.events, payload);
  }

  stop(): void {
    this.bar?.stop();
  }
}

/** What a `CountProgressBar` counts, as it shows it: its name, and how many counted make one. */
export interface ProgressUnit {
  name: string;
  per: number;
}
/** Bytes, shown in MiB. */
export const MIB: ProgressUnit = { name: 'MiB', per: 2 ** 20 };
/** Trace events, shown in millions. */
export const MILLION_EVENTS: ProgressUnit = { name: 'M events', per: 1e6 };
/** Lines of a CSV file, shown in millions. */
export const MILLION_ROWS: ProgressUnit = { name: 'M rows', per: 1e6 };

/**
 * A progress bar on stderr over a count known in advance, for work longer
 * than a second: `LABEL {bar} done/total UNIT | ETA` (the bytes of
 * `import`'s inputs and of `run`'s checking pass over a CSV trace, the
 * events `convert` writes, the lines `gen` writes). Quiet when stderr is
 * not a TTY or with `--quiet`.
 */
export class CountProgressBar {
  private bar: cliProgress.SingleBar | undefined;
  private readonly started = Date.now();
  private readonly enabled: boolean;

  private lastShown = -1;

  constructor(
    private readonly label: string,
    quiet: boolean,
    private readonly unit: ProgressUnit = MIB,
  ) {
    this.enabled = !quiet && process.stderr.isTTY === true;
  }

  update(done: number, total: number): void {
    if (!this.enabled || total === 0) return;
    const shown = (count: number): number => Math.round((count / this.unit.per) * 10) / 10; // one decimal
    if (this.bar === undefined) {
      if (Date.now() - this.started < SHOW_AFTER_MS) return;
      this.bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `${this.label} {bar} {value}/{total} ${this.unit.name} | ETA {eta_formatted}`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(shown(total), 0);
    }
    // Only a change of the value shown: the ETA is averaged over the last updates, and repeats of one
    // value (many calls per tenth of a unit) would read as no progress (an ETA of "NF").
    const value = shown(done);
    if (value === this.lastShown) return;
    this.lastShown = value;
    this.bar.update(value);
  }

  stop(): void {
    this.bar?.stop();
  }
}
