/**
 * Test-only preload (`node --import THIS main.js ...`): `new Date()` and
 * `Date.now()` return MMUBENCH_TEST_NOW (an ISO time), so that several
 * processes started by a test name their report folders from the same
 * second, deterministically. Elapsed times use `performance.now()`, which
 * is left alone.
 */
const fixed = Date.parse(process.env.MMUBENCH_TEST_NOW ?? '');
if (Number.isFinite(fixed)) {
  const RealDate = Date;
  globalThis.Date = class FixedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(fixed);
      else super(...args);
    }

    static now() {
      return fixed;
    }
  };
}
