import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real-backend suites share servers; files run in parallel, tests inside a file in order.
    fileParallelism: true,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
