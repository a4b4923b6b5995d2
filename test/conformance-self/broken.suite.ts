// Run only by test/conformance-self.test.ts, through its own vitest config: every store here is
// broken on purpose and the suite is expected to fail on it.
import { describeConformance } from '../../src/conformance/index.js';
import {
  AliasingStore,
  AlwaysTrueDeleteStore,
  IgnoresTtlStore,
  NonAtomicTakeStore,
  SharesReferencesStore,
} from './broken-stores.js';

describeConformance('AlwaysTrueDeleteStore', { createStore: () => new AlwaysTrueDeleteStore() });
describeConformance('IgnoresTtlStore', { createStore: () => new IgnoresTtlStore() });
describeConformance('NonAtomicTakeStore', { createStore: () => new NonAtomicTakeStore() });
describeConformance('AliasingStore', { createStore: () => new AliasingStore() });
describeConformance('SharesReferencesStore', { createStore: () => new SharesReferencesStore() });
