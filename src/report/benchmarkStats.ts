/**
 * Summary statistics of one benchmark task's samples, for tables, the
 * throughput chart and history lines. Pure.
 */
import type { BenchmarkSamples } from '../replay/results.js';

export interface BenchmarkStats {
  name: string;
  samples: number;
  meanMs: number;
  medianMs: number;
  /** Sample standard deviation of the iteration times (n - 1), ms; 0 for one sample. */
  sdMs: number;
  /** Mean of the per-iteration throughputs, guest accesses per second. */
  accessesPerSecond: number;
  /** Their sample standard deviation, accesses per second. */
  accessesPerSecondSd: number;
}

/** Mean and sample standard deviation (n - 1; 0 for fewer than two values). */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, sd: 0 };
  const sumSq = values.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, sd: Math.sqrt(sumSq / (values.length - 1)) };
}

/** Median (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Statistics of `bench`; throws on an empty sample list (a benchmark always has samples). */
export function benchmarkStats(bench: BenchmarkSamples): BenchmarkStats {
  if (bench.samplesMs.length === 0) throw new Error(`benchmark ${bench.name}: no samples`);
  const times = meanSd(bench.samplesMs);
  const rates = meanSd(bench.samplesMs.map((ms) => bench.accessesPerIteration / (ms / 1000)));
  return {
    name: bench.name,
    samples: bench.samplesMs.length,
    meanMs: times.mean,
    medianMs: median(bench.samplesMs),
    sdMs: times.sd,
    accessesPerSecond: rates.mean,
    accessesPerSecondSd: rates.sd,
  };
}
