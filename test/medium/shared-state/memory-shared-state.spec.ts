import { MemorySharedState } from '../../../src/shared-state/memory-shared-state.js';
import { describeSharedAdapters } from './shared-adapters-contract.js';
import { describeSharedStateContract, type SharedStateUnderTest } from './shared-state-contract.js';

/** One node's memory: both "nodes" are the same instance, as two callers in one process would be. */
async function openMemory(): Promise<SharedStateUnderTest> {
  const state = new MemorySharedState();
  return { a: state, b: state, dispose: () => state.close() };
}

describeSharedStateContract('memory', openMemory);
describeSharedAdapters('memory', openMemory);
