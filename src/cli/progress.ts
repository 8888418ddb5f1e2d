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

/**
 * A progress bar on stderr over the bytes of a file, for work longer than a
 * second: `LABEL {bar} done/total MiB | ETA` (`import`'s inputs, `run`'s
 * checking pass over a CSV trace). Quiet when stderr is not a TTY or with
 * `--quiet`.
 */
export class BytesProgressBar {
  private bar: cliProgress.SingleBar | undefined;
  private readonly started = Date.now();
  private readonly enabled: boolean;

  constructor(
    private readonly label: string,
    quiet: boolean,
  ) {
    this.enabled = !quiet && process.stderr.isTTY === true;
  }

  update(doneBytes: number, totalBytes: number): void {
    if (!this.enabled || totalBytes === 0) return;
    const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);
    if (this.bar === undefined) {
      if (Date.now() - this.started < SHOW_AFTER_MS) return;
      this.bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `${this.label} {bar} {value}/{total} MiB | ETA {eta_formatted}`, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(mib(totalBytes), 0);
    }
    this.bar.update(mib(doneBytes));
  }

  stop(): void {
    this.bar?.stop();
  }
}
