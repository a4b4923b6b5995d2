import { describe, expect, expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import { StoreSetupError, ValidationError } from '../src/errors.js';
import { MemoryStore } from '../src/stores/memory.js';
import { type TypedCollection, typedCollection } from '../src/wrappers/typed.js';

const memory = () => new MemoryStore({ sweepIntervalMs: 0 });

const Client = z.object({
  client_id: z.string(),
  client_secret: z.string().min(8),
  redirect_uris: z.array(z.url()),
});

const SECRET = 'top-secret-value-never-in-errors';

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('typedCollection', () => {
  test('valid values round-trip with their output type', async () => {
    const clients = typedCollection(memory(), 'clients', Client);
    const value = { client_id: 'c1', client_secret: SECRET, redirect_uris: ['https://app.example/cb'] };
    await clients.put('c1', value);
    const got = await clients.get('c1');
    expectTypeOf(got).toEqualTypeOf<z.output<typeof Client> | undefined>();
    expect(got).toEqual(value);
    expect(clients.collection).toBe('clients');
    // TypedCollection<T> names the value type; the constructor takes the schema directly.
    type ClientValue = z.infer<typeof Client>;
    const annotated: TypedCollection<ClientValue> = typedCollection(memory(), 'clients', Client);
    expectTypeOf(annotated.get).returns.resolves.toEqualTypeOf<ClientValue | undefined>();
    const withDefault = typedCollection(memory(), 'c', z.object({ scope: z.string().default('openid') }));
    expectTypeOf(withDefault.put).parameter(1).toEqualTypeOf<{ scope?: string | undefined }>();
    expectTypeOf(withDefault.get).returns.resolves.toEqualTypeOf<{ scope: string } | undefined>();
  });

  test('an invalid write throws ValidationError with paths and messages, never the value; nothing is written', async () => {
    const store = memory();
    const clients = typedCollection(store, 'clients', Client);
    const err = await caught(
      clients.put('c1', { client_id: 42, client_secret: SECRET, redirect_uris: [SECRET] } as never),
    );
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    expect(v.code).toBe('VALIDATION_ERROR');
    expect(v.issues.map((i) => i.path).sort()).toEqual(['$.client_id', '$.redirect_uris[0]']);
    expect(v.message).not.toContain(SECRET);
    expect(JSON.stringify(v.issues)).not.toContain(SECRET);
    expect(await store.get('c1', { collection: 'clients' })).toBeUndefined();
    await expect(clients.putIfAbsent('c1', { client_id: 'c1' } as never)).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await store.get('c1', { collection: 'clients' })).toBeUndefined();
  });

  test('putMany validates every value first: one invalid and nothing is written', async () => {
    const store = memory();
    const numbers = typedCollection(store, 'n', z.object({ n: z.number() }));
    const err = await caught(
      numbers.putMany([
        ['a', { n: 1 }],
        ['b', { n: 'two' } as never],
      ]),
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toContain('entries[1]');
    expect(await store.getMany(['a', 'b'], { collection: 'n' })).toEqual([undefined, undefined]);
    await numbers.putMany([
      ['a', { n: 1 }],
      ['b', { n: 2 }],
    ]);
    expect(await numbers.getMany(['a', 'b', 'c'])).toEqual([{ n: 1 }, { n: 2 }, undefined]);
  });

  test('a stored value the schema rejects: throw by default, undefined with onInvalid', async () => {
    const store = memory();
    await store.put('bad', { client_id: 'c', client_secret: SECRET }, { collection: 'clients' });
    const strict = typedCollection(store, 'clients', Client);
    const err = await caught(strict.get('bad'));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toEqual([expect.objectContaining({ path: '$.redirect_uris' })]);
    expect((err as ValidationError).message).not.toContain(SECRET);
    await expect(strict.getMany(['bad'])).rejects.toBeInstanceOf(ValidationError);
    await expect(strict.ttl('bad')).rejects.toBeInstanceOf(ValidationError);
    const lenient = typedCollection(store, 'clients', Client, { onInvalid: 'undefined' });
    expect(await lenient.get('bad')).toBeUndefined();
    expect(await lenient.getMany(['bad', 'missing'])).toEqual([undefined, undefined]);
    expect(await lenient.ttl('bad')).toEqual({ value: undefined, ttl: undefined });
    // The entry stays; take removes it even when it is invalid.
    expect(await store.get('bad', { collection: 'clients' })).toBeDefined();
    await expect(strict.take('bad')).rejects.toBeInstanceOf(ValidationError);
    expect(await store.get('bad', { collection: 'clients' })).toBeUndefined();
  });

  test('non-object values are stored as { value: ... } and unwrapped on read', async () => {
    const store = memory();
    const cases: Array<[string, z.ZodType, unknown]> = [
      ['string', z.string(), 'hello'],
      ['number', z.number(), 42.5],
      ['boolean', z.boolean(), false],
      ['null', z.null(), null],
      ['array', z.array(z.number()), [1, 2, 3]],
      ['empty string', z.string(), ''],
    ];
    for (const [collection, schema, value] of cases) {
      const typed = typedCollection(store, collection, schema);
      await typed.put('k', value as never);
      expect(await store.get('k', { collection })).toEqual({ value });
      expect(await typed.get('k')).toEqual(value);
    }
  });

  test('objects are stored as they are; an object shaped like the wrapper is wrapped once more', async () => {
    const store = memory();
    const plain = typedCollection(store, 'plain', z.object({ value: z.object({ deep: z.number() }) }));
    await plain.put('k', { value: { deep: 1 } });
    expect(await store.get('k', { collection: 'plain' })).toEqual({ value: { deep: 1 } });
    expect(await plain.get('k')).toEqual({ value: { deep: 1 } });

    const lookalike = typedCollection(store, 'look', z.object({ value: z.number() }));
    await lookalike.put('k', { value: 5 });
    expect(await store.get('k', { collection: 'look' })).toEqual({ value: { value: 5 } });
    expect(await lookalike.get('k')).toEqual({ value: 5 });

    const union = typedCollection(store, 'union', z.union([z.number(), z.object({ value: z.number() })]));
    await union.put('n', 5);
    await union.put('o', { value: 5 });
    expect(await union.get('n')).toBe(5);
    expect(await union.get('o')).toEqual({ value: 5 });
  });

  test('the schema output (defaults, transforms) is what is stored', async () => {
    const store = memory();
    const schema = z.object({ scope: z.string().default('openid'), name: z.string().trim() });
    const typed = typedCollection(store, 'c', schema);
    await typed.put('k', { name: '  padded  ' });
    expect(await store.get('k', { collection: 'c' })).toEqual({ scope: 'openid', name: 'padded' });
  });

  test('asynchronous schemas work', async () => {
    const schema = z.object({ n: z.number() }).refine(async (v) => v.n > 0, { message: 'must be positive' });
    const typed = typedCollection(memory(), 'c', schema);
    await typed.put('ok', { n: 1 });
    expect(await typed.get('ok')).toEqual({ n: 1 });
    const err = await caught(typed.put('bad', { n: -1 }));
    expect((err as ValidationError).issues).toEqual([{ message: 'must be positive' }]);
  });

  test('TTL: the collection default, per-write override, invalid TTLs refused', async () => {
    const store = new MemoryStore({ clock: () => 1_800_000_000_000, sweepIntervalMs: 0 });
    const codes = typedCollection(store, 'codes', z.object({ c: z.string() }), { ttl: 300 });
    await codes.put('a', { c: 'a' });
    await codes.put('b', { c: 'b' }, { ttl: 60 });
    expect(await codes.ttl('a')).toEqual({ value: { c: 'a' }, ttl: 300 });
    expect(await codes.ttl('b')).toEqual({ value: { c: 'b' }, ttl: 60 });
    await expect(codes.put('c', { c: 'c' }, { ttl: -1 })).rejects.toMatchObject({ code: 'INVALID_TTL' });
    expect(() => typedCollection(store, 'x', z.string(), { ttl: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_TTL' }),
    );
  });

  test('take, putIfAbsent, delete and keys go to the store with the same meaning', async () => {
    const codes = typedCollection(memory(), 'codes', z.object({ c: z.string() }));
    expect(await codes.putIfAbsent('a', { c: 'a' })).toBe(true);
    expect(await codes.putIfAbsent('a', { c: 'other' })).toBe(false);
    await codes.put('b', { c: 'b' });
    expect((await codes.keys()).keys.sort()).toEqual(['a', 'b']);
    const results = await Promise.all(Array.from({ length: 20 }, () => codes.take('a')));
    expect(results.filter((r) => r !== undefined)).toEqual([{ c: 'a' }]);
    expect(await codes.delete('b')).toBe(true);
    expect(await codes.delete('b')).toBe(false);
  });

  test('bad names and bad construction', async () => {
    const store = memory();
    expect(() => typedCollection(store, '', z.string())).toThrow(
      expect.objectContaining({ code: 'INVALID_KEY' }),
    );
    expect(() => typedCollection(store, 'c', {} as never)).toThrow(StoreSetupError);
    expect(() => typedCollection(store, 'c', z.string(), { onInvalid: 'ignore' as never })).toThrow(
      StoreSetupError,
    );
    const typed = typedCollection(store, 'c', z.string());
    await expect(typed.put('', 'x')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(typed.get('')).rejects.toMatchObject({ code: 'INVALID_KEY' });
    // The same error, with the same paths, as every store's putMany.
    await expect(typed.putMany('x' as never)).rejects.toMatchObject({
      code: 'SERIALIZATION_ERROR',
      path: '$',
    });
    await expect(typed.putMany([['a', 'x'], ['b']] as never)).rejects.toMatchObject({
      code: 'SERIALIZATION_ERROR',
      path: 'entries[1]',
    });
    expect(await typed.get('a')).toBeUndefined();
  });

  test('an output JSON cannot hold is a SerializationError from the store', async () => {
    const typed = typedCollection(memory(), 'c', z.object({ at: z.date() }));
    await expect(typed.put('k', { at: new Date(0) })).rejects.toMatchObject({ code: 'SERIALIZATION_ERROR' });
  });
});
