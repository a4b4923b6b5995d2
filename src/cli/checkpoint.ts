/**
 * The state file that makes `rotate` and `copy` resumable: which collections are done, (for `copy`)
 * the `keys()` cursor after the last page written in the collection under way, and (for `rotate`)
 * the entries taken out of the store and not yet put back. Written atomically (temp file,
 * fsync, rename), mode 0600; removed when the command completes.
 * @module
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { JsonObject } from '../contract.js';
import { CliError } from './common.js';

/** An entry `rotate` took out of the store and is about to put back re-encrypted. */
export interface InFlight {
  readonly collection: string;
  readonly key: string;
  /** The value as stored before (still under the old key). */
  readonly raw: JsonObject;
  /** Expiry in epoch ms, or `null` for none. */
  readonly deadline: number | null;
}

/** What a state file holds. */
export interface State {
  readonly command: 'rotate' | 'copy';
  /** Identifies the run (hash of the URLs and key fingerprints): another run never picks it up. */
  readonly run: string;
  done: string[];
  inFlight: InFlight[];
  /**
   * `copy`: the collection under way and the `keys()` cursor after its last page whose writes were
   * all acknowledged; a rerun continues there. Absent at a collection's start.
   */
  position?: { collection: string; cursor: string } | undefined;
  /** Counts carried over from interrupted runs. */
  counts: Record<string, number>;
}

/** The default state file for a run, in the current directory. */
export function defaultStatePath(command: 'rotate' | 'copy', run: string): string {
  return resolve(`.oauth-kv-${command}-${run.slice(0, 12)}.state.json`);
}

/** A stable id for a run from what identifies it (never stored as such: only its hash). */
export function runId(parts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** The state in `path`, or `undefined` when there is none. */
export async function loadState(
  path: string,
  command: State['command'],
  run: string,
): Promise<State | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let state: State;
  try {
    state = JSON.parse(text) as State;
  } catch {
    throw new CliError(`the state file ${path} is not valid JSON; remove it to start over`);
  }
  if (state.command !== command || state.run !== run) {
    throw new CliError(
      `the state file ${path} belongs to another ${state.command} run (other URLs or keys); remove it or pass --state`,
    );
  }
  state.done ??= [];
  state.inFlight ??= [];
  state.counts ??= {};
  return state;
}

/** Writes the state durably (temp file, fsync, rename). */
export async function saveState(path: string, state: State): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(state));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

/** Removes the state file of a completed run. */
export async function clearState(path: string): Promise<void> {
  await rm(path, { force: true });
}
