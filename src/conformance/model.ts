/**
 * The model-based part of the conformance suite: fast-check generates sequences of operations,
 * runs them against the store and against a reference model (a Map), and compares every result.
 * @module
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { AsyncKeyValue, JsonObject } from '../contract.js';

interface Model {
  /** `${collection}\u0000${key}` → the value as the store must return it. */
  entries: Map<string, JsonObject>;
}
interface Real {
  store: AsyncKeyValue;
  collections: [string, string];
}

// A small pool makes collisions (and separator look-alikes) likely.
const KEYS = ['a', 'b', 'a::b', 'b::c', 'A', '../a', 'ü'] as const;
const key = fc.constantFrom(...KEYS);
const which = fc.constantFrom(0, 1);
const value: fc.Arbitrary<JsonObject> = fc.record({
  id: fc.integer(),
  tag: fc.string({ maxLength: 8 }),
  data: fc.jsonValue({ maxDepth: 2 }),
}) as fc.Arbitrary<JsonObject>;

const slot = (r: Real, c: number, k: string) => `${r.collections[c as 0 | 1]}\u0000${k}`;
/** What a JSON round trip makes of a value (e.g. -0 becomes 0). */
const normal = (v: JsonObject): JsonObject => JSON.parse(JSON.stringify(v)) as JsonObject;
const opts = (r: Real, c: number) => ({ collection: r.collections[c as 0 | 1] });

class Put implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly c: number,
    readonly k: string,
    readonly v: JsonObject,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    await r.store.put(this.k, this.v, opts(r, this.c));
    m.entries.set(slot(r, this.c, this.k), normal(this.v));
  }
  toString = () => `put(${this.c}, ${JSON.stringify(this.k)})`;
}

class Get implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly c: number,
    readonly k: string,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    expect(await r.store.get(this.k, opts(r, this.c))).toEqual(m.entries.get(slot(r, this.c, this.k)));
  }
  toString = () => `get(${this.c}, ${JSON.stringify(this.k)})`;
}

class Delete implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly c: number,
    readonly k: string,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const expected = m.entries.delete(slot(r, this.c, this.k));
    expect(await r.store.delete(this.k, opts(r, this.c))).toBe(expected);
  }
  toString = () => `delete(${this.c}, ${JSON.stringify(this.k)})`;
}

class Take implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly c: number,
    readonly k: string,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const s = slot(r, this.c, this.k);
    const expected = m.entries.get(s);
    m.entries.delete(s);
    expect(await r.store.take(this.k, opts(r, this.c))).toEqual(expected);
  }
  toString = () => `take(${this.c}, ${JSON.stringify(this.k)})`;
}

class PutIfAbsent implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly c: number,
    readonly k: string,
    readonly v: JsonObject,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const s = slot(r, this.c, this.k);
    const expected = !m.entries.has(s);
    if (expected) m.entries.set(s, normal(this.v));
    expect(await r.store.putIfAbsent(this.k, this.v, opts(r, this.c))).toBe(expected);
  }
  toString = () => `putIfAbsent(${this.c}, ${JSON.stringify(this.k)})`;
}

class GetMany implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly c: number,
    readonly ks: string[],
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const expected = this.ks.map((k) => m.entries.get(slot(r, this.c, k)));
    expect(await r.store.getMany(this.ks, opts(r, this.c))).toEqual(expected);
  }
  toString = () => `getMany(${this.c}, ${JSON.stringify(this.ks)})`;
}

class PutMany implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly c: number,
    readonly entries: Array<[string, JsonObject]>,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    await r.store.putMany(this.entries, opts(r, this.c));
    for (const [k, v] of this.entries) m.entries.set(slot(r, this.c, k), normal(v));
  }
  toString = () => `putMany(${this.c}, ${JSON.stringify(this.entries.map(([k]) => k))})`;
}

class DeleteMany implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly c: number,
    readonly ks: string[],
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    let expected = 0;
    for (const k of new Set(this.ks)) if (m.entries.delete(slot(r, this.c, k))) expected++;
    expect(await r.store.deleteMany(this.ks, opts(r, this.c))).toBe(expected);
  }
  toString = () => `deleteMany(${this.c}, ${JSON.stringify(this.ks)})`;
}

const commands = [
  fc.tuple(which, key, value).map(([c, k, v]) => new Put(c, k, v)),
  fc.tuple(which, key).map(([c, k]) => new Get(c, k)),
  fc.tuple(which, key).map(([c, k]) => new Delete(c, k)),
  fc.tuple(which, key).map(([c, k]) => new Take(c, k)),
  fc.tuple(which, key, value).map(([c, k, v]) => new PutIfAbsent(c, k, v)),
  fc.tuple(which, fc.array(key, { maxLength: 5 })).map(([c, ks]) => new GetMany(c, ks)),
  fc.tuple(which, fc.array(fc.tuple(key, value), { maxLength: 4 })).map(([c, es]) => new PutMany(c, es)),
  fc.tuple(which, fc.array(key, { maxLength: 5 })).map(([c, ks]) => new DeleteMany(c, ks)),
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
      await fc.asyncModelRun(() => ({ model: { entries: new Map() }, real }), cmds);
    }),
    { numRuns: options.runs, seed: options.seed },
  );
}
