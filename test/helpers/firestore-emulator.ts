/**
 * Helpers for tests on the Firestore emulator: one project per test file (so runs never see each
 * other's data), raw clients to write and read documents the way Python does, and the emulator's
 * REST endpoint that deletes every document of a project.
 */
import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';
import { uniqueName } from '../harness/backends.js';

/** A project on the emulator reserved for one test file. */
export interface EmulatorProject {
  readonly host: string;
  readonly projectId: string;
  /** A raw client on the project (the test terminates it through `dispose`). */
  readonly raw: Firestore;
  /** Creates another raw client on the same project; terminated by `dispose`. */
  client(): Firestore;
  /** Deletes every document of the project through the emulator's REST endpoint. */
  clear(): Promise<void>;
  /** Clears the project and terminates every raw client. */
  dispose(): Promise<void>;
}

/** Reserves a fresh project id (emulator project ids: lowercase letters, digits and hyphens). */
export function emulatorProject(host: string, prefix: string): EmulatorProject {
  const projectId = uniqueName(prefix)
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-');
  // The Firestore client reads the emulator address from the environment.
  process.env.FIRESTORE_EMULATOR_HOST ??= host;
  // No GCE metadata server here: skip the client's probe for one (and its warning).
  process.env.METADATA_SERVER_DETECTION ??= 'none';
  const clients: Firestore[] = [];
  const client = () => {
    const db = new Firestore({ projectId });
    clients.push(db);
    return db;
  };
  const raw = client();
  const clear = async () => {
    const url = `http://${host}/emulator/v1/projects/${projectId}/databases/(default)/documents`;
    const res = await fetch(url, { method: 'DELETE' });
    if (!res.ok) throw new Error(`emulator reset failed: HTTP ${res.status}`);
  };
  return {
    host,
    projectId,
    raw,
    client,
    clear,
    async dispose() {
      await clear().catch(() => undefined);
      await Promise.all(clients.splice(0).map((db) => db.terminate().catch(() => undefined)));
    },
  };
}

/**
 * Decrypts a py-key-value encrypted value (`{__encrypted_data__, __encryption_version__}`) with a
 * Fernet key, following the Fernet spec: independent of src/ so the vector test checks bytes, not
 * our own implementation.
 */
export function decryptPyKeyValue(stored: { __encrypted_data__: string }, fernetKey: string): unknown {
  const key = Buffer.from(fernetKey, 'base64url');
  const token = Buffer.from(Buffer.from(stored.__encrypted_data__, 'base64').toString('ascii'), 'base64url');
  const signed = token.subarray(0, token.length - 32);
  const mac = createHmac('sha256', key.subarray(0, 16)).update(signed).digest();
  if (token[0] !== 0x80 || !timingSafeEqual(mac, token.subarray(token.length - 32))) {
    throw new Error('bad Fernet token');
  }
  const iv = token.subarray(9, 25);
  const decipher = createDecipheriv('aes-128-cbc', key.subarray(16), iv);
  const plain = Buffer.concat([decipher.update(token.subarray(25, token.length - 32)), decipher.final()]);
  return JSON.parse(plain.toString('utf8'));
}
