// Loaded with `node --import ./test/helpers/hide-package.mjs`: makes the bare package named in
// OAUTH_KV_HIDE_PACKAGE (and its subpaths) unresolvable, as if it were not installed, so a test can
// see what oauth-kv does when an optional driver is missing.
import { register } from 'node:module';

const hidden = process.env.OAUTH_KV_HIDE_PACKAGE ?? '';
if (hidden !== '') {
  register(
    `data:text/javascript,${encodeURIComponent(`
      const hidden = ${JSON.stringify(hidden)};
      export async function resolve(specifier, context, next) {
        if (specifier === hidden || specifier.startsWith(hidden + '/')) {
          const err = new Error("Cannot find package '" + specifier + "'");
          err.code = 'ERR_MODULE_NOT_FOUND';
          throw err;
        }
        return next(specifier, context);
      }
    `)}`,
  );
}
