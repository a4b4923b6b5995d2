#!/usr/bin/env node
/**
 * The `oauth-kv` command: keys, inspection, health, rotation and migration of oauth-kv stores.
 * Its own entry (package `bin`): the library never imports it, so commander and cli-progress stay
 * out of the library's import graph. Reference: docs/cli.md.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { describeFailure } from './common.js';

function version(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'oauth-kv' && pkg.version) return pkg.version;
    } catch {
      // try the next place
    }
  }
  return '0.0.0';
}

const keyOption = () =>
  new Option(
    '-k, --key <key>',
    'Fernet key, newest first (repeat, or comma-separate); default: OAUTH_KV_KEY',
  ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]);
const jsonOption = () => new Option('--json', 'print the result as JSON (no progress output)');

/** The program: one subcommand per task, each loading its module only when it runs. */
function program(): Command {
  const cli = new Command('oauth-kv')
    .description('Keys, inspection, health checks, key rotation and migration for oauth-kv stores.')
    .version(version(), '-V, --version')
    .configureOutput({
      outputError: (text, write) => write(`oauth-kv: ${text.replace(/^error: /, '').trim()}\n`),
    })
    .exitOverride();

  const action =
    <A extends unknown[]>(load: () => Promise<(...args: A) => unknown>) =>
    async (...args: A) => {
      const run = await load();
      await run(...args);
    };

  cli
    .command('keygen')
    .description('print a new Fernet key (url-safe base64, 32 bytes)')
    .addOption(jsonOption())
    .action(action(async () => (await import('./inspect.js')).keygen));

  cli
    .command('doctor')
    .description('connect, check read/write, the stored layout, the key on a sample, and clock skew')
    .argument('[url]', 'store URL (default: OAUTH_KV_URL)')
    .addOption(keyOption())
    .option('--read-only', 'do not write the probe entry')
    .addOption(jsonOption())
    .action(action(async () => (await import('./doctor.js')).doctor));

  cli
    .command('collections')
    .description('list the collections that hold entries')
    .argument('[url]', 'store URL (default: OAUTH_KV_URL)')
    .option('--count', 'count the entries of each collection')
    .addOption(jsonOption())
    .action(action(async () => (await import('./inspect.js')).collections));

  cli
    .command('keys')
    .description('list the keys of a collection')
    .argument('<url>', 'store URL')
    .argument('<collection>', 'collection')
    .option('--limit <n>', 'most keys to list', '1000')
    .addOption(jsonOption())
    .action(action(async () => (await import('./inspect.js')).keys));

  cli
    .command('get')
    .description('show one entry with its TTL, decrypted with --key, secrets redacted unless --reveal')
    .argument('<url>', 'store URL')
    .argument('<collection>', 'collection')
    .argument('<key>', 'key')
    .addOption(keyOption())
    .option('--reveal', 'show secret members (tokens, client secrets, ...) instead of [redacted]')
    .addOption(jsonOption())
    .action(action(async () => (await import('./inspect.js')).get));

  cli
    .command('delete')
    .description('delete entries')
    .argument('<url>', 'store URL')
    .argument('<collection>', 'collection')
    .argument('<keys...>', 'keys to delete')
    .addOption(jsonOption())
    .action(action(async () => (await import('./inspect.js')).remove));

  cli
    .command('cull')
    .description('delete expired entries (stores without native expiry)')
    .argument('[url]', 'store URL (default: OAUTH_KV_URL)')
    .addOption(jsonOption())
    .action(action(async () => (await import('./inspect.js')).cull));

  cli
    .command('rotate')
    .description('re-encrypt every collection under a new key (resumable)')
    .argument('[url]', 'store URL (default: OAUTH_KV_URL)')
    .requiredOption('--new-key <key>', 'the new Fernet key; the old ones come from --key or OAUTH_KV_KEY')
    .addOption(keyOption())
    .option('--dry-run', 'count what would be rewritten, write nothing')
    .option('--bind', 'bind each value to its collection and key (bindToKey)')
    .option('--allow-plaintext', 'also encrypt entries that are not encrypted yet')
    .option('--state <file>', 'state file for resuming (default: .oauth-kv-rotate-<id>.state.json here)')
    .option('--page-size <n>', 'keys read per page', '200')
    .addOption(jsonOption())
    .action(action(async () => (await import('./rotate.js')).rotate));

  cli
    .command('copy')
    .description('copy every collection to another store, TTLs kept, verified (resumable)')
    .argument('<from>', 'source store URL')
    .argument('<to>', 'target store URL')
    .option('--overwrite', 'copy into collections the target already holds')
    .option('--sample <n>', 'entries per collection compared after the copy', '20')
    .option('--state <file>', 'state file for resuming (default: .oauth-kv-copy-<id>.state.json here)')
    .option('--page-size <n>', 'keys read per page', '200')
    .addOption(jsonOption())
    .action(action(async () => (await import('./copy.js')).copy));

  return cli;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2; // commander already printed it
    const { message, exitCode } = describeFailure(err);
    process.stderr.write(`oauth-kv: ${message}\n`);
    return exitCode;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // A driver that still holds a socket must not keep a finished command alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  () => {
    process.exitCode = 1;
  },
);
