/**
 * py-key-value's encrypted stored form, `{"__encrypted_data__": B, "__encryption_version__": 1}`:
 * sealing a value into it and opening it again. The encryption wrapper applies it to every value.
 * @module
 */
import type { JsonObject } from '../contract.js';
import { bytesToLatin1, decodeUtf8Strict, fromBase64, latin1ToBytes, toBase64 } from '../crypto/bytes.js';
import type { Fernet, FernetDecrypted } from '../crypto/fernet.js';
import { DecryptionError } from '../errors.js';
import { isPlainObject, parseJsonObject, serializeValue } from '../validation.js';

/**
 * The field holding the ciphertext in py-key-value's encrypted form.
 *
 * @example
 * ```ts
 * import { ENCRYPTED_DATA_FIELD } from 'oauth-kv';
 * const raw = await inner.get('client-1', { collection: 'clients' });
 * const encrypted = raw !== undefined && ENCRYPTED_DATA_FIELD in raw;
 * ```
 */
export const ENCRYPTED_DATA_FIELD = '__encrypted_data__';
/**
 * The field holding the format version in py-key-value's encrypted form.
 *
 * @example
 * ```ts
 * import { ENCRYPTION_VERSION_FIELD } from 'oauth-kv';
 * console.log(ENCRYPTION_VERSION_FIELD); // "__encryption_version__"
 * ```
 */
export const ENCRYPTION_VERSION_FIELD = '__encryption_version__';
/**
 * The encrypted-form version this release writes and the newest it reads.
 *
 * @example
 * ```ts
 * import { ENCRYPTION_VERSION } from 'oauth-kv';
 * console.log(ENCRYPTION_VERSION); // 1
 * ```
 */
export const ENCRYPTION_VERSION = 1;
/**
 * Marks a plaintext bound to its collection and key (see the `bindToKey` option of `withEncryption`).
 * A Python reader of a bound value gets `{"__oauth_kv_bound__": 1, "collection", "key", "value"}`.
 *
 * @example
 * ```python
 * # Python: unwrap a value oauth-kv wrote with bindToKey
 * if value.get("__oauth_kv_bound__") == 1: value = value["value"]
 * ```
 */
export const BOUND_MARKER_FIELD = '__oauth_kv_bound__';

const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The stored form of an encrypted value (py-key-value's `FernetEncryptionWrapper` layout).
 *
 * @example
 * ```ts
 * const stored: EncryptedValue = { __encrypted_data__: 'Z0FBQUFB...', __encryption_version__: 1 };
 * ```
 */
export interface EncryptedValue {
  /** Standard base64 (with `+/=`) of the Fernet token's ASCII bytes. */
  [ENCRYPTED_DATA_FIELD]: string;
  /** Always 1 for what this release writes. */
  [ENCRYPTION_VERSION_FIELD]: number;
  [extra: string]: string | number;
}

/** How values are sealed and opened: the keys, and the wrapper's binding and plaintext options. */
export interface FormPolicy {
  readonly fernet: Fernet;
  /** Seal with the collection and key in the plaintext; refuse unbound values unless allowPlaintext. */
  readonly bind: boolean;
  /** Accept values that are not encrypted (and, with `bind`, encrypted values that are not bound). */
  readonly allowPlaintext: boolean;
}

/** A stored value opened by {@link openValue}. */
export interface Opened {
  value: JsonObject;
  /** Stored the way this wrapper writes now: newest key, bound when bindToKey. */
  current: boolean;
}

/**
 * Encrypts a value into the stored form. The value is validated and serialized in one pass
 * (`SerializationError` with the path, before anything is written); with `policy.bind` the
 * plaintext names its collection and key. Synchronous: needs `node:crypto` (`Fernet.supportsSync`).
 */
export function sealValue(
  policy: FormPolicy,
  collection: string,
  key: string,
  value: unknown,
): EncryptedValue {
  return storedForm(policy.fernet.encrypt(plaintextOf(policy, collection, key, value)));
}

/** {@link sealValue} on any runtime (WebCrypto where `node:crypto` is absent). */
export async function sealValueAsync(
  policy: FormPolicy,
  collection: string,
  key: string,
  value: unknown,
): Promise<EncryptedValue> {
  return storedForm(await policy.fernet.encryptAsync(plaintextOf(policy, collection, key, value)));
}

function plaintextOf(policy: FormPolicy, collection: string, key: string, value: unknown): string {
  const json = serializeValue(value);
  return policy.bind
    ? `{"${BOUND_MARKER_FIELD}":1,"collection":${JSON.stringify(collection)},"key":${JSON.stringify(key)},"value":${json}}`
    : json;
}

function storedForm(token: string): EncryptedValue {
  return {
    [ENCRYPTED_DATA_FIELD]: toBase64(latin1ToBytes(token)),
    [ENCRYPTION_VERSION_FIELD]: ENCRYPTION_VERSION,
  };
}

/**
 * Opens a stored value: checks the stored form, decrypts it, and checks its binding. Throws
 * `DecryptionError` for anything it cannot trust; never a value, key or key material in messages.
 * Synchronous: needs `node:crypto` (`Fernet.supportsSync`).
 */
export function openValue(policy: FormPolicy, raw: JsonObject, collection: string, key: string): Opened {
  const token = storedToken(policy, raw, collection);
  if (typeof token !== 'string') return token;
  let decrypted: FernetDecrypted;
  try {
    decrypted = policy.fernet.decryptWithInfo(token);
  } catch (err) {
    throw cannotDecrypt(err, collection);
  }
  return readPlaintext(policy, decrypted, collection, key);
}

/** {@link openValue} on any runtime (WebCrypto where `node:crypto` is absent). */
export async function openValueAsync(
  policy: FormPolicy,
  raw: JsonObject,
  collection: string,
  key: string,
): Promise<Opened> {
  const token = storedToken(policy, raw, collection);
  if (typeof token !== 'string') return token;
  let decrypted: FernetDecrypted;
  try {
    decrypted = await policy.fernet.decryptWithInfoAsync(token);
  } catch (err) {
    throw cannotDecrypt(err, collection);
  }
  return readPlaintext(policy, decrypted, collection, key);
}

function where(collection: string): string {
  return `in collection ${JSON.stringify(collection)}`;
}

/** The Fernet token of a stored value, or the value itself when plaintext is accepted. */
function storedToken(policy: FormPolicy, raw: JsonObject, collection: string): string | Opened {
  if (!Object.hasOwn(raw, ENCRYPTED_DATA_FIELD)) {
    if (policy.allowPlaintext) return { value: raw, current: false };
    throw new DecryptionError(
      `A stored value ${where(collection)} is not encrypted; set allowPlaintext while migrating an unencrypted store`,
    );
  }
  const data = raw[ENCRYPTED_DATA_FIELD];
  const version = raw[ENCRYPTION_VERSION_FIELD];
  if (typeof data !== 'string') {
    throw new DecryptionError(
      `A stored value ${where(collection)} is corrupted: ${ENCRYPTED_DATA_FIELD} is not a string`,
    );
  }
  if (version === undefined) {
    throw new DecryptionError(
      `A stored value ${where(collection)} is corrupted: ${ENCRYPTION_VERSION_FIELD} is missing`,
    );
  }
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new DecryptionError(
      `A stored value ${where(collection)} is corrupted: ${ENCRYPTION_VERSION_FIELD} is not a positive integer`,
    );
  }
  if (version > ENCRYPTION_VERSION) {
    throw new DecryptionError(
      `A stored value ${where(collection)} uses encryption version ${version}, newer than the ${ENCRYPTION_VERSION} this release reads; upgrade oauth-kv`,
    );
  }
  if (!STANDARD_BASE64.test(data)) {
    throw new DecryptionError(
      `A stored value ${where(collection)} is corrupted: ${ENCRYPTED_DATA_FIELD} is not base64`,
    );
  }
  return bytesToLatin1(fromBase64(data));
}

/**
 * The error for a value that does not decrypt (a `DecryptionError` from Fernet) or whose plaintext
 * is not UTF-8 (`reason`); anything else (the runtime's crypto failing) is rethrown as it is.
 */
function cannotDecrypt(err: unknown, collection: string, reason?: string): unknown {
  if (reason === undefined && !(err instanceof DecryptionError)) return err;
  const why = reason ?? (err as DecryptionError).message;
  return new DecryptionError(`Cannot decrypt a stored value ${where(collection)}: ${why}`, { cause: err });
}

/** Parses the decrypted plaintext and checks its binding. */
function readPlaintext(
  policy: FormPolicy,
  decrypted: FernetDecrypted,
  collection: string,
  key: string,
): Opened {
  let text: string;
  try {
    text = decodeUtf8Strict(decrypted.data);
  } catch (err) {
    throw cannotDecrypt(err, collection, 'the plaintext is not UTF-8');
  }
  const object = parseJsonObject(text);
  if (object === undefined) {
    throw new DecryptionError(
      `A stored value ${where(collection)} decrypted to something that is not a JSON object`,
    );
  }
  if (isBound(object)) {
    if (object.collection !== collection || object.key !== key) {
      throw new DecryptionError(
        `A stored value ${where(collection)} is bound to a different collection or key (was it copied?)`,
      );
    }
    return { value: object.value, current: decrypted.keyIndex === 0 };
  }
  if (policy.bind && !policy.allowPlaintext) {
    throw new DecryptionError(
      `A stored value ${where(collection)} is not bound to its key; set allowPlaintext while migrating to bindToKey`,
    );
  }
  return { value: object, current: decrypted.keyIndex === 0 && !policy.bind };
}

interface Bound {
  [BOUND_MARKER_FIELD]: 1;
  collection: string;
  key: string;
  value: JsonObject;
}

function isBound(object: JsonObject): object is JsonObject & Bound {
  return (
    object[BOUND_MARKER_FIELD] === 1 &&
    typeof object.collection === 'string' &&
    typeof object.key === 'string' &&
    isPlainObject(object.value) &&
    Object.keys(object).length === 4
  );
}
