/**
 * fast-check settings for property tests: a fixed seed and a bounded number
 * of runs in `npm test`; `npm run test:deep` (MMUBENCH_DEEP=1) runs many more.
 */
export const DEEP = process.env.MMUBENCH_DEEP === '1';

export function propertyParams(runs: number): { seed: number; numRuns: number; endOnFailure: boolean } {
  return { seed: 20261123, numRuns: DEEP ? runs * 20 : runs, endOnFailure: true };
}
