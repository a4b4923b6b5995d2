import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite';
import Keyv from 'keyv';
import * as Vitest from 'vitest';
import { afterAll, describe } from 'vitest';
import { FirestoreStore } from '../src/stores/firestore/index.js';
import { toKeyv } from '../src/stores/keyv/index.js';
import { findBackend } from './harness/backends.js';
import { type EmulatorProject, emulatorProject } from './helpers/firestore-emulator.js';

const backend = await findBackend('firestore');
const project: EmulatorProject | undefined = backend.available
  ? emulatorProject(backend.url, 'oakv-keyv-fs')
  : undefined;

describe.skipIf(!backend.available)(`toKeyv over FirestoreStore ${backend.description}`, () => {
  const backing = new FirestoreStore({ projectId: (project as EmulatorProject)?.projectId });
  afterAll(async () => {
    await backing.close();
    await project?.dispose();
    await backend.stop();
  });
  const store = () => toKeyv(backing, { collection: 'keyv-suite' });
  keyvTestSuite(Vitest, Keyv, store);
  keyvIteratorTests(Vitest, Keyv, store);
});
