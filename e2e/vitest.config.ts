import { defineConfig } from 'vitest/config';

// Browser tests start a real server, daemon and Chromium: generous bounds, one file at a time.
export default defineConfig({
  test: {
    name: 'e2e',
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
