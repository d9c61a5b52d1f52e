import { defineConfig } from 'vitest/config';

// Native tests allocate large indexes and some spawn child processes: give them
// room on a 2-core CI machine, and keep test files in separate processes so a
// crash in one is reported instead of taking the run down.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    setupFiles: ['test/setup/yield-between-tests.ts'],
  },
});
