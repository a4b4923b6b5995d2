/**
 * The arguments of store operations, validated and normalized once for the wrappers that look at
 * them (namespace, cache, encryption, size limit, TTL policy). Each helper throws exactly what a
 * `BaseStore` would throw for the same bad argument, in the same order (options and collection,
 * then keys, then TTL), so a wrapper that checks early changes no error a caller sees.
 * @module
 */
import { DEFAULT_COLLECTION } from '../contract.js';
import {
  validateCollectionOptions,
  validateEntries,
  validateKeyList,
  validateName,
  validateTtl,
} from '../validation.js';

/** One key of one collection (`get`, `ttl`, `delete`, `take`). */
export interface KeyArgs {
  readonly key: string;
  readonly collection: string;
}

/** One key, its collection and TTL (`put`, `putIfAbsent`). */
export interface WriteArgs extends KeyArgs {
  readonly ttl: number | undefined;
}

/** Several keys of one collection (`getMany`, `ttlMany`, `deleteMany`). */
export interface ManyArgs {
  readonly keys: readonly string[];
  readonly collection: string;
}

/** The pairs of a `putMany`, read once, with their collection and TTL. */
export interface BatchArgs {
  readonly entries: ReadonlyArray<readonly [string, unknown]>;
  readonly collection: string;
  readonly ttl: number | undefined;
}

/** Validates the arguments of `get`, `ttl`, `delete` and `take`. */
export function keyArgs(key: unknown, options: unknown): KeyArgs {
  const collection = validateCollectionOptions(options);
  validateName(key, 'key');
  return { key, collection };
}

/** Validates the arguments of `put` and `putIfAbsent` (not the value). */
export function writeArgs(key: unknown, options: unknown): WriteArgs {
  const collection = validateCollectionOptions(options);
  validateName(key, 'key');
  return { key, collection, ttl: ttlOf(options) };
}

/** Validates the arguments of `getMany`, `ttlMany` and `deleteMany`. */
export function manyArgs(keys: unknown, options: unknown): ManyArgs {
  const collection = validateCollectionOptions(options);
  validateKeyList(keys);
  return { keys, collection };
}

/** Validates the arguments of `putMany` (not the values). */
export function batchArgs(entries: unknown, options: unknown): BatchArgs {
  const collection = validateCollectionOptions(options);
  return { entries: validateEntries(entries), collection, ttl: ttlOf(options) };
}

/**
 * The collection an operation addresses, without throwing: the default when `options` names
 * none, `undefined` when `options` or its collection is malformed (the store will refuse it).
 */
export function peekCollection(options: unknown): string | undefined {
  if (options === undefined) return DEFAULT_COLLECTION;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return undefined;
  const collection: unknown = (options as { collection?: unknown }).collection;
  if (collection === undefined) return DEFAULT_COLLECTION;
  return isName(collection) ? collection : undefined;
}

/** `true` for a name {@link validateName} accepts. */
export function isName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.isWellFormed();
}

/** The TTL of options already checked to be an object or `undefined`. */
function ttlOf(options: unknown): number | undefined {
  const ttl: unknown = (options as { ttl?: unknown } | undefined)?.ttl;
  validateTtl(ttl);
  return ttl;
}
