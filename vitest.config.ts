import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Worker threads crash Temporal's native core bridge: each test file runs in a forked process.
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
