import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Database-backed files each own a database; running two at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
  },
});
