/**
 * Runs one workload of bench/cpu-workloads.ts: `node driver.mjs <name> <warmup> <n> <segments>`.
 * Bundled and started under valgrind by bench/callgrind.ts. After setup and `warmup` operations it
 * runs `segments` times: a garbage collection (with --expose-gc), `os.getPriority()` (libuv's
 * `uv_os_getpriority`, which nothing else here calls), `n` operations, `os.getPriority()` again.
 * Callgrind, started with `--dump-before=uv_os_getpriority`, so writes a count file per stretch:
 * the even-numbered ones (2, 4, ...) hold exactly the `n` operations of one segment. With
 * `segments` 0 it only runs `warmup` operations (for the start-up-subtraction method).
 */
import { getPriority } from 'node:os';
import { WORKLOADS } from './cpu-workloads.js';

const [name = '', warmupText = '0', nText = '0', segmentsText = '0'] = process.argv.slice(2);
const workload = WORKLOADS[name];
if (workload === undefined) throw new Error(`unknown workload ${name}`);
const op = await workload.setup();
let sink = 0;
async function run(times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const r = op();
    const v = r instanceof Promise ? await r : r;
    if (v !== undefined) sink++;
  }
}
await run(Number(warmupText));
const segments = Number(segmentsText);
const gc = (globalThis as { gc?: () => void }).gc;
for (let s = 0; s < segments; s++) {
  // A collection outside the counted segment (with --expose-gc), so each segment starts from an
  // empty young generation; the counts are then the operations' own work.
  gc?.();
  getPriority();
  await run(Number(nText));
  getPriority();
}
if (sink < 0) console.log(sink);
process.exit(0);
