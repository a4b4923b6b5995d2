/**
 * close(): every later operation is refused with StoreClosedError, closing twice is fine, and the
 * store's interval timers stop.
 * @module
 */
import { sleep } from '../backend/kit.js';
import { describeError, fail, ok, rejection } from './assert.js';
import type { SuiteContext } from './context.js';

/** Registers this section (inside the suite's `describe`). */
export function describeClose({ test, describe, make, fresh }: SuiteContext): void {
  describe('close()', () => {
    test(['op.close'], 'after close() every operation is refused with StoreClosedError', async () => {
      const s = await make();
      const collection = fresh();
      await s.put('k', { a: 1 }, { collection });
      await s.close();
      await s.close(); // a second close() resolves
      const o = { collection };
      const ops: Array<[string, () => Promise<unknown>]> = [
        ['get', () => s.get('k', o)],
        ['getMany', () => s.getMany(['k'], o)],
        ['ttl', () => s.ttl('k', o)],
        ['ttlMany', () => s.ttlMany(['k'], o)],
        ['put', () => s.put('k', { a: 2 }, o)],
        ['putMany', () => s.putMany([['k', { a: 2 }]], o)],
        ['delete', () => s.delete('k', o)],
        ['deleteMany', () => s.deleteMany(['k'], o)],
        ['take', () => s.take('k', o)],
        ['putIfAbsent', () => s.putIfAbsent('j', { a: 2 }, o)],
        ['keys', () => s.keys(collection)],
        ['collections', () => s.collections()],
        ['destroyCollection', () => s.destroyCollection(collection)],
        ['cull', () => s.cull()],
        ['ping', () => s.ping()],
      ];
      for (const [op, run] of ops) {
        const err = await rejection(run(), `${op} after close()`);
        const code = (err as { code?: unknown }).code;
        const optional = ['keys', 'collections', 'destroyCollection', 'cull'].includes(op);
        if (
          !(
            code === 'STORE_CLOSED' ||
            (optional && code === 'NOT_SUPPORTED' && !s.capabilities[op as 'keys'])
          )
        ) {
          fail(`${op} after close() should reject with STORE_CLOSED, got ${describeError(err)}`);
        }
        ok((err as Error).message?.trim(), `${op} after close() was refused without a message`);
      }
    });

    test(['op.close-timers'], 'close() stops every interval timer the store started', async () => {
      const g = globalThis as unknown as Record<
        'setInterval' | 'clearInterval' | 'clearTimeout',
        (...a: unknown[]) => unknown
      >;
      const original = {
        setInterval: g.setInterval,
        clearInterval: g.clearInterval,
        clearTimeout: g.clearTimeout,
      };
      const running = new Set<unknown>();
      g.setInterval = (...args) => {
        const handle = original.setInterval(...args);
        running.add(handle);
        return handle;
      };
      g.clearInterval = (handle) => {
        running.delete(handle);
        return original.clearInterval(handle);
      };
      g.clearTimeout = (handle) => {
        running.delete(handle);
        return original.clearTimeout(handle);
      };
      let started = 0;
      try {
        const s = await make();
        const collection = fresh();
        await s.put('k', { a: 1 }, { collection, ttl: 60 });
        await s.get('k', { collection });
        started = running.size;
        await s.close();
        await sleep(50);
      } finally {
        Object.assign(g, original);
      }
      ok(
        running.size === 0,
        `close() left ${running.size} of the ${started} interval timer(s) the store started running`,
      );
    });
  });
}
