// Loaded with `node --import`: fails the run if anything imports vitest, to prove the
// runner-agnostic entry (src/conformance/core.ts) runs without it.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === 'vitest' || specifier.startsWith('vitest/') || specifier.startsWith('@vitest/')) {
    throw new Error('vitest was imported by ' + context.parentURL);
  }
  return next(specifier, context);
}`),
);
