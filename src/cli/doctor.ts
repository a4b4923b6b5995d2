/**
 * `oauth-kv doctor URL`: connects, checks the store can write, read and delete, that stored entries
 * are in the expected layout, that the key decrypts a sample, and the clock skew against the server.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { AsyncKeyValue, JsonObject } from '../contract.js';
import type { OpenedStore } from '../create-store.js';
import { Fernet } from '../crypto/fernet.js';
import { DeserializationError } from '../errors.js';
import { sentinelOptions } from '../open-store.js';
import { checkRedisOptions } from '../stores/redis/options.js';
import type { StoreSpec } from '../url/parse.js';
import { ENCRYPTED_DATA_FIELD } from '../wrappers/encrypted-form.js';
import {
  CliError,
  describeFailure,
  isEncryptedForm,
  keysOf,
  open,
  output,
  type StoreFlags,
  urlOf,
  withStore,
} from './common.js';

type Status = 'ok' | 'warn' | 'fail' | 'skip';
interface Check {
  name: string;
  status: Status;
  detail: string;
}

/** Collection of the probe entry `doctor` writes (with a 60 s TTL) and deletes. */
const PROBE_COLLECTION = 'oauth-kv-doctor';
/** Most collections and entries per collection sampled. */
const SAMPLE_COLLECTIONS = 20;
const SAMPLE_PER_COLLECTION = 5;
/** Skew above which the clock check warns, in ms. */
const SKEW_WARN_MS = 2_000;

/** Runs `doctor`. */
export async function doctor(
  url: string | undefined,
  flags: StoreFlags & { readOnly?: boolean },
): Promise<void> {
  const keys = keysOf(flags);
  const fernet = keys.length === 0 ? undefined : new Fernet(keys);
  const checks: Check[] = [];
  const add = (name: string, status: Status, detail: string) => checks.push({ name, status, detail });
  await withStore(await open(urlOf(url), []), async (opened) => {
    const { raw } = opened;
    const started = performance.now();
    try {
      await raw.ping();
      add('connect', 'ok', `the store answered in ${Math.round(performance.now() - started)} ms`);
    } catch (err) {
      add('connect', 'fail', describeFailure(err).message);
      return;
    }
    await attempt(add, 'read/write', () => readWrite(raw, flags.readOnly === true));
    const sample = await attempt(add, 'layout', () => layout(raw, opened.spec));
    if (sample !== undefined) await attempt(add, 'key', async () => keyCheck(sample, fernet));
    await attempt(add, 'clock', () => clock(opened, flags.readOnly === true));
  });
  const failed = checks.filter((c) => c.status === 'fail');
  output(
    flags,
    { ok: failed.length === 0, checks },
    checks.map((c) => `${c.status.toUpperCase().padEnd(4)} ${c.name}: ${c.detail}`),
  );
  if (failed.length > 0)
    throw new CliError(`doctor found ${failed.length} problem(s): ${failed.map((c) => c.name).join(', ')}`);
}

/** Runs one check; its own failure is a failed check, never an abort. */
async function attempt<T>(
  add: (name: string, status: Status, detail: string) => void,
  name: string,
  run: () => Promise<{ status: Status; detail: string; data?: T }>,
): Promise<T | undefined> {
  try {
    const { status, detail, data } = await run();
    add(name, status, detail);
    return data;
  } catch (err) {
    add(name, 'fail', describeFailure(err).message);
    return undefined;
  }
}

async function readWrite(raw: AsyncKeyValue, readOnly: boolean): Promise<{ status: Status; detail: string }> {
  if (readOnly) return { status: 'skip', detail: 'not tried (--read-only)' };
  const key = `probe-${randomBytes(6).toString('hex')}`;
  const where = { collection: PROBE_COLLECTION };
  const value = { probe: key, at: Date.now() };
  await raw.put(key, value, { ...where, ttl: 60 });
  const back = await raw.get(key, where);
  const deleted = await raw.delete(key, where);
  if (!isDeepStrictEqual(back, value) || !deleted) {
    return { status: 'fail', detail: 'a probe entry did not read back as written' };
  }
  return { status: 'ok', detail: `wrote, read and deleted a probe entry in ${PROBE_COLLECTION}` };
}

interface Sample {
  values: JsonObject[];
}

async function layout(
  raw: AsyncKeyValue,
  spec: StoreSpec,
): Promise<{ status: Status; detail: string; data: Sample }> {
  const notes: string[] = [];
  let status: Status = 'ok';
  if (spec.kind === 'postgres') {
    const missing = await postgresColumns(spec);
    if (missing.length > 0) {
      status = 'fail';
      notes.push(`the table lacks column(s) ${missing.join(', ')}`);
    } else notes.push('table columns as py-key-value creates them');
  }
  const values: JsonObject[] = [];
  let unreadable = 0;
  let collections = 0;
  if (raw.capabilities.collections && raw.capabilities.keys) {
    const names = (await raw.collections()).filter((c) => c !== PROBE_COLLECTION);
    collections = names.length;
    for (const collection of names.slice(0, SAMPLE_COLLECTIONS)) {
      const page = await raw.keys(collection, { limit: SAMPLE_PER_COLLECTION });
      for (const key of page.keys) {
        try {
          const value = await raw.get(key, { collection });
          if (value !== undefined) values.push(value);
        } catch (err) {
          if (!(err instanceof DeserializationError)) throw err;
          unreadable++;
        }
      }
    }
  }
  if (unreadable > 0) {
    status = 'fail';
    notes.push(`${unreadable} sampled entries are not in the py-key-value document layout`);
  }
  notes.unshift(`${collections} collections, ${values.length + unreadable} entries sampled`);
  return { status, detail: notes.join('; '), data: { values } };
}

function keyCheck(sample: Sample, fernet: Fernet | undefined): { status: Status; detail: string } {
  const encrypted = sample.values.filter(isEncryptedForm);
  const plain = sample.values.length - encrypted.length;
  if (sample.values.length === 0) return { status: 'skip', detail: 'no entries to try a key on' };
  if (fernet === undefined) {
    return encrypted.length > 0
      ? {
          status: 'warn',
          detail: `${encrypted.length} sampled entries are encrypted: pass --key to check the key`,
        }
      : { status: 'warn', detail: `${plain} sampled entries are not encrypted` };
  }
  let newest = 0;
  let older = 0;
  let failed = 0;
  for (const value of encrypted) {
    try {
      const data = value[ENCRYPTED_DATA_FIELD];
      const token = Buffer.from(typeof data === 'string' ? data : '', 'base64').toString('latin1');
      if (fernet.decryptWithInfo(token).keyIndex === 0) newest++;
      else older++;
    } catch {
      failed++;
    }
  }
  const detail =
    `${encrypted.length} encrypted entries sampled: ${newest} under the first key, ${older} under older keys` +
    `${older > 0 ? ' (run rotate)' : ''}, ${failed} not decryptable` +
    `${plain > 0 ? `; ${plain} not encrypted` : ''}`;
  return { status: failed > 0 ? 'fail' : older > 0 || plain > 0 ? 'warn' : 'ok', detail };
}

async function clock(opened: OpenedStore, readOnly: boolean): Promise<{ status: Status; detail: string }> {
  const spec = opened.spec;
  let server: (() => Promise<Reading | Reading[]>) | undefined;
  if (spec.kind === 'postgres') server = () => postgresNow(spec.url);
  if (spec.kind === 'redis') server = () => redisNow(spec.url);
  if (spec.kind === 'redis-sentinel') server = () => sentinelNow(spec);
  if (spec.kind === 'redis-cluster') server = () => clusterNow(spec);
  if (spec.kind === 'firestore' && !readOnly) server = () => firestoreNow(spec);
  if (server === undefined) {
    const local = spec.kind === 'memory' || spec.kind === 'file';
    const why = readOnly
      ? 'not measured (--read-only: it writes a probe document)'
      : `not measured for ${spec.kind}`;
    return { status: 'skip', detail: local ? 'local store: this machine is the clock' : why };
  }
  const readings = [await server()].flat();
  const skews = readings.map(({ before, at, after }) => at - (before + after) / 2);
  const texts = readings.map(({ before, after, where }, i) => {
    const skew = skews[i] as number;
    return `${where === undefined ? '' : `${where}: `}server clock ${skew >= 0 ? 'ahead of' : 'behind'} this machine by ${Math.abs(Math.round(skew))} ms (±${Math.ceil((after - before) / 2)} ms)`;
  });
  const text = texts.join('; ');
  const off = skews.some((skew) => Math.abs(skew) > SKEW_WARN_MS);
  return {
    status: off ? 'warn' : 'ok',
    detail: off ? `${text}: TTLs are computed here, expiry is judged there` : text,
  };
}

/** The server's time, and this machine's just before and after the one call that read it. */
interface Reading {
  before: number;
  at: number;
  after: number;
  /** Which server answered, when the URL names several (never a password). */
  where?: string;
}

/** Runs `read` (which returns the server's time in epoch ms) between two readings of the local clock. */
async function bracket(read: () => Promise<number>): Promise<Reading> {
  const before = Date.now();
  const at = await read();
  return { before, at, after: Date.now() };
}

async function postgresNow(url: string): Promise<Reading> {
  const pg = await import('pg');
  const Client = pg.Client ?? (pg as unknown as { default: typeof import('pg') }).default.Client;
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('SELECT 1'); // the connection is warm: the bracket holds one round trip
    return await bracket(async () => {
      const { rows } = await client.query(
        'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS t',
      );
      return Number((rows[0] as { t: number }).t);
    });
  } finally {
    await client.end().catch(() => {});
  }
}

/** ioredis options of the clock probes: no retries, a short connect timeout. */
const PROBE = { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 5_000 } as const;

async function redisNow(url: string): Promise<Reading> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, PROBE);
  client.on('error', () => {});
  try {
    await client.connect();
    return await redisTime(client);
  } finally {
    client.disconnect();
  }
}

/** Redis `TIME` on a connected client, warmed by a `PING` so the bracket holds one round trip. */
async function redisTime(client: import('ioredis').Redis, where?: string): Promise<Reading> {
  await client.ping();
  const reading = await bracket(async () => {
    const [seconds, micros] = await client.time();
    return Number(seconds) * 1000 + Number(micros) / 1000;
  });
  return where === undefined ? reading : { ...reading, where };
}

/** `TIME` on the master the Sentinels name (the one the store writes to). */
async function sentinelNow(spec: Extract<StoreSpec, { kind: 'redis-sentinel' }>): Promise<Reading> {
  const { Redis } = await import('ioredis');
  const client = new Redis({ ...PROBE, ...sentinelOptions(spec) });
  client.on('error', () => {});
  try {
    await client.connect();
    const socket = (client as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
    const at = socket?.remotePort === undefined ? '' : ` at ${socket.remoteAddress}:${socket.remotePort}`;
    return await redisTime(client, `master ${spec.name}${at}`);
  } finally {
    client.disconnect();
  }
}

/** `TIME` on every master of the Cluster (each judges expiry of its own slots). */
async function clusterNow(spec: Extract<StoreSpec, { kind: 'redis-cluster' }>): Promise<Reading[]> {
  const { Cluster } = await import('ioredis');
  const { cluster } = checkRedisOptions({ clusterNodes: spec.nodes });
  if (cluster === undefined) throw new CliError('the Cluster URL names no node');
  const client = new Cluster(cluster.nodes, {
    lazyConnect: true,
    slotsRefreshTimeout: PROBE.connectTimeout,
    redisOptions: { ...PROBE, ...cluster.shared },
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const masters = client.nodes('master');
    if (masters.length === 0) throw new CliError('the Cluster named no master');
    const readings: Reading[] = [];
    for (const node of masters)
      readings.push(await redisTime(node, `master ${node.options.host}:${node.options.port}`));
    return readings;
  } finally {
    client.disconnect();
  }
}

/** Firestore's clock: a probe document stamped with the server timestamp, read back and deleted. */
async function firestoreNow(spec: Extract<StoreSpec, { kind: 'firestore' }>): Promise<Reading> {
  const mod = await import('@google-cloud/firestore');
  const db = new mod.Firestore({
    projectId: spec.projectId,
    ...(spec.databaseId ? { databaseId: spec.databaseId } : {}),
  });
  try {
    const base = spec.rootPath === undefined ? db : db.doc(spec.rootPath);
    const doc = base.collection(PROBE_COLLECTION).doc(`clock-${randomBytes(6).toString('hex')}`);
    await doc.get(); // the channel is open: the bracket holds one write
    try {
      const { before, after } = await bracket(async () => {
        await doc.set({ at: mod.FieldValue.serverTimestamp() });
        return 0;
      });
      const at = (await doc.get()).get('at') as { toMillis(): number } | undefined;
      if (at === undefined) throw new CliError('Firestore did not stamp the probe document');
      return { before, at: at.toMillis(), after };
    } finally {
      await doc.delete();
    }
  } finally {
    await db.terminate();
  }
}

async function postgresColumns(spec: Extract<StoreSpec, { kind: 'postgres' }>): Promise<string[]> {
  const pg = await import('pg');
  const Client = pg.Client ?? (pg as unknown as { default: typeof import('pg') }).default.Client;
  const client = new Client({ connectionString: spec.url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2',
      [spec.schema ?? null, spec.table ?? 'kv_store'],
    );
    const have = new Set(rows.map((r: { column_name: string }) => r.column_name));
    return ['collection', 'key', 'value', 'ttl', 'created_at', 'expires_at'].filter((c) => !have.has(c));
  } finally {
    await client.end().catch(() => {});
  }
}
