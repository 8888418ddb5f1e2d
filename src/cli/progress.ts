/**
 * A progress bar on stderr for runs longer than a second: cells done,
 * accesses/s, ETA. Quiet when stderr is not a TTY or with `--quiet`.
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
    const rate = elapsedMs > 0 ? Math.round((progress.accesses / elapsedMs) * 1000) : 0;
    if (this.bar === undefined) {
      if (elapsedMs < SHOW_AFTER_MS) return;
      this.bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: 'cells {bar} {value}/{total} | {rate} accesses/s | ETA {eta_formatted}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(progress.total, 0, { rate });
    }
    this.bar.update(progress.done, { rate });
  }

  stop(): void {
    this.bar?.stop();
  }
}
