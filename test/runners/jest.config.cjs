// `npx jest --config test/runners/jest.config.cjs`, run by test/conformance-runners.test.ts: the
// conformance suites under real jest (jestLikeRunner over @jest/globals), not under vitest.
module.exports = {
  rootDir: '../..',
  testMatch: ['<rootDir>/test/runners/jest*.conformance.ts'],
  testEnvironment: 'node',
  transform: { '\\.ts$': '<rootDir>/test/runners/jest-esbuild.cjs' },
  // The sources import './x.js' for './x.ts' (NodeNext); jest resolves the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  moduleFileExtensions: ['ts', 'js', 'cjs', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp/', '<rootDir>/dist/', '<rootDir>/reports/'],
};
