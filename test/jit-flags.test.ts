/**
 * src/jitFlags.ts: the command raises V8's cumulative inlining budget to
 * three times its default (920 bytes), unless the user gave node that flag
 * (on its command line or in NODE_OPTIONS), whose value then stands.
 */
import { describe, expect, it } from 'vitest';
import { INLINE_BUDGET_BYTES, jitFlagsFor } from '../src/jitFlags.js';

describe('jitFlagsFor', () => {
  it('raises the cumulative inlining budget to 2760 bytes by default', () => {
    expect(INLINE_BUDGET_BYTES).toBe(3 * 920);
    expect(jitFlagsFor([], undefined)).toEqual(['--max-inlined-bytecode-size-cumulative=2760']);
    expect(jitFlagsFor(['--enable-source-maps'], '--max-old-space-size=4096')).toEqual(['--max-inlined-bytecode-size-cumulative=2760']);
  });

  it("keeps the user's own budget, given on node's command line or in NODE_OPTIONS", () => {
    expect(jitFlagsFor(['--max-inlined-bytecode-size-cumulative=500'], undefined)).toEqual([]);
    expect(jitFlagsFor([], '--enable-source-maps --max-inlined-bytecode-size-cumulative=4000')).toEqual([]);
    expect(jitFlagsFor(['--max_inlined_bytecode_size_cumulative=500'], undefined)).toEqual([]);
    // A different flag with the same prefix is not the budget.
    expect(jitFlagsFor(['--max-inlined-bytecode-size-cumulative-x=1'], undefined)).toEqual(['--max-inlined-bytecode-size-cumulative=2760']);
  });
});
