/**
 * The entry files of {@link FileStore}: parsing a file into an entry (checking that it holds the
 * document of its own key and collection), and attributing a file met while scanning.
 * @module
 */
import { join } from 'node:path';
import { documentToEntry, isExpired, type StoredEntry } from '../../entry.js';
import { DeserializationError } from '../../errors.js';
import { parseJsonObject } from '../../validation.js';
import { readText } from './io.js';
import { decodeFileName, ENTRY_SUFFIX, encodeFileName } from './names.js';

/** A file met while scanning: whose entry it is and whether it is live. */
export interface Inspected {
  key: string;
  collection: string;
  live: boolean;
}

/** Parses an entry file, checking that it holds the document of `(collection, key)`. */
export function parseEntry(text: string, collection: string, key: string): StoredEntry {
  const doc = parseJsonObject(text);
  if (doc === undefined) {
    throw new DeserializationError(
      `An entry file of collection ${JSON.stringify(collection)} is not a JSON document (corrupted or truncated)`,
    );
  }
  if (
    (doc.key !== undefined && doc.key !== key) ||
    (doc.collection !== undefined && doc.collection !== collection)
  ) {
    throw new DeserializationError(
      `An entry file of collection ${JSON.stringify(collection)} holds the document of another key or collection`,
    );
  }
  try {
    return documentToEntry(doc);
  } catch (err) {
    throw new DeserializationError(
      `An entry file of collection ${JSON.stringify(collection)} cannot be read: ${(err as Error).message}`,
    );
  }
}

/**
 * Reads the entry file `dir/<encoded>.json` and reports its key, collection and liveness at
 * `now`; `undefined` for a file that vanished or cannot be attributed to a name. A corrupted file
 * (or a link or directory in its place) with a readable name is reported live, so enumeration shows
 * it and `get` reports the corruption.
 */
export async function inspectEntry(
  dir: string,
  encoded: string,
  collection: string | undefined,
  now: number,
): Promise<Inspected | undefined> {
  const decoded = decodeFileName(encoded);
  if (decoded === undefined) return undefined;
  let text: string | undefined;
  try {
    text = await readText(join(dir, encoded + ENTRY_SUFFIX));
  } catch (err) {
    if (!(err instanceof DeserializationError)) throw err;
    return decoded === null || collection === undefined
      ? undefined
      : { key: decoded, collection, live: true };
  }
  if (text === undefined) return undefined;
  const doc = parseJsonObject(text);
  const docKey = typeof doc?.key === 'string' ? doc.key : undefined;
  const docCollection = typeof doc?.collection === 'string' ? doc.collection : undefined;
  const key = decoded ?? docKey;
  const name = collection ?? docCollection;
  if (key === undefined || name === undefined || encodeFileName(key) !== encoded) return undefined;
  if ((docKey ?? key) !== key || (docCollection ?? name) !== name) return undefined; // a misplaced file
  try {
    return { key, collection: name, live: !isExpired(parseEntry(text, name, key), now) };
  } catch {
    return { key, collection: name, live: true };
  }
}
