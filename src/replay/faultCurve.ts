/**
 * The fault curve of a replay: the faults taken so far after each hundredth
 * of the events (`CURVE_POINTS` points after a first 0). One sampler for the
 * deterministic replay (`replayCell`) and for each per-vCPU worker
 * (`replayVcpu`), so both cut the events at the same counts.
 */
import { CURVE_POINTS } from './results.js';

export class FaultCurve {
  /** The points so far: 0, then one per hundredth of the events replayed. */
  readonly points: number[] = [0];
  private readonly step: number;
  /**
   * Events replayed by which the next point is due (a fraction: the step is
   * events / 100); `Infinity` once the curve is full. A replay loop checks
   * `done >= due` before calling `sample`, and need not stop before it.
   */
  due: number;

  /** A curve over `events` events. */
  constructor(events: number) {
    this.step = events / CURVE_POINTS;
    this.due = this.step;
  }

  /** `done` events are replayed, with `faults` taken: every point due by now. */
  sample(done: number, faults: number): void {
    while (done >= this.due && this.points.length <= CURVE_POINTS) {
      this.points.push(faults);
      this.due += this.step;
    }
    if (this.points.length > CURVE_POINTS) this.due = Infinity;
  }

  /** The replay is over with `faults` taken: the points never reached (a short last step), then all of them. */
  finish(faults: number): number[] {
    while (this.points.length <= CURVE_POINTS) this.points.push(faults);
    return this.points;
  }
}
