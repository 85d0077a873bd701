import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'tools/*/src/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // Integration tests each start real servers (PDS, Postgres, child processes) and the crash and replica tests
    // time real publishes: on two cores, files running side by side starve each other into timeouts, so they run
    // one at a time (the whole suite stays well inside CI's budget).
    fileParallelism: false,
    maxWorkers: 1,
    pool: 'forks',
  },
})
