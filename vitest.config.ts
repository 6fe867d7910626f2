import { defineConfig } from 'vitest/config';

/**
 * One entry point for every test tier. scripts/test.sh runs the tiers in sequence (fast ones first) so that the
 * namespace and browser tests do not compete for this 2-core machine with the database suites.
 */
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'contracts', include: ['packages/contracts/src/**/*.test.ts'] } },
      { test: { name: 'detection', include: ['packages/detection/test/**/*.test.ts'] } },
      { test: { name: 'env', include: ['packages/env/src/**/*.test.ts'] } },
      {
        test: {
          name: 'server',
          include: ['apps/server/src/**/*.test.ts', 'apps/server/test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'daemon',
          include: ['apps/daemon/src/**/*.test.ts', 'apps/daemon/test/**/*.test.ts'],
          exclude: ['**/*.netns.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'daemon-netns',
          include: ['apps/daemon/test/**/*.netns.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      { test: { name: 'web', include: ['apps/web/src/**/*.test.ts'] } },
      // Deployment as self-hosters run it: backup/restore, the daemon bundle, systemd units, shutdown (deploy/test).
      {
        test: {
          name: 'deploy',
          include: ['deploy/test/**/*.test.ts'],
          exclude: ['deploy/test/**/*.docker.test.ts', '**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      // The docker tier: images built from a debootstrapped base, the compose stack (npm run test:deploy).
      {
        test: {
          name: 'deploy-docker',
          include: ['deploy/test/**/*.docker.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
      { test: { name: 'lab', include: ['lab/**/*.test.ts'], testTimeout: 60_000 } },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Two files at a time: each has its own server (free ports, own data dir) and browser, and most of a
          // browser test is waiting for the page.
          maxWorkers: 2,
        },
      },
    ],
  },
});
