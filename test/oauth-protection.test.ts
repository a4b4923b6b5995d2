/**
 * The three OAuth integrations (the MCP state store, the oidc-provider adapter and FastMCP's token
 * storage) take one ProtectionOptions object and behave the same with it: the same refusal without
 * key material, the same stored form of a sealed client secret (one sealer opens all three), the
 * same defaults (hashSecret does not seal, binding under encryption, a process warning for a refused
 * record), the same onRecordRefused call, the same option validation.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AsyncKeyValue, JsonObject } from '../src/contract.js';
import { generateFernetKey } from '../src/crypto/keys.js';
import { type OAuthKVError, RecordBindingError, StoreSetupError } from '../src/errors.js';
import { BearerHasher } from '../src/integrations/bearer-hash.js';
import {
  FASTMCP_DEFAULT_COLLECTION,
  type ProtectionOptions as FastMCPProtection,
  FastMCPTokenStorage,
} from '../src/integrations/fastmcp.js';
import {
  MCP_CLIENTS_COLLECTION,
  type ProtectionOptions as McpProtection,
  OAUTH_STATE_COLLECTIONS,
  OAuthStateStore,
} from '../src/integrations/mcp.js';
import {
  createOidcAdapter,
  type ProtectionOptions as OidcProtection,
} from '../src/integrations/oidc-provider.js';
import type { ProtectionOptions } from '../src/integrations/protection.js';
import { BINDING_FIELD } from '../src/integrations/record-binding.js';
import { CLIENT_SECRET_PURPOSE, SEALED_PREFIX, SecretSealer } from '../src/integrations/sealing.js';
import { MemoryStore } from '../src/stores/memory.js';
import { withEncryption } from '../src/wrappers/encryption.js';

const memory = () => new MemoryStore({ sweepIntervalMs: 0 });
const encrypted = () => {
  const inner = memory();
  return { inner, store: withEncryption(inner, { keys: [generateFernetKey()] }) };
};
const SECRET = 'the-confidential-client-secret-0123456789';
const HASH_SECRET = 'shared-protection-hash-secret-0123';
const SEAL_SECRET = 'shared-protection-seal-secret-0123';

/** What the test does with each integration, the same way. */
interface Integration {
  name: string;
  /** Where (and in which member) a client's secret is stored. */
  client: { collection: string; key: string; member: string };
  /** Stores a confidential client with `SECRET`. */
  saveClient(store: AsyncKeyValue, options: ProtectionOptions): Promise<void>;
  /** The client secret read back through the integration (`undefined` when refused or absent). */
  readSecret(store: AsyncKeyValue, options: ProtectionOptions): Promise<string | undefined>;
  /**
   * Writes a bearer-keyed record, copies it (below the encryption) to the key of a value the
   * attacker chose, and reads that value back through the integration. Returns what the read gave
   * and the collection the copy went to.
   */
  moveAndRead(inner: AsyncKeyValue, store: AsyncKeyValue, options: ProtectionOptions): Promise<Moved>;
}

interface Moved {
  read: unknown;
  collection: string;
  /** The record as the integration stored it (decrypted, binding member included). */
  stored: JsonObject;
}

async function copy(inner: AsyncKeyValue, collection: string, from: string, to: string): Promise<JsonObject> {
  const raw = await inner.get(from, { collection });
  if (raw === undefined) throw new Error('nothing to copy');
  await inner.put(to, raw, { collection, ttl: 600 });
  return raw;
}

const hasherOf = (store: AsyncKeyValue, options: ProtectionOptions) =>
  options.hashSecret === undefined || options.hashSecret === false
    ? BearerHasher.forStore(store, { secret: options.hashSecret })
    : new BearerHasher([options.hashSecret as string]);

const INTEGRATIONS: Integration[] = [
  {
    name: 'OAuthStateStore (oauth-kv/mcp)',
    client: { collection: MCP_CLIENTS_COLLECTION, key: 'c1', member: 'client_secret' },
    async saveClient(store, options) {
      await new OAuthStateStore(store, options).clients.registerClient({
        client_id: 'c1',
        client_secret: SECRET,
        redirect_uris: ['https://app.example/cb'],
      });
    },
    async readSecret(store, options) {
      return (await new OAuthStateStore(store, options).clients.getClient('c1'))?.client_secret;
    },
    async moveAndRead(inner, store, options) {
      const state = new OAuthStateStore(store, options);
      const code = await state.createAuthorizationCode({
        client_id: 'victim',
        redirect_uri: 'https://victim.example/cb',
        code_challenge: 'c',
        scopes: [],
      });
      const collection = OAUTH_STATE_COLLECTIONS.codes;
      const hasher = hasherOf(store, options);
      await copy(inner, collection, hasher.hash(code), hasher.hash('chosen-code'));
      const stored = (await store.get(hasher.hash(code), { collection })) as JsonObject;
      return { read: await state.getAuthorizationCode('chosen-code'), collection, stored };
    },
  },
  {
    name: 'createOidcAdapter (oauth-kv/oidc-provider)',
    client: { collection: 'oidc:Client', key: 'c1', member: 'client_secret_sealed' },
    async saveClient(store, options) {
      await new (createOidcAdapter(store, options))('Client').upsert('c1', {
        client_id: 'c1',
        client_secret: SECRET,
      });
    },
    async readSecret(store, options) {
      const found = await new (createOidcAdapter(store, options))('Client').find('c1');
      return found?.client_secret as string | undefined;
    },
    async moveAndRead(inner, store, options) {
      const Adapter = createOidcAdapter(store, options);
      await new Adapter('AccessToken').upsert(
        'victim-token',
        { jti: 'victim-token', accountId: 'alice' },
        600,
      );
      const collection = 'oidc:AccessToken';
      const hasher = hasherOf(store, options);
      await copy(inner, collection, hasher.hash('victim-token'), hasher.hash('chosen-token'));
      const stored = (await store.get(hasher.hash('victim-token'), { collection })) as JsonObject;
      return { read: await new Adapter('AccessToken').find('chosen-token'), collection, stored };
    },
  },
  {
    name: 'FastMCPTokenStorage (oauth-kv/fastmcp)',
    client: { collection: FASTMCP_DEFAULT_COLLECTION, key: 'client:c1', member: 'clientSecretSealed' },
    async saveClient(store, options) {
      await new FastMCPTokenStorage(store, options).save('client:c1', {
        clientId: 'c1',
        clientSecret: SECRET,
        redirectUris: ['https://app.example/cb'],
      });
    },
    async readSecret(store, options) {
      const found = (await new FastMCPTokenStorage(store, options).get('client:c1')) as JsonObject | null;
      return found?.clientSecret as string | undefined;
    },
    async moveAndRead(inner, store, options) {
      const storage = new FastMCPTokenStorage(store, options);
      await storage.save('code:victim-code', { clientId: 'victim' }, 600);
      const collection = FASTMCP_DEFAULT_COLLECTION;
      const hasher = hasherOf(store, options);
      const key = (value: string) => `code:${hasher.hash(value)}`;
      await copy(inner, collection, key('code:victim-code'), key('code:chosen-code'));
      const stored = (await store.get(key('code:victim-code'), { collection })) as JsonObject;
      return { read: await storage.get('code:chosen-code'), collection, stored };
    },
  },
];

describe('one ProtectionOptions for every OAuth integration', () => {
  it('each module exports the same interface', () => {
    expectTypeOf<McpProtection>().toEqualTypeOf<ProtectionOptions>();
    expectTypeOf<OidcProtection>().toEqualTypeOf<ProtectionOptions>();
    expectTypeOf<FastMCPProtection>().toEqualTypeOf<ProtectionOptions>();
    // One object, typed once, is accepted by all three constructors.
    const options: ProtectionOptions = {
      hashSecret: HASH_SECRET,
      sealSecret: SEAL_SECRET,
      bindRecords: true,
    };
    const store = memory();
    expect(() => new OAuthStateStore(store, options)).not.toThrow();
    expect(() => createOidcAdapter(store, options)).not.toThrow();
    expect(() => new FastMCPTokenStorage(store, options)).not.toThrow();
  });

  it('allowUnprotectedSecrets: false without key material: the same StoreSetupError everywhere, nothing written', async () => {
    const options: ProtectionOptions = { allowUnprotectedSecrets: false };
    const messages = new Set<string>();
    for (const integration of INTEGRATIONS) {
      const store = memory();
      const err = await integration.saveClient(store, options).catch((e: unknown) => e);
      expect(err, integration.name).toBeInstanceOf(StoreSetupError);
      expect((err as Error).message).not.toContain(SECRET);
      messages.add((err as Error).message);
      expect(await store.keys(integration.client.collection)).toEqual({ keys: [] });
    }
    expect([...messages]).toHaveLength(1);
    expect([...messages][0]).toMatch(/withEncryption.*sealSecret.*allowUnprotectedSecrets: true/);
  });

  it('hashSecret alone does not seal client secrets in any integration (no stand-in for sealSecret)', async () => {
    for (const integration of INTEGRATIONS) {
      const err = await integration
        .saveClient(memory(), { hashSecret: HASH_SECRET })
        .catch((e: unknown) => e);
      expect(err, integration.name).toBeInstanceOf(StoreSetupError);
    }
    // The MCP proxy's upstream tokens follow the same rule.
    const state = new OAuthStateStore(memory(), { hashSecret: HASH_SECRET });
    await expect(state.saveUpstreamTokens({ access_token: 'upstream' })).rejects.toBeInstanceOf(
      StoreSetupError,
    );
  });

  it('allowUnprotectedSecrets: true stores the secret as issued, everywhere', async () => {
    for (const integration of INTEGRATIONS) {
      const store = memory();
      await integration.saveClient(store, { allowUnprotectedSecrets: true });
      const { collection, key } = integration.client;
      expect(JSON.stringify(await store.get(key, { collection })), integration.name).toContain(SECRET);
      expect(await integration.readSecret(store, { allowUnprotectedSecrets: true })).toBe(SECRET);
    }
  });

  it('sealSecret seals identically: one stored format, and one sealer opens what each integration wrote', async () => {
    const options: ProtectionOptions = { sealSecret: SEAL_SECRET };
    const sealer = SecretSealer.forStore(undefined, CLIENT_SECRET_PURPOSE, SEAL_SECRET);
    for (const integration of INTEGRATIONS) {
      const store = memory();
      await integration.saveClient(store, options);
      const { collection, key, member } = integration.client;
      const raw = (await store.get(key, { collection })) as JsonObject;
      expect(JSON.stringify(raw), integration.name).not.toContain(SECRET);
      expect(raw[member]).toMatch(new RegExp(`^${SEALED_PREFIX}[A-Za-z0-9_-]+$`));
      expect(sealer?.open(raw[member], collection, key)).toBe(SECRET);
      expect(await integration.readSecret(store, options)).toBe(SECRET);
      // Rotation: the old secret behind a new one still opens it; without it the client is refused.
      expect(
        await integration.readSecret(store, { sealSecret: ['a-newer-seal-secret-0123456', SEAL_SECRET] }),
      ).toBe(SECRET);
      const refused: OAuthKVError[] = [];
      const other = {
        sealSecret: 'a-newer-seal-secret-0123456',
        onRecordRefused: (e: OAuthKVError) => refused.push(e),
      };
      expect(await integration.readSecret(store, other)).toBeUndefined();
      expect(refused.map((e) => e.code)).toEqual(['DECRYPTION_ERROR']);
    }
  });

  it('under encryption the sealing key is derived from the encryption keys, the same way everywhere', async () => {
    for (const integration of INTEGRATIONS) {
      const { inner, store } = encrypted();
      await integration.saveClient(store, {});
      const { collection, key, member } = integration.client;
      const decrypted = (await store.get(key, { collection })) as JsonObject;
      expect(
        SecretSealer.forStore(store, CLIENT_SECRET_PURPOSE)?.open(decrypted[member], collection, key),
      ).toBe(SECRET);
      expect(JSON.stringify(await inner.get(key, { collection }))).not.toContain(SECRET);
    }
  });

  it('a moved record: the same onRecordRefused call (RecordBindingError, { collection }) and an absent read', async () => {
    for (const integration of INTEGRATIONS) {
      const calls: unknown[][] = [];
      const { inner, store } = encrypted();
      const options: ProtectionOptions = {
        hashSecret: false,
        onRecordRefused: (...args) => calls.push(args),
      };
      const { read, collection, stored } = await integration.moveAndRead(inner, store, options);
      expect(stored, integration.name).toHaveProperty(BINDING_FIELD); // binding is on under encryption
      expect(read ?? undefined).toBeUndefined();
      expect(calls).toHaveLength(1);
      const [error, context, ...rest] = calls[0] as [OAuthKVError, unknown];
      expect(rest).toEqual([]);
      expect(error).toBeInstanceOf(RecordBindingError);
      expect(context).toEqual({ collection });
      expect(error.message).toContain(`"${collection}"`);
      expect(error.message).not.toMatch(/chosen|victim|alice/);
    }
  });

  it('without encryption records are not bound by default, everywhere; bindRecords: true binds them', async () => {
    for (const integration of INTEGRATIONS) {
      const plainStore = memory();
      const quiet = { hashSecret: HASH_SECRET, onRecordRefused: () => {} };
      const plain = await integration.moveAndRead(plainStore, plainStore, quiet);
      expect(plain.stored, integration.name).not.toHaveProperty(BINDING_FIELD);
      const store = memory();
      const bound = await integration.moveAndRead(store, store, { ...quiet, bindRecords: true });
      expect(bound.stored).toHaveProperty(BINDING_FIELD);
      expect(bound.read ?? undefined).toBeUndefined();
    }
  });

  it('by default a refused record is a process warning carrying the typed error, everywhere', async () => {
    for (const integration of INTEGRATIONS) {
      const { inner, store } = encrypted();
      await new Promise((resolve) => setImmediate(resolve)); // earlier warnings out of the way
      const warnings: Error[] = [];
      const listen = (warning: Error) => warnings.push(warning);
      process.on('warning', listen);
      try {
        await integration.moveAndRead(inner, store, { hashSecret: false });
        await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      } finally {
        process.off('warning', listen);
      }
      expect(
        warnings.filter((w) => w instanceof RecordBindingError),
        integration.name,
      ).toHaveLength(1);
    }
  });

  it('a throwing onRecordRefused never turns a refusal into an error, everywhere', async () => {
    for (const integration of INTEGRATIONS) {
      const { inner, store } = encrypted();
      const options: ProtectionOptions = {
        hashSecret: false,
        onRecordRefused: () => {
          throw new Error('log sink down');
        },
      };
      const { read } = await integration.moveAndRead(inner, store, options);
      expect(read ?? undefined, integration.name).toBeUndefined();
    }
  });

  it('validates the options the same way everywhere, at construction', () => {
    const construct = [
      (options: ProtectionOptions) => new OAuthStateStore(memory(), options),
      (options: ProtectionOptions) => createOidcAdapter(memory(), options),
      (options: ProtectionOptions) => new FastMCPTokenStorage(memory(), options),
    ];
    const bad: [ProtectionOptions, new (...args: never[]) => Error, RegExp][] = [
      [{ bindRecords: 'yes' as unknown as boolean }, StoreSetupError, /bindRecords must be a boolean/],
      [{ allowUnprotectedSecrets: 1 as unknown as boolean }, StoreSetupError, /allowUnprotectedSecrets/],
      [
        { onRecordRefused: 'log' as unknown as () => void },
        StoreSetupError,
        /onRecordRefused must be a function/,
      ],
      [{ hashSecret: 'short' }, StoreSetupError, /at least 16 bytes/],
      [{ hashSecret: [] }, StoreSetupError, /hashSecret must be .* non-empty list/],
      [{ sealSecret: [] }, StoreSetupError, /sealSecret must be .* non-empty list/],
      [{ sealSecret: 'short' }, StoreSetupError, /at least 16 bytes/],
    ];
    for (const make of construct) {
      for (const [options, type, message] of bad) {
        expect(() => make(options)).toThrow(type);
        expect(() => make(options)).toThrow(message);
      }
    }
  });
});
