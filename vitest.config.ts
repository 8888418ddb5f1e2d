import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CLI tests spawn the built command (dist/); `npm test` builds first.
    testTimeout: 60_000,
    pool: 'forks',
  },
});
