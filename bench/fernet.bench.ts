/**
 * Fernet speed: our node:crypto Fernet against the `fernet` npm package (crypto-js), and the whole
 * encryption wrapper (validate, serialize, encrypt, store, read, decrypt, parse) over MemoryStore
 * against bare Fernet on the same ~1 KB value.
 * Targets: the npm package at least 10× slower than ours; the wrapper within 3× of bare Fernet.
 * Paired and interleaved (bench/lib.ts comparePaired); instruction counts: bench/callgrind.ts.
 */
import { Fernet } from '../src/crypto/fernet.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withEncryption } from '../src/wrappers/encryption.js';
import { fernetNpm } from '../test/helpers/fernet-npm.js';
import { comparePaired, oneKbValue } from './lib.js';

export default async function run(): Promise<void> {
  const key = generateFernetKey();
  const value = oneKbValue();
  const text = JSON.stringify(value);
  const ours = new Fernet(key);
  const npm = fernetNpm;
  const secret = new npm.Secret(key);
  const store = withEncryption(new MemoryStore({ sweepIntervalMs: 0 }), { keys: [key] });
  const bound = withEncryption(new MemoryStore({ sweepIntervalMs: 0 }), { keys: [key], bindToKey: true });

  // Sanity: each task really round-trips.
  if (ours.decryptText(ours.encrypt(text)) !== text) throw new Error('ours does not round-trip');
  const npmToken = new npm.Token({ secret, ttl: 0 }).encode(text);
  if (new npm.Token({ secret, ttl: 0, token: npmToken }).decode() !== text) {
    throw new Error('fernet npm does not round-trip');
  }

  let sink = 0;
  const oursRoundTrip = () => {
    sink += ours.decryptText(ours.encrypt(text)).length;
  };
  const npmRoundTrip = () => {
    const token = new npm.Token({ secret, ttl: 0 }).encode(text);
    sink += new npm.Token({ secret, ttl: 0, token }).decode().length;
  };
  const wrapperRoundTrip = async () => {
    await store.put('client', value as never, { collection: 'bench' });
    sink += Object.keys((await store.get('client', { collection: 'bench' })) ?? {}).length;
  };
  const boundRoundTrip = async () => {
    await bound.put('client', value as never, { collection: 'bench' });
    sink += Object.keys((await bound.get('client', { collection: 'bench' })) ?? {}).length;
  };
  const oursSide = { name: 'oauth-kv Fernet encrypt+decrypt 1 KB', run: oursRoundTrip };
  const wrapperSide = { name: 'EncryptionWrapper put+get 1 KB (MemoryStore)', run: wrapperRoundTrip };

  await comparePaired('fernet', [
    {
      label: 'fernet npm / oauth-kv Fernet',
      target: '>= 10',
      a: { name: 'fernet npm encrypt+decrypt 1 KB', run: npmRoundTrip },
      b: oursSide,
      iterations: 300,
      batch: 4,
    },
    {
      label: 'wrapper put+get / bare Fernet',
      target: '<= 3',
      a: wrapperSide,
      b: oursSide,
      iterations: 1000,
      batch: 4,
    },
    {
      label: 'bindToKey / plain wrapper',
      a: { name: 'EncryptionWrapper bindToKey put+get 1 KB (MemoryStore)', run: boundRoundTrip },
      b: wrapperSide,
      iterations: 1000,
      batch: 4,
    },
  ]);
  await store.close();
  await bound.close();
  if (sink === 0) throw new Error('benchmark tasks did no work');
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
