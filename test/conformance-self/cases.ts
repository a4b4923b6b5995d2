/**
 * The broken stores the suite must catch, each with the clauses it breaks (the child run registers
 * only their tests, to keep it short), the tests that must fail, and words the failure message must
 * hold. Read by the *.suite.ts files (the child vitest run) and by test/conformance-self.test.ts.
 */
import type { ClauseId, ConformanceOptions, OAuthClauseId } from '../../src/conformance/core.js';
import type { AsyncKeyValue } from '../../src/contract.js';
import { KeyvStore } from '../../src/stores/keyv/index.js';
import { MemoryStore } from '../../src/stores/memory.js';
import * as raw from './broken-raw.js';
import * as names from './broken-raw-names.js';
import * as base from './broken-stores.js';
import { type Backing, RawStore } from './raw-store.js';

export interface BrokenCase {
  /** The describe name (the class name, or what is misconfigured). */
  name: string;
  /** `raw`: written on the raw contract; `base`: on BaseStore; `memory`: a MemoryStore subclass; `config`: a correct store, a wrong option. */
  kind: 'raw' | 'base' | 'memory' | 'config';
  options: ConformanceOptions & { only: ClauseId[] };
  /** Titles of the tests that must fail. */
  fails: string[];
  /** Words the failure message of the first of `fails` must contain. */
  message?: string;
}

export const T = {
  get: 'get of a missing key is undefined',
  put: 'put then get returns an equal value; put overwrites',
  empty: 'an empty object is a value, not a miss',
  delete: 'delete returns true for an existing entry and false for a missing one',
  defaultCollection: 'omitting the collection means "default_collection"',
  getMany: 'getMany returns values in key order, with duplicates and undefined for missing keys',
  putMany: 'putMany writes every entry, a later duplicate wins, and an empty batch is a no-op',
  putManyTtl: 'putMany applies one TTL to the batch',
  deleteMany: 'deleteMany counts each existing entry once and ignores missing keys',
  ttlMany: 'ttlMany returns results in key order',
  bulk: "bulk calls of 1100 keys (above a backend's batch size) keep order, TTLs and counts",
  copy: 'mutating the object passed to put, or returned by a read, never changes what is stored',
  readOnce: 'every member is read once: what is stored is what was validated',
  numberOptions:
    'options that are a number (a TTL meant as options) → ValidationError from every operation, nothing written',
  keysOptions: 'keys() options of the wrong shape → ValidationError naming the option',
  anyKey: 'any Unicode key round-trips, including URL-shaped, path-like and 1,000-character keys',
  alias: 'no two different (collection, key) pairs alias',
  normalization: 'names that differ only in Unicode normalization form are different entries',
  nul: 'a name holding a NUL character is its own entry (not cut at the NUL, not its look-alikes)',
  large: 'a large value (1 MiB) round-trips',
  remaining: 'ttl() reports the remaining seconds of the stored expiry; fractions are accepted',
  countdown: 'ttl() and ttlMany() count down as time passes',
  clearTtl: 'a put without TTL clears an earlier expiry',
  maxTtl: 'the largest TTL (MAX_TTL_SECONDS, 3155760000 s) is accepted',
  subsecond: 'a sub-second TTL (0.6 s) expires on time',
  expired: 'an expired entry is invisible to every read and counts as absent',
  cull: 'cull() deletes expired entries and returns how many',
  take: 'take is exactly-once under 50 concurrent callers per key across two store instances',
  putIfAbsentRace:
    'putIfAbsent is exactly-once under 50 concurrent callers per key across two store instances',
  survives: 'entries survive close() and a new store on the same backing',
  live: 'a second live instance sees writes and deletes at once',
  keys: 'keys() pages through a collection without duplicates or omissions',
  prefix:
    'collections whose names share a prefix stay apart in keys(), destroyCollection() and collections()',
  forgets: 'collections() forgets a collection once its last entry is deleted, taken or expired',
  closed: 'after close() every operation is refused with StoreClosedError',
  timers: 'close() stops every interval timer the store started',
  model: 'random operation sequences agree with a reference model (fixed seed)',
  messages: 'error messages never contain the value',
  badKeyNumber: 'a key that is a number → InvalidKeyError from every operation',
  badKeyEmpty: 'a key that is an empty string → InvalidKeyError from every operation',
  badKeySurrogate: 'a key that is a lone surrogate → InvalidKeyError from every operation',
  nullCollection: 'a collection that is null → InvalidKeyError',
  undefinedMember: 'a value with an undefined member → SerializationError naming the path',
  date: 'a value with a Date → SerializationError naming the path',
  nan: 'a value with NaN → SerializationError naming the path',
  ttlZero: 'a TTL that is 0 → InvalidTTLError',
  ttlString: 'a TTL that is a string → InvalidTTLError',
  oauthAtomic: 'the store announces atomic take and putIfAbsent (capabilities.atomic)',
  codeOnce: 'an authorization code is redeemed exactly once by concurrent exchanges on two instances',
  refreshOnce: 'a refresh token rotates exactly once under concurrent refreshes on two instances',
  revocation: 'revoking a token or a grant on one instance is seen at once on the other',
  codeExpiry: 'an authorization code is valid until its TTL and gone after it, on every instance',
} as const;

type Ctor = new (backing?: Backing) => AsyncKeyValue;
const rawCase = (store: Ctor, only: ClauseId[], fails: string[], message?: string): BrokenCase => ({
  name: store.name,
  kind: 'raw',
  options: { createStore: () => new store(), only },
  fails,
  message,
});
/** Instances over one backing: a persistent, shared store. */
const sharedRawCase = (store: Ctor, only: ClauseId[], fails: string[], message?: string): BrokenCase => {
  const backing: Backing = new Map();
  return {
    name: store.name,
    kind: 'raw',
    options: { createStore: () => new store(backing), persistent: true, only },
    fails,
    message,
  };
};

export const CASES: BrokenCase[] = [
  // single operations
  rawCase(raw.DeleteAlwaysTrue, ['op.delete'], [T.delete, T.model]),
  rawCase(raw.EmptyObjectIsMissing, ['value.json'], [T.empty]),
  rawCase(raw.WrongDefaultCollection, ['collection.default'], [T.defaultCollection]),
  rawCase(raw.PutKeepsOldExpiry, ['op.put'], [T.clearTtl]),
  // bulk operations
  rawCase(raw.GetManyCompacts, ['op.getMany'], [T.getMany, T.model]),
  rawCase(raw.GetManySharesDuplicates, ['op.getMany'], [T.getMany]),
  rawCase(raw.PutManyFirstWins, ['op.putMany'], [T.putMany]),
  rawCase(raw.PutManyIgnoresTtl, ['op.putMany'], [T.putManyTtl]),
  rawCase(raw.PutManyPartial, ['value.nothing-written'], [T.nan]),
  rawCase(raw.DeleteManyCountsKeys, ['op.deleteMany'], [T.deleteMany, T.model]),
  rawCase(raw.DeleteManyCountsDuplicates, ['op.deleteMany'], [T.deleteMany]),
  rawCase(raw.TtlManySorted, ['op.ttlMany'], [T.ttlMany]),
  rawCase(raw.BulkFirstBatchOnly, ['op.bulk-size'], [T.bulk]),
  rawCase(raw.BulkDeleteLastBatchCount, ['op.bulk-size'], [T.bulk]),
  // time to live
  rawCase(raw.TtlReportsOriginal, ['ttl.remaining'], [T.countdown]),
  rawCase(raw.TtlInMilliseconds, ['ttl.remaining'], [T.remaining]),
  rawCase(raw.TtlTakenAsMilliseconds, ['ttl.remaining'], [T.remaining]),
  rawCase(raw.TtlRoundedUp, ['ttl.subsecond'], [T.subsecond], 'rounded up'),
  rawCase(raw.ExpiryOnlyInGet, ['ttl.expiry'], [T.expired], 'raise ttlSlack'),
  rawCase(raw.DeleteCountsExpired, ['ttl.expiry'], [T.expired], 'delete of an expired entry'),
  rawCase(raw.PutIfAbsentBlockedByExpired, ['ttl.expiry'], [T.expired], 'putIfAbsent over an expired entry'),
  rawCase(raw.MaxTtlRefused, ['ttl.range'], [T.maxTtl]),
  rawCase(raw.ZeroTtlMeansForever, ['ttl.refused'], [T.ttlZero]),
  rawCase(raw.TtlStringCoerced, ['ttl.refused'], [T.ttlString]),
  rawCase(raw.CullCountsAll, ['cap.cull'], [T.cull]),
  rawCase(raw.KeysListsExpired, ['ttl.expiry'], [T.expired], 'keys() lists only live entries'),
  // names
  rawCase(names.JoinsNamesWithSlash, ['names.distinct'], [T.alias]),
  rawCase(names.NormalizesNames, ['names.distinct'], [T.normalization]),
  rawCase(names.CutsNamesAtNul, ['names.nul'], [T.nul]),
  rawCase(names.CaseInsensitiveKeys, ['names.any'], [T.anyKey]),
  rawCase(names.KeysByPrefix, ['cap.keys'], [T.prefix]),
  rawCase(names.DestroysByPrefix, ['cap.destroyCollection'], [T.prefix]),
  // input
  rawCase(names.NumberOptionsAsTtl, ['options.shape'], [T.numberOptions]),
  rawCase(names.NullCollectionIsDefault, ['collection.null'], [T.nullCollection]),
  rawCase(names.AcceptsLoneSurrogates, ['names.valid'], [T.badKeySurrogate]),
  rawCase(names.AcceptsEmptyKey, ['names.valid'], [T.badKeyEmpty]),
  rawCase(names.UncheckedJson, ['value.refused'], [T.undefinedMember, T.date]),
  rawCase(names.ReadsValueTwice, ['value.read-once'], [T.readOnce]),
  rawCase(names.PutIfAbsentChecksLate, ['value.refused'], [T.nan], 'putIfAbsent over an existing entry'),
  rawCase(names.MessageQuotesValue, ['errors.messages'], [T.messages]),
  rawCase(names.TtlRefusalSaysNothingFound, ['errors.found'], [T.ttlZero], 'must say what was found'),
  rawCase(names.ThrowsPlainObjects, ['errors.code'], [T.badKeyNumber], 'must be an Error'),
  rawCase(names.RetryableRefusal, ['errors.code'], [T.badKeyNumber], 'retryable'),
  rawCase(names.SmallValueLimit, ['value.json'], [T.large], 'largeValueBytes'),
  // copies, capabilities, close, atomicity
  rawCase(names.KeepsCallerObjects, ['value.copies'], [T.copy]),
  rawCase(names.CollectionsKeepsEmptied, ['cap.collections'], [T.forgets]),
  rawCase(names.KeysIgnoresLimit, ['cap.keys'], [T.keys]),
  rawCase(names.KeysCursorInclusive, ['cap.keys'], [T.keys]),
  rawCase(names.KeysAcceptsAnyLimit, ['keys.options'], [T.keysOptions]),
  rawCase(
    names.SilentUnsupported,
    ['cap.not-supported'],
    [T.keys],
    'without capabilities.keys should have been refused',
  ),
  rawCase(names.CloseIgnored, ['op.close'], [T.closed]),
  rawCase(names.CloseLeavesTimer, ['op.close-timers'], [T.timers], 'interval timer'),
  sharedRawCase(names.RawNonAtomicTake, ['cap.atomic'], [T.take], 'not atomic'),
  sharedRawCase(names.RawNonAtomicPutIfAbsent, ['cap.atomic'], [T.putIfAbsentRace], 'not atomic'),
  // on BaseStore and MemoryStore (the first five of the suite's history)
  {
    name: 'AliasingStore',
    kind: 'base',
    options: { createStore: () => new base.AliasingStore(), only: ['names.distinct'] },
    fails: [T.alias],
  },
  {
    name: 'SharesReferencesStore',
    kind: 'base',
    options: { createStore: () => new base.SharesReferencesStore(), only: ['value.copies'] },
    fails: [T.copy],
  },
  {
    name: 'AlwaysTrueDeleteStore',
    kind: 'memory',
    options: { createStore: () => new base.AlwaysTrueDeleteStore(), only: ['op.delete'] },
    fails: [T.delete, T.model],
  },
  {
    name: 'IgnoresTtlStore',
    kind: 'memory',
    options: { createStore: () => new base.IgnoresTtlStore(), only: ['ttl.expiry', 'ttl.remaining'] },
    fails: [T.expired, T.remaining],
  },
  {
    name: 'NonAtomicTakeStore',
    kind: 'memory',
    options: { createStore: () => new base.NonAtomicTakeStore(), only: ['cap.atomic'] },
    fails: [T.take],
    message: 'not atomic',
  },
  // a correct store, a wrong option: the failure names the option
  {
    name: 'MemoryStore with persistent: true',
    kind: 'config',
    options: { createStore: () => new MemoryStore(), persistent: true, only: ['backing.persistent'] },
    fails: [T.survives],
    message: 'set persistent: false',
  },
  {
    name: 'MemoryStore with sharedBacking: true',
    kind: 'config',
    options: { createStore: () => new MemoryStore(), sharedBacking: true, only: ['cap.atomic'] },
    fails: [T.take, T.putIfAbsentRace],
    message: 'set sharedBacking: false',
  },
];

/** The store written on the raw contract, over one backing: it must pass everything. */
export const REFERENCE: ConformanceOptions = (() => {
  const backing: Backing = new Map();
  return { createStore: () => new RawStore(backing), persistent: true };
})();

export interface OAuthCase {
  name: string;
  options: { createStore: () => AsyncKeyValue; sharedBacking?: boolean; only?: OAuthClauseId[] };
  fails: string[];
  message?: string;
}

const oauthShared = (store: Ctor) => {
  const backing: Backing = new Map();
  return () => new store(backing);
};

export const OAUTH_CASES: OAuthCase[] = [
  { name: 'RawStore (reference)', options: { createStore: oauthShared(RawStore) }, fails: [] },
  {
    name: 'RawNonAtomicTake',
    options: {
      createStore: oauthShared(names.RawNonAtomicTake),
      only: ['oauth.code-once', 'oauth.refresh-once'],
    },
    fails: [T.codeOnce, T.refreshOnce],
    message: 'not atomic across instances',
  },
  {
    name: 'NonAtomicTakeStore',
    options: {
      createStore: () => new base.NonAtomicTakeStore(),
      sharedBacking: false,
      only: ['oauth.code-once'],
    },
    fails: [T.codeOnce],
    message: 'not atomic',
  },
  {
    name: 'KeyvStore over a Map',
    options: { createStore: () => new KeyvStore(new Map()), sharedBacking: false, only: ['oauth.atomic'] },
    fails: [T.oauthAtomic],
    message: 'capabilities.atomic is false',
  },
  {
    name: 'StaleReadCache',
    options: { createStore: oauthShared(names.StaleReadCache), only: ['oauth.revocation'] },
    fails: [T.revocation],
  },
  // A store that ignores TTLs passes this one: OAuthStateStore checks each code's own expiry too.
  {
    name: 'TtlTakenAsMilliseconds',
    options: { createStore: oauthShared(raw.TtlTakenAsMilliseconds), only: ['oauth.code-expiry'] },
    fails: [T.codeExpiry],
    message: 'read 0.5 s later',
  },
];
