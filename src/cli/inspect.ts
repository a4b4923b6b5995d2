/**
 * The short commands: `keygen`, `collections`, `keys`, `get`, `delete` and `cull`.
 * @module
 */
import { generateFernetKey } from '../crypto/keys.js';
import {
  CliError,
  isEncryptedForm,
  keysOf,
  open,
  output,
  redact,
  requireCollection,
  type StoreFlags,
  ttlText,
  urlOf,
  withStore,
} from './common.js';
import { census, DEFAULT_PAGE_SIZE, positiveInt, requireListing } from './walk.js';

/** `keygen`: a new Fernet key. */
export function keygen(flags: StoreFlags): void {
  const key = generateFernetKey();
  output(flags, { key }, key);
}

/** `collections URL`: the collections that hold entries (with `--count`, how many each). */
export async function collections(
  url: string | undefined,
  flags: StoreFlags & { count?: boolean },
): Promise<void> {
  await withStore(await open(urlOf(url), []), async ({ raw }) => {
    requireListing(raw, 'collections');
    const names = (await raw.collections()).sort();
    if (!flags.count) {
      output(flags, names, names);
      return;
    }
    const rows = [];
    for (const name of names) rows.push({ collection: name, entries: (await census(raw, name, 1000)).count });
    output(
      flags,
      rows,
      rows.map((r) => `${r.collection}\t${r.entries}`),
    );
  });
}

/** `keys URL COLLECTION`: the keys of a collection (at most `--limit`). */
export async function keys(
  url: string | undefined,
  collection: string,
  flags: StoreFlags & { limit?: string },
): Promise<void> {
  const limit = positiveInt(flags.limit, '--limit', 1000);
  await withStore(await open(urlOf(url), []), async ({ raw }) => {
    requireListing(raw, 'keys');
    await requireCollection(raw, collection);
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await raw.keys(collection, {
        limit: Math.min(limit - out.length, DEFAULT_PAGE_SIZE * 5),
        cursor,
      });
      out.push(...page.keys);
      cursor = page.cursor;
    } while (cursor !== undefined && out.length < limit);
    output(flags, { collection, keys: out, more: cursor !== undefined }, out);
  });
}

/** `get URL COLLECTION KEY`: one entry, decrypted with the keys given, secrets redacted. */
export async function get(
  url: string | undefined,
  collection: string,
  key: string,
  flags: StoreFlags,
): Promise<void> {
  const keys = keysOf(flags);
  await withStore(await open(urlOf(url), keys), async ({ store, raw }) => {
    const stored = await raw.ttl(key, { collection });
    if (stored.value === undefined) {
      await requireCollection(raw, collection);
      throw new CliError(`no entry ${JSON.stringify(key)} in collection ${JSON.stringify(collection)}`);
    }
    let value = stored.value;
    let encrypted = isEncryptedForm(stored.value);
    if (encrypted && keys.length > 0) {
      const opened = await store.ttl(key, { collection });
      if (opened.value === undefined)
        throw new CliError('the entry expired or was deleted while it was read');
      value = opened.value;
      encrypted = false;
    }
    const shownValue = flags.reveal ? value : redact(value);
    const result = {
      collection,
      key,
      ttl: stored.ttl ?? null,
      encrypted,
      ...(encrypted ? { note: 'encrypted: pass --key or set OAUTH_KV_KEY to read it' } : {}),
      value: shownValue,
    };
    output(flags, result, [
      `collection: ${collection}`,
      `key: ${key}`,
      `ttl: ${ttlText(stored.ttl)}`,
      ...(encrypted ? ['encrypted: pass --key or set OAUTH_KV_KEY to read it'] : []),
      JSON.stringify(shownValue, null, 2),
    ]);
  });
}

/** `delete URL COLLECTION KEY...`: deletes entries; fails when none of them existed. */
export async function remove(
  url: string | undefined,
  collection: string,
  list: string[],
  flags: StoreFlags,
): Promise<void> {
  await withStore(await open(urlOf(url), []), async ({ raw }) => {
    const deleted = await raw.deleteMany(list, { collection });
    if (deleted === 0) {
      await requireCollection(raw, collection);
      throw new CliError(
        `none of the ${list.length} key(s) exist in collection ${JSON.stringify(collection)}`,
      );
    }
    output(
      flags,
      { collection, deleted, requested: new Set(list).size },
      `deleted ${deleted} of ${new Set(list).size}`,
    );
  });
}

/** `cull URL`: deletes expired entries. */
export async function cull(url: string | undefined, flags: StoreFlags): Promise<void> {
  await withStore(await open(urlOf(url), []), async ({ raw }) => {
    if (!raw.capabilities.cull) throw new CliError('this store cannot cull (it expires entries by itself)');
    const removed = await raw.cull();
    output(flags, { removed }, `removed ${removed} expired entries`);
  });
}
