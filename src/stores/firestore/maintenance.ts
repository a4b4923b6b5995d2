/**
 * The collection-wide operations of {@link FirestoreStore}: `destroyCollection` and `cull`, which
 * page through a collection with queries and delete in batches of 500.
 * @module
 */
import type { CollectionReference, DocumentSnapshot, Firestore } from '@google-cloud/firestore';
import { mapLimit } from '../../backend/kit.js';
import { formatIsoDate } from '../../entry.js';
import { applied, type FirestoreConnection } from './connection.js';
import { MAX_BATCH, readDate } from './documents.js';

/** Conditional deletes in flight at once when a cull batch met a concurrent write. */
const CULL_CONCURRENCY = 32;

/** Deletes every document of a collection, 500 per batch; `true` if one of them was unexpired. */
export async function destroyCollection(
  connection: FirestoreConnection,
  db: Firestore,
  ref: CollectionReference,
  now: number,
): Promise<boolean> {
  let hadLive = false;
  // Each round deletes what it found, so the loop ends once the collection is empty.
  for (let round = 0; round < 1_000_000; round++) {
    const page = await connection.call('destroyCollection query', () =>
      ref.select('expires_at').limit(MAX_BATCH).get(),
    );
    if (page.empty) break;
    const batch = db.batch();
    for (const doc of page.docs) {
      const expiresAt = readDate(doc.get('expires_at'));
      if (expiresAt === undefined || expiresAt > now) hadLive = true;
      batch.delete(doc.ref);
    }
    await connection.call('destroyCollection batch', () => batch.commit());
    if (page.size < MAX_BATCH) break;
  }
  return hadLive;
}

/**
 * Deletes the expired documents of one collection, 500 per batch; how many. Each delete carries a
 * `lastUpdateTime` precondition, so an entry rewritten since the query survives; a batch that met
 * such a write is retried one document at a time.
 */
export async function cullCollection(
  connection: FirestoreConnection,
  db: Firestore,
  ref: CollectionReference,
  now: number,
): Promise<number> {
  const cutoff = formatIsoDate(now);
  let removed = 0;
  let after: DocumentSnapshot | undefined;
  for (let round = 0; round < 1_000_000; round++) {
    let query = ref.where('expires_at', '<=', cutoff).orderBy('expires_at').limit(MAX_BATCH);
    if (after !== undefined) query = query.startAfter(after);
    const page = await connection.call('cull query', () => query.get());
    if (page.empty) break;
    after = page.docs[page.docs.length - 1];
    const expired = page.docs.filter((doc) => {
      const expiresAt = readDate(doc.get('expires_at'));
      return expiresAt !== undefined && expiresAt <= now;
    });
    if (expired.length > 0) {
      const batch = db.batch();
      for (const doc of expired) batch.delete(doc.ref, { lastUpdateTime: doc.updateTime });
      if (await connection.call('cull batch', () => applied(batch.commit()))) {
        removed += expired.length;
      } else {
        const one = await connection.call('cull delete', () =>
          mapLimit(expired, CULL_CONCURRENCY, (doc) =>
            applied(doc.ref.delete({ lastUpdateTime: doc.updateTime })),
          ),
        );
        removed += one.filter(Boolean).length;
      }
    }
    if (page.size < MAX_BATCH) break;
  }
  return removed;
}

/**
 * `true` when the collection holds an unexpired document. Pages through it (one document first,
 * then 500 at a time) until one is found: expired documents the TTL policy has not removed yet do
 * not make a collection listed.
 */
export async function hasLiveEntry(
  connection: FirestoreConnection,
  ref: CollectionReference,
  now: number,
): Promise<boolean> {
  let after: DocumentSnapshot | undefined;
  for (let size = 1; ; size = MAX_BATCH) {
    let query = ref.select('expires_at').limit(size);
    if (after !== undefined) query = query.startAfter(after);
    const page = await connection.call('collections query', () => query.get());
    for (const doc of page.docs) {
      const expiresAt = readDate(doc.get('expires_at'));
      if (expiresAt === undefined || expiresAt > now) return true;
    }
    if (page.size < size) return false;
    after = page.docs[page.docs.length - 1];
  }
}
