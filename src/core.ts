/**
 * The core of the package: every module of the root entry's import graph, bundled by tsup.config.ts into ONE
 * file (dist/core.js, dist/core.cjs) that `oauth-kv` re-exports its public names from and every other subpath
 * imports its shared code from, so each class exists once across subpaths while the root loads two files.
 * Internal: no subpath exports it. tsup.config.ts fails the build when this list and the root graph differ.
 * @module
 */
export * from './backend/kit.js';
export * from './base-store.js';
export * from './contract.js';
export * from './create-store.js';
export * from './crypto/bytes.js';
export * from './crypto/engine.js';
export * from './crypto/fernet.js';
export * from './crypto/fernet-token.js';
export * from './crypto/keys.js';
export * from './crypto/sha256.js';
export * from './entry.js';
export * from './errors.js';
export * from './secrets.js';
export * from './stored-json.js';
export * from './stores/memory.js';
export * from './validation.js';
export * from './wrappers/args.js';
export * from './wrappers/base.js';
export * from './wrappers/cache.js';
export * from './wrappers/compose.js';
export * from './wrappers/encrypted-form.js';
export * from './wrappers/encryption.js';
export * from './wrappers/fallback.js';
export * from './wrappers/namespace.js';
export * from './wrappers/read-only.js';
export * from './wrappers/retry.js';
export * from './wrappers/size-limit.js';
export * from './wrappers/statistics.js';
export * from './wrappers/timeout.js';
export * from './wrappers/ttl.js';
export * from './wrappers/typed.js';
