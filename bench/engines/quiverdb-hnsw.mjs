// quiverdb HnswIndex: the approximate index under test.
import { loadQuiverdb, quiverdbVersion } from '../lib/quiverdb.mjs';
import { allowListCache, rowLabels, toInt32 } from './shared.mjs';

export const info = { name: 'quiverdb-hnsw', label: 'quiverdb HnswIndex', kind: 'hnsw', quiverdb: true };

export async function probe() {
  try {
    const q = await loadQuiverdb();
    if (typeof q.HnswIndex !== 'function')
      return { available: false, reason: 'HnswIndex is not exported from dist/index.js in this build' };
    return { available: true, version: quiverdbVersion(), notes: `SIMD ${q.simdLevel()}` };
  } catch (e) {
    return { available: false, reason: e.message };
  }
}

export async function create({ dim, metric }) {
  const { HnswIndex, AllowList } = await loadQuiverdb();
  const allowList = allowListCache(AllowList);
  let index = null;
  return {
    capabilities: { threadedBuild: true, batchThreads: 'all', filter: true, persistence: true, exact: false },
    build(vectors, { M, efConstruction, threads, seed = 1, onProgress } = {}) {
      index = new HnswIndex({ dim, metric, M, efConstruction, seed });
      const n = vectors.length / dim, chunk = 10_000;
      for (let start = 0; start < n; start += chunk) {
        const count = Math.min(chunk, n - start);
        index.add(rowLabels(start, count), vectors.subarray(start * dim, (start + count) * dim), { threads });
        onProgress?.(start + count, n);
      }
    },
    search: (q, k, ef) => index.search(q, k, { ef }).labels,
    searchBatch: (qs, nq, k, ef, threads) => toInt32(index.searchBatch(qs, k, { ef, threads }).labels),
    searchFiltered: (q, k, ef, allow) => index.search(q, k, { ef, filter: allowList(allow) }).labels,
    async save(path) { await index.save(path); },
    async load(path) { index = await HnswIndex.load(path); },
    memory: () => (typeof index?.memoryBytes === 'function' ? { indexBytes: index.memoryBytes() } : null),
    close() { index = null; },
  };
}
