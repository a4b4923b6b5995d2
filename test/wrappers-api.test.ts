/**
 * One way to do each thing: the root exports `withX` factories (plus `compose`/`layer`) to wrap a
 * store and `new Fernet(key | keys)` to build a key set; the wrapper classes are types only.
 */
import { describe, expect, test } from 'vitest';
import * as root from '../src/index.js';

describe('the public API offers one way to wrap a store and one way to build a key set', () => {
  test('wrappers are built by their factories; the classes are not exported as values', () => {
    for (const factory of [
      'withCache',
      'withEncryption',
      'withFallback',
      'withNamespace',
      'withReadOnly',
      'withRetry',
      'withSizeLimit',
      'withStatistics',
      'withTimeout',
      'withTtlPolicy',
      'typedCollection',
      'compose',
      'layer',
      'reencrypt',
    ]) {
      expect(typeof (root as Record<string, unknown>)[factory], factory).toBe('function');
    }
    for (const dropped of [
      'CacheWrapper',
      'EncryptionWrapper',
      'FallbackWrapper',
      'NamespaceWrapper',
      'ReadOnlyWrapper',
      'RetryWrapper',
      'SizeLimitWrapper',
      'StatisticsWrapper',
      'TimeoutWrapper',
      'TtlPolicyWrapper',
      'TypedCollection',
      'MultiFernet',
    ]) {
      expect(dropped in root, dropped).toBe(false);
    }
    // The bases for writing your own wrapper stay.
    expect(typeof root.WrapperStore).toBe('function');
    expect(typeof root.InterceptingWrapper).toBe('function');
  });

  test('a key set is new Fernet(key) or new Fernet([newest, ..., oldest]); no aliases', () => {
    expect('keys' in root.Fernet).toBe(false);
    expect('generateKey' in root.Fernet).toBe(false);
    const [a, b] = [root.generateFernetKey(), root.generateFernetKey()];
    const token = new root.Fernet(b).encrypt('x');
    expect(new root.Fernet([a, b]).decryptText(token)).toBe('x');
  });

  test('reencrypt is a function of the store withEncryption returned, not a method', async () => {
    const store = root.withEncryption(new root.MemoryStore(), { keys: root.generateFernetKey() });
    expect('reencrypt' in store).toBe(false);
    expect(await root.reencrypt(store)).toBe(0);
    await store.close();
  });
});
