/**
 * `oauth-kv copy FROM_URL TO_URL`: copies every collection from one store to another, values as
 * stored (encrypted values stay encrypted under the same keys) and each entry's remaining TTL kept.
 * Resumable entry by entry through a state file: after each page whose writes were all
 * acknowledged it records the collection's `keys()` cursor, so a rerun continues after the last
 * such page (a page cut short is written again: writing the same value twice is harmless).
 * Verified at the end by counting both sides and comparing a sample of entries.
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import { mapLimit } from '../backend/kit.js';
import type { AsyncKeyValue } from '../contract.js';
import { clearState, defaultStatePath, loadState, runId, type State, saveState } from './checkpoint.js';
import { CliError, open, output, type StoreFlags, shown, urlOf, withStore } from './common.js';
import { progressFor } from './progress.js';
import {
  catchInterruption,
  census,
  cursorPages,
  DEFAULT_PAGE_SIZE,
  positiveInt,
  remaining,
  requireListing,
} from './walk.js';

/** Options of `copy`. */
export interface CopyFlags extends StoreFlags {
  state?: string | undefined;
  pageSize?: string | undefined;
  sample?: string | undefined;
  overwrite?: boolean | undefined;
}

/** How far apart two TTLs of one copied entry may be, in seconds (the copy takes time). */
const TTL_SLACK = 10;

/** Runs `copy`. */
export async function copy(fromUrl: string, toUrl: string, flags: CopyFlags): Promise<void> {
  const from = urlOf(fromUrl);
  const to = urlOf(toUrl);
  if (from === to) throw new CliError('FROM_URL and TO_URL are the same store', 2);
  const pageSize = positiveInt(flags.pageSize, '--page-size', DEFAULT_PAGE_SIZE);
  const sampleSize = flags.sample === '0' ? 0 : positiveInt(flags.sample, '--sample', 20);
  await withStore(await open(from, []), async ({ raw: source }) => {
    await withStore(await open(to, [], true), async ({ raw: target }) => {
      requireListing(source, 'copy (source)');
      requireListing(target, 'copy (target)');
      await source.ping();
      await target.ping();
      const run = runId(['copy', from, to]);
      const statePath = flags.state ?? defaultStatePath('copy', run);
      const loaded = await loadState(statePath, 'copy', run);
      const state: State = loaded ?? { command: 'copy', run, done: [], inFlight: [], counts: {} };
      const all = (await source.collections()).sort();
      if (loaded === undefined && flags.overwrite !== true) {
        const taken = new Set(await target.collections());
        const clash = all.find((c) => taken.has(c));
        if (clash !== undefined) {
          throw new CliError(
            `the target already holds entries in collection ${JSON.stringify(clash)}; pass --overwrite to copy over them`,
          );
        }
      }
      const counts = { copied: state.counts.copied ?? 0, expired: state.counts.expired ?? 0 };
      const save = async () => {
        state.counts = { ...counts };
        await saveState(statePath, state);
      };
      await save(); // from here on a rerun resumes, even if killed in the first collection
      const todo = all.filter((c) => !state.done.includes(c));
      /** Where a collection starts: after the last acknowledged page of an interrupted run. */
      const startOf = (c: string) => (state.position?.collection === c ? state.position.cursor : undefined);
      let total = 0;
      for (const c of todo) total += (await census(source, c, pageSize, 0, startOf(c))).count;
      const progress = progressFor('copy', flags.json === true);
      const detail = () => `copied ${counts.copied}, expired ${counts.expired}`;
      const stop = catchInterruption();
      const before = { ...counts };
      let visited = 0;
      progress.start(total);
      try {
        for (const collection of todo) {
          for await (const { keys, next } of cursorPages(source, collection, pageSize, startOf(collection))) {
            if (stop.requested) {
              progress.stop(visited, detail());
              await save();
              throw new CliError(
                `interrupted after ${visited} entries; run the same command again to resume`,
                130,
              );
            }
            const readAt = Date.now();
            const results = await source.ttlMany(keys, { collection });
            await mapLimit(keys, 16, async (key, i) => {
              const { value, ttl } = results[i] ?? { value: undefined, ttl: undefined };
              const left = remaining(ttl === undefined ? null : readAt + ttl * 1000);
              if (value === undefined || left === false) {
                counts.expired++;
                return;
              }
              await target.put(key, value, { collection, ttl: left });
              counts.copied++;
            });
            visited += keys.length;
            // Every write of the page is acknowledged: a rerun starts after it.
            state.position = next === undefined ? undefined : { collection, cursor: next };
            await save();
            progress.update(visited, detail());
          }
          state.done.push(collection);
          state.position = undefined;
          await save();
        }
        progress.stop(visited, detail());
      } finally {
        stop.dispose();
      }
      const checks = [];
      for (const collection of all)
        checks.push(await verify(source, target, collection, pageSize, sampleSize));
      await clearState(statePath);
      const bad = checks.filter((c) => !c.ok);
      output(
        flags,
        {
          ...counts,
          thisRun: { copied: counts.copied - before.copied, expired: counts.expired - before.expired },
          resumed: loaded !== undefined,
          from: shown(from),
          to: shown(to),
          collections: checks,
          ok: bad.length === 0,
        },
        [
          `copied ${counts.copied} entries in ${all.length} collections (${counts.expired} expired on the way)${loaded ? `, resumed: ${counts.copied - before.copied} in this run` : ''}`,
          ...checks.map(
            (c) =>
              `${c.ok ? 'ok  ' : 'FAIL'} ${c.collection}: ${c.source} in source, ${c.target} in target, ` +
              `${c.sampled - c.mismatches}/${c.sampled} sampled entries identical`,
          ),
        ],
      );
      if (bad.length > 0) {
        throw new CliError(
          `verification failed for ${bad.length} collection(s): ${bad.map((c) => c.collection).join(', ')}`,
        );
      }
    });
  });
}

/** Counts both sides and compares a random sample of entries (value and TTL). */
async function verify(
  source: AsyncKeyValue,
  target: AsyncKeyValue,
  collection: string,
  pageSize: number,
  sample: number,
) {
  const src = await census(source, collection, pageSize, sample);
  const dst = await census(target, collection, pageSize);
  let mismatches = 0;
  if (src.sample.length > 0) {
    const a = await source.ttlMany(src.sample, { collection });
    const b = await target.ttlMany(src.sample, { collection });
    for (let i = 0; i < src.sample.length; i++) {
      const x = a[i];
      const y = b[i];
      if (x?.value === undefined) continue; // expired since: nothing to compare
      const sameTtl =
        x.ttl === undefined
          ? y?.ttl === undefined
          : y?.ttl !== undefined && Math.abs(x.ttl - y.ttl) <= TTL_SLACK;
      if (!isDeepStrictEqual(x.value, y?.value) || !sameTtl) mismatches++;
    }
  }
  return {
    collection,
    source: src.count,
    target: dst.count,
    sampled: src.sample.length,
    mismatches,
    ok: src.count === dst.count && mismatches === 0,
  };
}
