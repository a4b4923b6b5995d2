import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: { include: ['test/conformance-self/broken.suite.ts'], testTimeout: 30_000 },
});
