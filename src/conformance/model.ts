/**
 * The model-based part of the conformance suite: fast-check generates sequences of operations,
 * runs them against the store and against a reference model (a Map), and compares every result.
 * @module
 */
import fc from 'fast-check';
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import { equal } from './assert.js';
import type { SuiteContext } from './context.js';

/** `${collection}\u0000${key}` → the value as the store must return it. */
type Model = Map<string, JsonObject>;
interface Real {
  store: AsyncKeyValue;
  collections: [string, string];
}
type Command = fc.AsyncCommand<Model, Real>;

// A small pool makes collisions (and separator look-alikes) likely.
const KEYS = ['a', 'b', 'a::b', 'b::c', 'A', '../a', 'ü'] as const;
const key = fc.constantFrom(...KEYS);
const keys = fc.array(key, { maxLength: 5 });
const which = fc.constantFrom(0, 1);
const value: fc.Arbitrary<JsonObject> = fc.record({
  id: fc.integer(),
  tag: fc.string({ maxLength: 8 }),
  data: fc.jsonValue({ maxDepth: 2 }),
}) as fc.Arbitrary<JsonObject>;

const slot = (r: Real, c: number, k: string) => `${r.collections[c as 0 | 1]}\u0000${k}`;
const opts = (r: Real, c: number) => ({ collection: r.collections[c as 0 | 1] });
/** What a JSON round trip makes of a value (e.g. -0 becomes 0). */
const normal = (v: JsonObject): JsonObject => JSON.parse(JSON.stringify(v)) as JsonObject;

/** A command that is always applicable; `label` is what fast-check prints for a failing run. */
function command(label: string, run: (m: Model, r: Real) => Promise<void>): Command {
  return { check: () => true, run, toString: () => label };
}

const commands: Array<fc.Arbitrary<Command>> = [
  fc.tuple(which, key, value).map(([c, k, v]) =>
    command(`put(${c}, ${JSON.stringify(k)})`, async (m, r) => {
      await r.store.put(k, v, opts(r, c));
      m.set(slot(r, c, k), normal(v));
    }),
  ),
  fc.tuple(which, key).map(([c, k]) =>
    command(`get(${c}, ${JSON.stringify(k)})`, async (m, r) => {
      equal(await r.store.get(k, opts(r, c)), m.get(slot(r, c, k)), `get(${c}, ${JSON.stringify(k)})`);
    }),
  ),
  fc.tuple(which, key).map(([c, k]) =>
    command(`delete(${c}, ${JSON.stringify(k)})`, async (m, r) => {
      const expected = m.delete(slot(r, c, k));
      equal(await r.store.delete(k, opts(r, c)), expected, `delete(${c}, ${JSON.stringify(k)})`);
    }),
  ),
  fc.tuple(which, key).map(([c, k]) =>
    command(`take(${c}, ${JSON.stringify(k)})`, async (m, r) => {
      const expected = m.get(slot(r, c, k));
      m.delete(slot(r, c, k));
      equal(await r.store.take(k, opts(r, c)), expected, `take(${c}, ${JSON.stringify(k)})`);
    }),
  ),
  fc.tuple(which, key, value).map(([c, k, v]) =>
    command(`putIfAbsent(${c}, ${JSON.stringify(k)})`, async (m, r) => {
      const expected = !m.has(slot(r, c, k));
      if (expected) m.set(slot(r, c, k), normal(v));
      equal(await r.store.putIfAbsent(k, v, opts(r, c)), expected, `putIfAbsent(${c}, ${JSON.stringify(k)})`);
    }),
  ),
  fc.tuple(which, keys).map(([c, ks]) =>
    command(`getMany(${c}, ${JSON.stringify(ks)})`, async (m, r) => {
      const expected = ks.map((k) => m.get(slot(r, c, k)));
      equal(await r.store.getMany(ks, opts(r, c)), expected, `getMany(${c}, ${JSON.stringify(ks)})`);
    }),
  ),
  fc.tuple(which, keys).map(([c, ks]) =>
    command(`ttlMany(${c}, ${JSON.stringify(ks)})`, async (m, r) => {
      const expected = ks.map((k) => ({ value: m.get(slot(r, c, k)), ttl: undefined }));
      equal(await r.store.ttlMany(ks, opts(r, c)), expected, `ttlMany(${c}, ${JSON.stringify(ks)})`);
    }),
  ),
  fc.tuple(which, fc.array(fc.tuple(key, value), { maxLength: 4 })).map(([c, entries]) =>
    command(`putMany(${c}, ${JSON.stringify(entries.map(([k]) => k))})`, async (m, r) => {
      await r.store.putMany(entries, opts(r, c));
      for (const [k, v] of entries) m.set(slot(r, c, k), normal(v));
    }),
  ),
  fc.tuple(which, keys).map(([c, ks]) =>
    command(`deleteMany(${c}, ${JSON.stringify(ks)})`, async (m, r) => {
      let expected = 0;
      for (const k of new Set(ks)) if (m.delete(slot(r, c, k))) expected++;
      equal(await r.store.deleteMany(ks, opts(r, c)), expected, `deleteMany(${c}, ${JSON.stringify(ks)})`);
    }),
  ),
];

/** Runs `runs` random command sequences; each run gets two fresh collections. */
export async function modelTest(
  store: AsyncKeyValue,
  freshCollection: () => string,
  options: { runs: number; seed: number },
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 30 }), async (cmds) => {
      const real: Real = { store, collections: [freshCollection(), freshCollection()] };
      await fc.asyncModelRun(() => ({ model: new Map(), real }), cmds);
    }),
    { numRuns: options.runs, seed: options.seed },
  );
}

/** Registers the model-based section (inside the suite's `describe`). */
export function describeModel({ test, describe, make, fresh, modelRuns, modelSeed }: SuiteContext): void {
  describe('model-based', () => {
    test(
      [
        'op.get',
        'op.put',
        'op.delete',
        'op.take',
        'op.putIfAbsent',
        'op.getMany',
        'op.putMany',
        'op.deleteMany',
        'names.distinct',
      ],
      'random operation sequences agree with a reference model (fixed seed)',
      async () => {
        const s = await make();
        await modelTest(s, () => fresh('model'), { runs: modelRuns, seed: modelSeed });
      },
      120_000,
    );
  });
}
