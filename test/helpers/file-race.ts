/**
 * Child process for test/file-store-race.test.ts: opens a FileStore on a shared directory, prints
 * "ready", waits for "go" on stdin (so two children start together), runs one scenario and prints
 * its result as one JSON line. Run: node --import tsx test/helpers/file-race.ts '<json args>'.
 */
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { createInterface } from 'node:readline';
import type { JsonObject } from '../../src/contract.js';
import { FileStore } from '../../src/stores/file/index.js';

interface Args {
  dir: string;
  op: 'take' | 'putIfAbsent' | 'write' | 'read' | 'hammer' | 'die-in-lock' | 'die-in-take' | 'lock-churn';
  durationMs?: number;
  collection: string;
  keys: string[];
  callers?: number;
  tag?: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const store = new FileStore({ directory: args.dir });
const collection = args.collection;
await store.get('warm-up', { collection }); // creates the directory and loads every module

async function waitForGo(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === 'go') break;
  }
  lines.close();
}

process.stdout.write('ready\n');
await waitForGo();

let result: unknown;
const callers = args.callers ?? 1;
const jobs = args.keys.flatMap((key) => Array.from({ length: callers }, (_, i) => ({ key, i })));

switch (args.op) {
  case 'take': {
    const got = await Promise.all(jobs.map(({ key }) => store.take(key, { collection })));
    result = jobs.flatMap(({ key }, n) => (got[n] === undefined ? [] : [{ key, value: got[n] }]));
    break;
  }
  case 'putIfAbsent': {
    const won = await Promise.all(
      jobs.map(({ key, i }) =>
        store.putIfAbsent(key, { writer: args.tag ?? '', i }, { collection, ttl: 600 }),
      ),
    );
    result = jobs.flatMap(({ key, i }, n) => (won[n] ? [{ key, writer: args.tag, i }] : []));
    break;
  }
  case 'write': {
    await store.putMany(
      args.keys.map((key) => [key, { key, written: 'by-child' }] as const),
      { collection },
    );
    await store.put('with-ttl', { ttl: true }, { collection, ttl: 3600 });
    result = 'written';
    break;
  }
  case 'read': {
    const values = await store.getMany(args.keys, { collection });
    const { value, ttl } = await store.ttl('with-ttl', { collection });
    const page = await store.keys(collection, { limit: 10_000 });
    result = { values, withTtl: value, ttl, keys: page.keys, collections: await store.collections() };
    break;
  }
  case 'hammer': {
    // Writes one key over and over with a large value until killed, reporting each resolved write.
    const blob = 'x'.repeat(256 * 1024);
    for (let seq = 1; seq < 1_000_000; seq++) {
      const value: JsonObject = { seq, blob, tail: seq };
      await store.put('hammered', value, { collection });
      process.stdout.write(`wrote ${seq}\n`);
    }
    break;
  }
  case 'lock-churn': {
    // Takes and releases the key's lock over and over (putIfAbsent of an absent key, then delete).
    const key = args.keys[0] ?? 'k';
    const until = Date.now() + (args.durationMs ?? 1000);
    let rounds = 0;
    while (Date.now() < until) {
      await store.putIfAbsent(key, { round: rounds }, { collection });
      await store.delete(key, { collection });
      rounds++;
    }
    result = rounds;
    break;
  }
  case 'die-in-lock': {
    // Crash at an exact point: the process is killed by the kernel inside putIfAbsent, holding the
    // key's lock file, just before it links its fully written temp file to the entry name.
    const link = fsp.link;
    fsp.link = ((from: string, to: string) => {
      if (String(to).endsWith('.json')) process.kill(process.pid, 'SIGKILL');
      return link(from, to);
    }) as typeof fsp.link;
    syncBuiltinESMExports();
    await store.putIfAbsent(args.keys[0] ?? 'k', { never: true }, { collection });
    break;
  }
  case 'die-in-take': {
    // Killed inside take, after the rename that claims the entry and before reading it (however
    // the store reads: readFile or open).
    const dieOnClaim = <F extends (...a: never[]) => unknown>(original: F): F =>
      ((path: unknown, ...rest: unknown[]) => {
        if (String(path).includes('.claim-')) process.kill(process.pid, 'SIGKILL');
        return (original as unknown as (...a: unknown[]) => unknown)(path, ...rest);
      }) as unknown as F;
    fsp.readFile = dieOnClaim(fsp.readFile);
    fsp.open = dieOnClaim(fsp.open);
    syncBuiltinESMExports();
    await store.take(args.keys[0] ?? 'k', { collection });
    break;
  }
}

process.stdout.write(`${JSON.stringify({ result })}\n`);
await store.close();
