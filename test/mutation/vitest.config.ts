import { defineConfig } from 'vitest/config';

// The test set of `npm run mutation`: the conformance suite alone (test/mutation/*.mutation.ts).
export default defineConfig({
  test: { include: ['test/mutation/*.mutation.ts'], testTimeout: 30_000, hookTimeout: 60_000 },
});
