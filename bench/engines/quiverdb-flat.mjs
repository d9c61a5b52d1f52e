// quiverdb FlatIndex: exact search (blocked SIMD kernels), the exact-search anchor.
import { loadQuiverdb, quiverdbVersion } from '../lib/quiverdb.mjs';
import { allowListCache, rowLabels } from './shared.mjs';

export const info = { name: 'quiverdb-flat', label: 'quiverdb FlatIndex (exact)', kind: 'exact', quiverdb: true };

export async function probe() {
  try {
    const q = await loadQuiverdb();
    return { available: true, version: quiverdbVersion(), notes: `SIMD ${q.simdLevel()}` };
  } catch (e) {
    return { available: false, reason: e.message };
  }
}

export async function create({ dim, metric }) {
  const { FlatIndex, AllowList } = await loadQuiverdb();
  const allowList = allowListCache(AllowList);
  let index = new FlatIndex({ dim, metric });
  const persistence = typeof index.save === 'function' && typeof FlatIndex.load === 'function';
  return {
    capabilities: { threadedBuild: false, batchThreads: 'all', filter: true, persistence, exact: true },
    build(vectors, { onProgress } = {}) {
      const n = vectors.length / dim, chunk = 16_384;
      for (let start = 0; start < n; start += chunk) {
        const count = Math.min(chunk, n - start);
        index.add(rowLabels(start, count), vectors.subarray(start * dim, (start + count) * dim));
        onProgress?.(start + count, n);
      }
    },
    search: (q, k) => index.search(q, k).labels,
    searchBatch: (qs, nq, k, _ef, threads) => Int32Array.from(index.searchBatch(qs, k, { threads }).labels),
    searchFiltered: (q, k, _ef, allow) => index.search(q, k, { filter: allowList(allow) }).labels,
    async save(path) { await index.save(path); },
    async load(path) { index = await FlatIndex.load(path); },
    memory: () => (typeof index?.memoryBytes === 'function' ? { indexBytes: index.memoryBytes() } : null),
    close() { index = null; },
  };
}
