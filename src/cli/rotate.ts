/**
 * `oauth-kv rotate URL --new-key KEY`: re-encrypts every collection under the new key, keeping
 * each entry's remaining TTL. Resumable: a state file records finished collections and, while a page
 * is being rewritten, the entries taken out of the store, so a run killed at any point loses nothing
 * and the next run with the same arguments finishes the job.
 * @module
 */
import { mapLimit } from '../backend/kit.js';
import type { JsonObject } from '../contract.js';
import { Fernet } from '../crypto/fernet.js';
import { DecryptionError } from '../errors.js';
import { type FormPolicy, openValue, sealValue } from '../wrappers/encrypted-form.js';
import {
  clearState,
  defaultStatePath,
  type InFlight,
  loadState,
  runId,
  type State,
  saveState,
} from './checkpoint.js';
import {
  CliError,
  keysOf,
  open,
  output,
  rememberSecret,
  type StoreFlags,
  urlOf,
  withStore,
} from './common.js';
import { progressFor } from './progress.js';
import {
  catchInterruption,
  census,
  DEFAULT_PAGE_SIZE,
  pages,
  positiveInt,
  remaining,
  requireListing,
} from './walk.js';

/** Options of `rotate`. */
export interface RotateFlags extends StoreFlags {
  newKey: string;
  dryRun?: boolean | undefined;
  state?: string | undefined;
  pageSize?: string | undefined;
  bind?: boolean | undefined;
  allowPlaintext?: boolean | undefined;
}

type Counts = Record<
  'rewritten' | 'current' | 'expired' | 'gone' | 'changed' | 'failed' | 'recovered',
  number
>;

/** Runs `rotate`. */
export async function rotate(url: string | undefined, flags: RotateFlags): Promise<void> {
  const target = urlOf(url);
  const newKey = flags.newKey.trim();
  rememberSecret(newKey);
  const keys = [newKey, ...keysOf(flags).filter((k) => k !== newKey)];
  const policy: FormPolicy = {
    fernet: new Fernet(keys),
    bind: flags.bind === true,
    allowPlaintext: flags.allowPlaintext === true,
  };
  const pageSize = positiveInt(flags.pageSize, '--page-size', DEFAULT_PAGE_SIZE);
  const dryRun = flags.dryRun === true;
  await withStore(await open(target, []), async ({ raw }) => {
    requireListing(raw, 'rotate');
    await raw.ping();
    const run = runId(['rotate', target, newKey, String(policy.bind)]);
    const statePath = flags.state ?? defaultStatePath('rotate', run);
    const loaded = dryRun ? undefined : await loadState(statePath, 'rotate', run);
    const state: State = loaded ?? { command: 'rotate', run, done: [], inFlight: [], counts: {} };
    const counts: Counts = {
      rewritten: 0,
      current: 0,
      expired: 0,
      gone: 0,
      changed: 0,
      failed: 0,
      recovered: 0,
    };
    for (const [name, n] of Object.entries(state.counts))
      if (name in counts) counts[name as keyof Counts] += n;
    const save = async () => {
      state.counts = { ...counts };
      await saveState(statePath, state);
    };

    // Entries a killed run had taken out and not put back go back first.
    for (const flight of state.inFlight) if (await restore(raw, policy, flight)) counts.recovered++;
    state.inFlight = [];
    if (loaded !== undefined) await save();

    const collections = (await raw.collections()).filter((c) => !state.done.includes(c)).sort();
    let total = 0;
    for (const c of collections) total += (await census(raw, c, pageSize)).count;
    const progress = progressFor(dryRun ? 'rotate (dry run)' : 'rotate', flags.json === true);
    const detail = () =>
      `${dryRun ? 'to rewrite' : 'rewritten'} ${counts.rewritten}, current ${counts.current}, failed ${counts.failed}`;
    const stop = catchInterruption();
    let visited = 0;
    progress.start(total);
    try {
      for (const collection of collections) {
        for await (const page of pages(raw, collection, pageSize)) {
          if (stop.requested) {
            progress.stop(visited, detail());
            if (!dryRun) await save();
            throw new CliError(
              `interrupted after ${visited} entries; run the same command again to resume`,
              130,
            );
          }
          const todo = await plan(raw, policy, collection, page, counts);
          if (dryRun) counts.rewritten += todo.length;
          else if (todo.length > 0) {
            state.inFlight = todo.map(({ value: _value, ...flight }) => flight);
            await save();
            await mapLimit(todo, 8, async (t) => {
              counts[await rewrite(raw, policy, t)]++;
            });
            state.inFlight = [];
          }
          visited += page.length;
          progress.update(visited, detail());
        }
        if (!dryRun) {
          state.done.push(collection);
          await save();
        }
      }
      progress.stop(visited, detail());
    } finally {
      stop.dispose();
    }
    if (!dryRun) await clearState(statePath);
    const result = {
      ...counts,
      dryRun,
      resumed: loaded !== undefined,
      collections: state.done.length || collections.length,
    };
    output(flags, result, [
      `${dryRun ? 'would rewrite' : 'rewrote'} ${counts.rewritten} entries under the new key` +
        ` (${counts.current} already current, ${counts.expired} expired, ${counts.gone + counts.changed} changed meanwhile` +
        `${counts.recovered > 0 ? `, ${counts.recovered} recovered from the interrupted run` : ''})`,
    ]);
    if (counts.failed > 0) {
      throw new CliError(
        `${counts.failed} entries could not be decrypted with the given keys and were left as they were`,
      );
    }
  });
}

interface Planned extends InFlight {
  readonly value: JsonObject;
}

/** Reads a page and returns the entries not yet under the newest key, opened. */
async function plan(
  raw: import('../contract.js').AsyncKeyValue,
  policy: FormPolicy,
  collection: string,
  keys: string[],
  counts: Counts,
): Promise<Planned[]> {
  const readAt = Date.now();
  const results = await raw.ttlMany(keys, { collection });
  const todo: Planned[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const { value: stored, ttl } = results[i] ?? { value: undefined, ttl: undefined };
    if (stored === undefined) {
      counts.expired++;
      continue;
    }
    let opened: { value: JsonObject; current: boolean };
    try {
      opened = openValue(policy, stored, collection, key);
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      counts.failed++;
      continue;
    }
    if (opened.current) {
      counts.current++;
      continue;
    }
    const deadline = ttl === undefined ? null : readAt + ttl * 1000;
    todo.push({ collection, key, raw: stored, deadline, value: opened.value });
  }
  return todo;
}

/** Takes the entry and puts it back re-encrypted; a concurrent change wins. */
async function rewrite(
  raw: import('../contract.js').AsyncKeyValue,
  policy: FormPolicy,
  t: Planned,
): Promise<keyof Counts> {
  const where = { collection: t.collection };
  if (remaining(t.deadline) === false) return 'expired';
  const taken = await raw.take(t.key, where);
  if (taken === undefined) return 'gone'; // deleted or taken meanwhile: never bring it back
  const ttl = remaining(t.deadline);
  if (JSON.stringify(taken) !== JSON.stringify(t.raw)) {
    // Replaced between the read and the take: put the newer value back as it was.
    await raw.putIfAbsent(t.key, taken, { ...where, ttl: ttl === false ? 1 : ttl });
    return 'changed';
  }
  if (ttl === false) return 'expired';
  await raw.putIfAbsent(t.key, sealValue(policy, t.collection, t.key, t.value), { ...where, ttl });
  return 'rewritten';
}

/** Puts back an entry a killed run had taken, re-encrypted, unless the key holds something now. */
async function restore(
  raw: import('../contract.js').AsyncKeyValue,
  policy: FormPolicy,
  flight: InFlight,
): Promise<boolean> {
  const ttl = remaining(flight.deadline);
  if (ttl === false) return false;
  const value = openValue(policy, flight.raw, flight.collection, flight.key).value;
  const sealed = sealValue(policy, flight.collection, flight.key, value);
  return raw.putIfAbsent(flight.key, sealed, { collection: flight.collection, ttl });
}
