// Loaded with `node --import`: points the conformance package's `fs` import at fs-shim.mjs.
import { register } from 'node:module';
register('./hooks.mjs', import.meta.url);
