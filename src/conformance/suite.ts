/**
 * Registers every section of the store conformance suite on a runner.
 * @module
 */
import { describeAtomic } from './atomic.js';
import { describeBadInput } from './bad-input.js';
import { describeBasic } from './basic.js';
import { describeBulk } from './bulk.js';
import { describeClose } from './close.js';
import { createSuiteContext } from './context.js';
import { describeCopy } from './copy.js';
import { describeIncrement } from './increment.js';
import { describeLargeValue } from './large-value.js';
import { describeModel } from './model.js';
import { describeNames } from './names.js';
import { describeOptional } from './optional.js';
import type { ConformanceOptions } from './options.js';
import { describePersistence } from './persistence.js';
import { describePing } from './ping.js';
import type { ConformanceRunner } from './runner.js';
import { describeTtl } from './ttl.js';
import { describeValidation } from './validation.js';

/** Registers the suite for `name` on `runner`; `observe` sees every test registered with its clauses. */
export function registerConformance(
  runner: ConformanceRunner,
  name: string,
  options: ConformanceOptions,
  observe?: (clauses: readonly string[], name: string) => void,
): void {
  if (typeof options?.createStore !== 'function') {
    throw new TypeError('describeConformance needs options.createStore, a function returning a new store');
  }
  runner.describe(`${name}: AsyncKeyValue conformance`, () => {
    const context = createSuiteContext(runner, options, undefined, observe);
    describeBasic(context);
    describeBulk(context);
    describeCopy(context);
    describeBadInput(context);
    describeValidation(context);
    describeNames(context);
    describeLargeValue(context);
    describeTtl(context);
    describeAtomic(context);
    describeIncrement(context);
    describePersistence(context);
    describeOptional(context);
    describePing(context);
    describeClose(context);
    describeModel(context);
  });
}
