// Loaded with `node --import ./test/helpers/import-spy.mjs`: records every bare package specifier
// that gets resolved (static or dynamic imports, and require() through the ESM loader) and prints
// them as JSON on exit, so a test can see which packages importing a module really loads.
import { register } from 'node:module';

const channel = new MessageChannel();
const seen = new Set();
channel.port1.on('message', (specifier) => seen.add(specifier));
channel.port1.unref();
register(
  `data:text/javascript,${encodeURIComponent(`
    let port;
    export function initialize(data) { port = data.port; }
    export async function resolve(specifier, context, next) {
      if (!specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.startsWith('node:') && !specifier.startsWith('file:') && !specifier.startsWith('data:')) {
        port.postMessage(specifier);
      }
      return next(specifier, context);
    }
  `)}`,
  { data: { port: channel.port2 }, transferList: [channel.port2] },
);
process.on('exit', () => {
  process.stdout.write(`\nIMPORTS ${JSON.stringify([...seen].sort())}\n`);
});
