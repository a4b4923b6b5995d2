import { defineConfig } from 'vitest/config';

// `npm run mutation:raw -- --with-unit-tests`: the conformance suite plus the unit tests of the
// mutated files, to show that every mutant the suite cannot see (MemoryStore's own options, message
// wording, paths no AsyncKeyValue call reaches) is still killed by some test of the project.
export default defineConfig({
  test: {
    include: [
      'test/mutation/*.mutation.ts',
      'test/memory-store.test.ts',
      'test/validation.test.ts',
      'test/stored-json.test.ts',
      'test/base-store-batch.test.ts',
      'test/async-dispose.test.ts',
      'test/ping.test.ts',
      'test/python-nan-getmany.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
