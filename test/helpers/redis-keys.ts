/** Cleanup of a Redis test's or benchmark's own keys. */
import type { Redis } from 'ioredis';

/** Deletes every key under `pattern` (SCAN + UNLINK), never anything else. */
export async function unlinkMatching(client: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await client.unlink(keys);
    cursor = next;
  } while (cursor !== '0');
}
