import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/conformance-self/*.suite.ts'], testTimeout: 30_000 },
});
