/**
 * The clauses of the `AsyncKeyValue` contract (docs/contract.md) that the conformance suite
 * checks, by id. Each test of the suite names the clauses it checks; the `skip` and `only`
 * options take these ids. `quotes` are verbatim fragments of docs/contract.md
 * (test/conformance-clauses.test.ts checks that every rule of that page is quoted by a clause).
 * @module
 */

/**
 * One clause: what it says, and where docs/contract.md says it.
 *
 * @example
 * ```ts
 * import { CONFORMANCE_CLAUSES, type Clause } from 'oauth-kv/conformance/core';
 * const clause: Clause = CONFORMANCE_CLAUSES['ttl.expiry'];
 * ```
 */
export interface Clause {
  /** What the clause requires, in one line. */
  readonly summary: string;
  /** Verbatim fragments of docs/contract.md this clause stands for. */
  readonly quotes: readonly string[];
  /**
   * Set for a clause no test of a store can check (it is about a wrapper, a driver error or a
   * corrupt backend): where the project's own tests check it instead, `file › test title`.
   */
  readonly elsewhere?: readonly string[];
}

/**
 * Every clause, by id. Ids are stable: use them in `skip` and `only`.
 *
 * @example
 * ```ts
 * import { CONFORMANCE_CLAUSES } from 'oauth-kv/conformance/core';
 * console.log(CONFORMANCE_CLAUSES['ttl.subsecond'].summary); // what the clause requires
 * ```
 */
export const CONFORMANCE_CLAUSES = {
  'names.valid': {
    summary: 'keys and collections are non-empty, well-formed strings; anything else is InvalidKeyError',
    quotes: ['a lone UTF-16 surrogate is refused', '`InvalidKeyError` | `INVALID_KEY`'],
  },
  'names.any': {
    summary: 'any other string is a name: URL-shaped, path-like, separators, emoji, 1,000 characters, case',
    quotes: ['Any other string works'],
  },
  'names.distinct': {
    summary: 'no two (collection, key) pairs share an entry: separators, prefixes, case, Unicode forms',
    quotes: ['no two pairs ever share a stored entry'],
  },
  'names.nul': {
    summary: 'a name holding U+0000 is a name like any other, kept whole',
    quotes: ['Any other string works'],
  },
  'collection.default': {
    summary: 'no collection means "default_collection"',
    quotes: ['No collection given means `"default_collection"`'],
  },
  'collection.null': {
    summary: 'a null collection is refused, not taken as the default',
    quotes: ['`null` is not "no collection": it is refused'],
  },
  'value.json': {
    summary: 'any plain JSON object round-trips: nested, empty, large, Unicode',
    quotes: ['A value is a plain JSON object'],
  },
  'value.refused': {
    summary: 'what a JSON round trip would change is SerializationError with the path, from every write',
    quotes: [
      'Whatever a JSON round trip would change is refused',
      'Nesting deeper than the',
      '`SerializationError` | `SERIALIZATION_ERROR`',
    ],
  },
  'value.nothing-written': {
    summary: 'a refused write writes nothing and keeps what was stored',
    quotes: ['Nothing is written when a value is refused'],
  },
  'value.read-once': {
    summary: 'a value is read once: a getter answering differently later cannot change what is stored',
    quotes: ['A value is read once'],
  },
  'value.copies': {
    summary: 'reads return fresh objects; mutating a value after put or a read never changes the store',
    quotes: ['Reads return fresh objects'],
  },
  'options.shape': {
    summary: 'an options argument that is not an object is ValidationError naming `options`',
    quotes: ['The options argument is an object or absent', '`ValidationError` | `VALIDATION_ERROR`'],
  },
  'keys.options': {
    summary: 'keys() options: limit a positive integer, cursor a string, else ValidationError naming it',
    quotes: ['The options of `keys()` follow the same rule'],
  },
  'op.get': { summary: 'get returns the value or undefined', quotes: ['`get(key, {collection})`'] },
  'op.getMany': {
    summary: 'getMany returns values in key order, duplicates allowed, undefined for missing',
    quotes: ['`getMany(keys, {collection})`'],
  },
  'op.ttl': {
    summary: 'ttl returns { value, ttl }, ttl the remaining seconds, undefined without expiry',
    quotes: ['`ttl(key, {collection})`'],
  },
  'op.ttlMany': {
    summary: 'ttlMany does the same for many keys, in order',
    quotes: ['`ttlMany(keys, {collection})`'],
  },
  'op.put': {
    summary: 'put replaces what was there, expiry included',
    quotes: ['`put(key, value, {collection, ttl})`'],
  },
  'op.putMany': {
    summary: 'putMany: one TTL for the batch, a later duplicate wins, [] is a no-op',
    quotes: ['`putMany(entries, {collection, ttl})`'],
  },
  'op.delete': {
    summary: 'delete answers true only when a live entry existed',
    quotes: ['`delete(key, {collection})`'],
  },
  'op.deleteMany': {
    summary: 'deleteMany counts live entries deleted, each key once',
    quotes: ['`deleteMany(keys, {collection})`'],
  },
  'op.take': {
    summary: 'take is an atomic get-and-delete: one of any number of concurrent callers gets the value',
    quotes: ['`take(key, {collection})`'],
  },
  'op.putIfAbsent': {
    summary: 'putIfAbsent writes only when no live entry exists, atomically; true when written',
    quotes: ['`putIfAbsent(key, value, {collection, ttl})`'],
  },
  'op.close': {
    summary: 'after close() every operation, ping() included, is StoreClosedError; close() twice is fine',
    quotes: [
      '`close()` | releases what the store created',
      '`StoreClosedError` | `STORE_CLOSED`',
      '`StoreClosedError` after `close()`',
    ],
  },
  'op.close-timers': {
    summary: 'close() stops every interval timer the store started',
    quotes: ['`close()` | releases what the store created'],
  },
  'op.ping': {
    summary:
      'ping() is part of every store and resolves while it is open (StoreClosedError after close(): op.close)',
    quotes: ['`ping()` is part of the contract, not an optional capability'],
  },
  'op.ping-backends': {
    summary:
      "each bundled store's ping() makes its one cheap round trip; BaseStore reads a key never written",
    quotes: [
      '| `MemoryStore` | nothing to reach',
      '| `FileStore` | sets up and checks the directory once',
      '| `PostgresStore` | `SELECT 1 FROM <table> LIMIT 0`',
      '| `RedisStore` | one `PING`',
      "| `FirestoreStore`, `KeyvStore` | `BaseStore`'s default",
      'A backend built on `BaseStore` gets that default',
    ],
    elsewhere: [
      'test/ping.test.ts › PostgresStore: needs the table; an unreachable server is a StoreConnectionError',
      'test/ping.test.ts › RedisStore: one PING command',
      'test/ping.test.ts › FirestoreStore (one document read) and KeyvStore (one keyv.get)',
    ],
  },
  'op.ping-wrappers': {
    summary: 'every wrapper forwards ping() unchanged to the store it wraps',
    quotes: ['Every wrapper forwards `ping()` to the store it wraps'],
    elsewhere: [
      'test/ping.test.ts › through every wrapper, to the store at the bottom',
      'test/ping.test.ts › a backend that is down fails the wrapped ping too',
    ],
  },
  'op.bulk-size': {
    summary: 'bulk calls larger than a backend batch (1,100 keys) keep order, counts and TTLs',
    quotes: ['values in key order; duplicates allowed'],
  },
  'cap.not-supported': {
    summary: 'an optional capability not announced rejects with NotSupportedError',
    quotes: [
      'Calling one the store does not announce rejects with `NotSupportedError`',
      '`NotSupportedError` | `NOT_SUPPORTED`',
    ],
  },
  'cap.keys': {
    summary: 'keys() pages through live keys of exactly one collection, each once',
    quotes: ['`keys(collection, {limit, cursor})`: one page of keys'],
  },
  'cap.collections': {
    summary: 'collections() lists collections holding live entries, and forgets emptied ones',
    quotes: ['`collections()`: collections that hold entries'],
  },
  'cap.destroyCollection': {
    summary:
      'destroyCollection() deletes one collection (not one sharing its prefix); true if it held entries',
    quotes: ['`destroyCollection(collection)`: deletes one collection'],
  },
  'cap.cull': {
    summary: 'cull() deletes expired entries and returns how many',
    quotes: ['`cull()`: deletes expired entries and returns how many', 'so storage does not grow'],
  },
  'cap.atomic': {
    summary: 'with capabilities.atomic, take and putIfAbsent are exactly-once across store instances',
    quotes: ['`capabilities.atomic`: `take`/`putIfAbsent` are atomic across processes and instances'],
  },
  'cap.increment': {
    summary:
      'with capabilities.increment, increment() creates { count: by } with its ttl, adds to it and keeps that expiry',
    quotes: ['`increment(key, by = 1, {collection, ttl})` (`capabilities.increment`): an atomic counter'],
  },
  'cap.increment-refused': {
    summary:
      'increment() of a live value that is not a counter, or by a non-integer, is ValidationError; nothing changes',
    quotes: ['A live value that is not a counter is a `ValidationError` and stays as it is'],
  },
  'cap.increment-atomic': {
    summary: 'increment() counts exactly under concurrent callers on two store instances',
    quotes: ['Atomic in MemoryStore (one synchronous step)'],
  },
  'cap.increment-wrappers': {
    summary:
      'a wrapper forwards increment() only when it implements it (with its own rule: TTL policy, cache invalidation, no blind retry, fallback only with atomic); encryption announces increment: false',
    quotes: ['a wrapper forwards it only when it implements it'],
    elsewhere: [
      'test/increment.test.ts › a wrapper that does not implement increment masks the capability; one that does forwards it',
      'test/increment.test.ts › an encryption wrapper announces no increment and has no method that would bypass it',
      'test/increment.test.ts › a namespace forwards increment under its own names',
      'test/wrappers-increment.test.ts › retry: an increment whose reply was lost is not retried (it would count twice) unless opted in',
      'test/wrappers-increment.test.ts › cache: an increment invalidates the cached counter, so the next get reads the new count',
      'test/wrappers-increment.test.ts › read-only: increment is refused in both modes and writes nothing',
    ],
  },
  'no-flush': {
    summary: 'no operation empties what others keep in the same database',
    quotes: ['No operation ever empties a database shared with others'],
  },
  'ttl.range': {
    summary: 'a TTL is seconds above 0 up to MAX_TTL_SECONDS (accepted), fractions included',
    quotes: ['`ttl` is in seconds: a finite number above 0 and at most 100 years'],
  },
  'ttl.subsecond': {
    summary: 'a sub-second TTL expires on time, neither rounded up to a second nor dropped',
    quotes: ['fractions allowed'],
  },
  'ttl.refused': {
    summary: 'bad TTLs are InvalidTTLError from every write, nothing written',
    quotes: ['are refused with `InvalidTTLError`', '`InvalidTTLError` | `INVALID_TTL`'],
  },
  'ttl.expiry': {
    summary: 'from created + ttl on, an entry is invisible to every read and counts as absent',
    quotes: ['An entry expires at `created + ttl`'],
  },
  'ttl.remaining': {
    summary: 'ttl() reports the remaining seconds, shrinking as time passes',
    quotes: ['`ttl` in remaining seconds'],
  },
  'errors.code': {
    summary: 'every refusal is an Error with a stable code, never retryable',
    quotes: [
      'Every error is an `OAuthKVError` with a stable `code`',
      '`err.retryable` is `true` exactly for',
    ],
  },
  'errors.messages': {
    summary: 'error messages never contain a stored value',
    quotes: ['Messages never contain a stored value'],
  },
  'errors.found': {
    summary:
      "a refusal's message says what was found: the type of a bad name, TTL or options argument, the number given, or what JSON cannot hold",
    quotes: ["A refusal's message says what was expected and what was found"],
  },
  'errors.backend': {
    summary:
      'driver failures map to StoreConnectionError, StoreTimeoutError, StoreSetupError, StoreOperationError',
    quotes: [
      '`StoreConnectionError` | `STORE_CONNECTION`',
      '`StoreTimeoutError` | `STORE_TIMEOUT`',
      '`StoreSetupError` | `STORE_SETUP`',
      '`StoreOperationError` | `STORE_OPERATION`',
      'A backend never turns an error it does not recognise into a retryable',
      "Each backend's table of driver errors",
    ],
    elsewhere: [
      'test/postgres-errors.test.ts › a deadlock with another session (40P01) → StoreConnectionError (retryable)',
      'test/redis-errors.test.ts › out of memory (OOM) → StoreOperationError, not retried',
      'test/redis-errors.test.ts › wrong or missing password (WRONGPASS, NOAUTH) → StoreSetupError at once, not a retryable timeout',
    ],
  },
  'errors.deserialization': {
    summary: 'a stored document that cannot be read is DeserializationError',
    quotes: ['`DeserializationError` | `DESERIALIZATION_ERROR`'],
    elsewhere: [
      'test/python-nan-getmany.test.ts › get and ttl of an unreadable entry throw DeserializationError naming the path',
    ],
  },
  'errors.wrappers': {
    summary: 'read-only, size-limit and encryption wrappers refuse with their own errors',
    quotes: [
      '`ReadOnlyError` | `READ_ONLY`',
      '`ValueTooLargeError` | `VALUE_TOO_LARGE`',
      '`EncryptionError` / `DecryptionError`',
    ],
    elsewhere: [
      "test/wrappers-read-only.test.ts › 'throw' mode (default): every write throws ReadOnlyError and changes nothing",
      'test/wrappers-size-limit.test.ts › a value at the limit is stored; one byte over is ValueTooLargeError and nothing is written',
      'test/encryption.test.ts › a ciphertext copied to another key or collection fails to decrypt',
    ],
  },
  'backing.persistent': {
    summary: 'with persistent: true, entries survive close() and are read by the next store',
    quotes: [],
  },
  'backing.shared': {
    summary: 'with sharedBacking: true, two live stores see each other at once',
    quotes: [],
  },
} as const satisfies Record<string, Clause>;

/**
 * The id of a clause of {@link CONFORMANCE_CLAUSES}.
 *
 * @example
 * ```ts
 * const id: ClauseId = 'ttl.subsecond';
 * ```
 */
export type ClauseId = keyof typeof CONFORMANCE_CLAUSES;

/**
 * The clauses of the OAuth certification, by id (for `skip` and `only`).
 *
 * @example
 * ```ts
 * import { OAUTH_CONFORMANCE_CLAUSES } from 'oauth-kv/conformance/core';
 * console.log(Object.keys(OAUTH_CONFORMANCE_CLAUSES));
 * ```
 */
export const OAUTH_CONFORMANCE_CLAUSES = {
  'oauth.atomic': {
    summary: 'the store announces atomic take/putIfAbsent (OAuthStateStore refuses it otherwise)',
    quotes: ['do not keep single-use authorization codes in them'],
  },
  'oauth.code-once': {
    summary: 'an authorization code is redeemed exactly once by concurrent exchanges on two instances',
    quotes: [],
  },
  'oauth.refresh-once': {
    summary: 'a refresh token rotates exactly once under concurrent refreshes on two instances',
    quotes: [],
  },
  'oauth.revocation': {
    summary: 'revoking a token or a grant on one instance is seen at once on the other',
    quotes: [],
  },
  'oauth.code-expiry': {
    summary: 'an authorization code is valid until its TTL and gone after it, on every instance',
    quotes: [],
  },
  'oauth.moved-refused': {
    summary:
      'with encryption, an OAuth record moved to another key or collection is refused (RecordBindingError)',
    quotes: ['`RecordBindingError` | `RECORD_BINDING`'],
  },
} as const;

/**
 * The id of a clause of {@link OAUTH_CONFORMANCE_CLAUSES}.
 *
 * @example
 * ```ts
 * const id: OAuthClauseId = 'oauth.code-once';
 * ```
 */
export type OAuthClauseId = keyof typeof OAUTH_CONFORMANCE_CLAUSES;

/** Throws a clear error for ids that name no clause (a typo in `skip` or `only`). */
export function checkClauseIds(ids: Iterable<string>, option: string, known: readonly string[]): void {
  for (const id of ids) {
    if (!known.includes(id)) {
      throw new TypeError(
        `Unknown clause id ${JSON.stringify(id)} in ${option}; known ids: ${known.join(', ')}`,
      );
    }
  }
}
