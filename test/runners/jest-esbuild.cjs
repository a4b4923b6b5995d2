// The jest transform of test/runners/jest.config.cjs: TypeScript to CommonJS with esbuild (already a
// devDependency, through tsup), so jest runs the suite's ESM TypeScript sources without babel or ts-jest.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { transformSync } = require('esbuild');

const self = readFileSync(__filename, 'utf8');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: filename,
      // import('pg') becomes require('pg'): jest runs CommonJS, and a real import() needs --experimental-vm-modules.
      supported: { 'dynamic-import': false },
    });
    return { code, map };
  },
  getCacheKey(source, filename) {
    return createHash('sha256').update(self).update(filename).update(source).digest('hex');
  },
};
